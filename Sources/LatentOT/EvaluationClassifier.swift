import Foundation
import TensorModule
import NeuralNet
import Datasets

/// The feature network of LatentOT's image metrics: a CNN classifier trained once per dataset, with a
/// fixed seed and a fixed recipe, and kept in a cache shared by every model of that dataset.
///
/// Recipe (version 2): `FeatureClassifier` at base width 32 (convolutions 32, 64, 128; 128 features
/// after BatchNorm and ReLU), 15 epochs of Adam 2e-3 with cosine decay, random flips and ±2-pixel
/// shifts: 93.7 % test accuracy on Fashion-MNIST (97.0 % on mnist-5k) (version 1, width 16 and 2 epochs, had 90.5 % and
/// flattered blurry samples). It is a different network from any used inside a training loss
/// (`PerceptualLoss` takes a width-16 classifier trained on its own seed).
///
/// Cache entries are named by the dataset and a fingerprint of its training images and labels, so
/// one is reused only for the same data: `<name>-<16 hex digits>-v2/classifier.json` and
/// `classifier.safetensors`, plus `report.json` (accuracy and recipe). The project ships entries for
/// Fashion-MNIST and mnist-5k in `data/evaluators/` (trained by the code below, seed 0), so a first
/// evaluation does not pay the ≈ 18 minutes of training on 2 cores (Fashion-MNIST, 70 s an epoch).
public enum EvaluationClassifier {
    public static let recipeVersion = 2
    public static let seed: UInt64 = 0
    public static let baseWidth = 32

    /// What the cache keeps beside the weights.
    public struct Record: Codable, Equatable, Sendable {
        public var dataset: String
        public var fingerprint: String
        public var recipeVersion: Int
        public var trainer: FeatureClassifierTrainer.Configuration
        public var configuration: FeatureClassifierConfiguration
        public var testAccuracy: Double?
        public var epochs: [ClassifierEpochRecord]
    }

    /// FNV-1a (64 bits) of the training images' Float bits and labels, as 16 hex digits.
    public static func fingerprint(_ train: ImageDataset) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        @inline(__always) func mix(_ value: UInt64) {
            var v = value
            for _ in 0..<8 { hash = (hash ^ (v & 0xff)) &* 0x0000_0100_0000_01b3; v >>= 8 }
        }
        for s in train.images.shape { mix(UInt64(s)) }
        train.images.scalars.withUnsafeBufferPointer { buffer in
            for x in buffer { mix(UInt64(x.bitPattern)) }
        }
        for label in train.labels ?? [] { mix(UInt64(bitPattern: Int64(label))) }
        return String(format: "%016llx", hash)
    }

    /// The cache folder name of a dataset's classifier.
    public static func entryName(_ train: ImageDataset) -> String {
        let safe = String(train.name.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" }.prefix(40))
        return "\(safe.isEmpty ? "data" : safe)-\(fingerprint(train))-v\(recipeVersion)/"
    }

    /// The first cached classifier for `train` among `stores` (searched in order), or a newly trained
    /// one written to the last store. Unlabelled data gets an untrained (random) CNN, written nowhere.
    public static func load(train: ImageDataset, test: ImageDataset, stores: [ArtifactStore],
                            log: (String) -> Void) throws -> (classifier: FeatureClassifier, record: Record?) {
        let entry = entryName(train)
        for store in stores {
            guard let model = try FeatureClassifierFiles.load(from: store, configurationName: entry + "classifier.json",
                                                              weightsName: entry + "classifier.safetensors", seed: seed) else { continue }
            let record = try? store.readJSON(Record.self, named: entry + "report.json")
            return (model, record)
        }
        let classCount = max(2, train.classCount ?? 1, ((train.labels ?? []).max() ?? 0) + 1)
        let configuration = FeatureClassifierConfiguration(imageShape: train.imageShape, classCount: classCount, baseWidth: baseWidth)
        let model = try FeatureClassifier(configuration: configuration, seed: seed)
        guard let labels = train.labels else {
            log("no labels: the feature space is an untrained (random) CNN")
            return (model, nil)
        }
        let trainerConfiguration = FeatureClassifierTrainer.Configuration.evaluation(seed: seed)
        let trainer = FeatureClassifierTrainer(model: model, configuration: trainerConfiguration)
        log("training the evaluation classifier on \(train.count) labelled images (\(trainerConfiguration.epochs) epochs, once per dataset; cached as \(entry))")
        let records = trainer.fit(images: train.images, labels: labels, testImages: test.images, testLabels: test.labels,
                                  epochEnd: { record in
                                      log(String(format: "  classifier epoch %d/%d: loss %.4f, train accuracy %.2f %%%@, %.0f s", record.epoch,
                                                 trainerConfiguration.epochs, record.trainLoss, 100 * record.trainAccuracy,
                                                 record.testAccuracy.map { String(format: ", test %.2f %%", 100 * $0) } ?? "", record.seconds))
                                  })
        let record = Record(dataset: train.name, fingerprint: fingerprint(train), recipeVersion: recipeVersion, trainer: trainerConfiguration,
                            configuration: configuration, testAccuracy: records.last?.testAccuracy, epochs: records)
        if let cache = stores.last {
            do {
                try cache.writeJSON(record, named: entry + "report.json")
                try FeatureClassifierFiles.save(model, to: cache, configurationName: entry + "classifier.json",
                                                weightsName: entry + "classifier.safetensors")
            } catch {
                log("could not cache the evaluation classifier in \(cache.describe(entry)): \(error)")
            }
        }
        return (model, record)
    }
}
