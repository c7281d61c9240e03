import Testing
import Foundation
import TensorModule
import NeuralNet
import Datasets
import LatentOT

@Suite struct EvaluationClassifierTests {
    func bars(count: Int, seed: UInt64) -> ImageDataset {
        let (images, labels) = barImages(count: count, seed: seed)
        return ImageDataset(name: "bars", images: images, labels: labels, classCount: 3)
    }

    /// The fingerprint names the data: one pixel or one label changed gives another cache entry.
    @Test func fingerprintFollowsTheData() {
        let train = bars(count: 30, seed: 1)
        let name = EvaluationClassifier.entryName(train)
        #expect(name.hasPrefix("bars-") && name.hasSuffix("-v\(EvaluationClassifier.recipeVersion)/"))
        #expect(EvaluationClassifier.fingerprint(train) == EvaluationClassifier.fingerprint(bars(count: 30, seed: 1)))
        var pixels = train.images
        pixels.scalars[17] += 0.5
        #expect(EvaluationClassifier.fingerprint(ImageDataset(name: "bars", images: pixels, labels: train.labels, classCount: 3))
                != EvaluationClassifier.fingerprint(train))
        var labels = train.labels!
        labels[0] = (labels[0] + 1) % 3
        #expect(EvaluationClassifier.fingerprint(ImageDataset(name: "bars", images: train.images, labels: labels, classCount: 3))
                != EvaluationClassifier.fingerprint(train))
    }

    /// Trained once with the recipe (width 32, accuracy recorded), written to the last store; the
    /// next load finds it in any store of the list and gives the same features; a corrupt entry is
    /// refused with the file named.
    @Test func trainsOnceThenLoadsFromTheCache() throws {
        let train = bars(count: 192, seed: 2), test = bars(count: 60, seed: 3)
        let shipped = MemoryStore(location: "shipped"), cache = MemoryStore(location: "cache")
        var lines: [String] = []
        let (first, record) = try EvaluationClassifier.load(train: train, test: test, stores: [shipped, cache], log: { lines.append($0) })
        #expect(first.configuration.baseWidth == EvaluationClassifier.baseWidth)
        #expect(record?.recipeVersion == EvaluationClassifier.recipeVersion && record?.epochs.count == 15)
        #expect((record?.testAccuracy ?? 0) > 0.9)
        #expect(shipped.files.isEmpty && cache.files.count == 3)
        #expect(lines.contains { $0.contains("training the evaluation classifier") })

        lines = []
        let (second, _) = try EvaluationClassifier.load(train: train, test: test, stores: [cache], log: { lines.append($0) })
        #expect(lines.isEmpty)
        #expect(second.features(test.images) == first.features(test.images))

        let entry = EvaluationClassifier.entryName(train)
        try cache.write(Data("{".utf8), named: entry + "classifier.json")
        #expect(throws: LatentOTError.self) { _ = try EvaluationClassifier.load(train: train, test: test, stores: [cache], log: { _ in }) }
    }
}
