import Testing
import Foundation
import TensorModule
import NeuralNet

@Suite struct FeatureClassifierTests {
    /// Images of one bright bar per image, its orientation the class: 0 horizontal, 1 vertical,
    /// 2 diagonal; position and brightness vary, plus noise.
    static func bars(count: Int, side: Int = 28, channels: Int = 1, seed: UInt64) -> (images: Tensor, labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let plane = side * side
        var scalars = [Float](repeating: 0, count: count * channels * plane)
        var labels: [Int] = []
        for i in 0..<count {
            let label = i % 3
            labels.append(label)
            let offset = 4 + Int(rng.next() % UInt64(side - 8))
            let brightness = 0.6 + 0.4 * rng.nextUnitFloat()
            for c in 0..<channels {
                let base = (i * channels + c) * plane
                for p in 0..<plane { scalars[base + p] = 0.1 * rng.nextUnitFloat() }
                for t in 2..<(side - 2) {
                    let (y, x) = label == 0 ? (offset, t) : label == 1 ? (t, offset) : (t, t)
                    scalars[base + y * side + x] = brightness
                }
            }
        }
        return (Tensor(shape: [count, channels, side, side], scalars: scalars), labels)
    }

    func tiny(_ shape: [Int] = [1, 28, 28], seed: UInt64 = 3) throws -> FeatureClassifier {
        try FeatureClassifier(configuration: .init(imageShape: shape, classCount: 3, baseWidth: 4, featureCount: 16), seed: seed)
    }

    @Test func shapesFor28And64() throws {
        let grey = try tiny()
        let (images, _) = Self.bars(count: 5, seed: 1)
        #expect(grey.features(images).shape == [5, 16])
        #expect(grey.logits(images).shape == [5, 3])
        #expect(grey.predict(images).count == 5)
        let both = grey.featuresAndLogits(images)
        #expect(both.features == grey.features(images) && both.logits == grey.logits(images))
        let colour = try tiny([3, 64, 64])
        let (rgb, _) = Self.bars(count: 3, side: 64, channels: 3, seed: 2)
        #expect(colour.features(rgb).shape == [3, 16])
        // 64 → 32 → 16 → 8: three stride-2 blocks, the last at width 4f = 16, so the dense layer reads 16·8·8.
        #expect(colour.store.entry(named: "body.13.weight")?.shape == [16, 16 * 8 * 8])
        #expect(grey.store.entry(named: "body.10.weight")?.shape == [16, 16 * 7 * 7])
    }

    @Test func invalidConfigurationsThrow() {
        #expect(throws: NeuralNetError.self) { try FeatureClassifier(configuration: .init(imageShape: [1, 4, 28])) }
        #expect(throws: NeuralNetError.self) { try FeatureClassifier(configuration: .init(imageShape: [1, 28, 28], classCount: 1)) }
        #expect(throws: NeuralNetError.self) { try FeatureClassifier(configuration: .init(imageShape: [28, 28])) }
    }

    /// A few epochs on the bars reach near-perfect test accuracy, and the loss falls.
    @Test func learnsBars() throws {
        let model = try tiny()
        let train = Self.bars(count: 384, seed: 4), test = Self.bars(count: 96, seed: 5)
        let before = model.accuracy(images: test.images, labels: test.labels)
        let trainer = FeatureClassifierTrainer(model: model, configuration: .init(epochs: 4, batchSize: 32, learningRate: 3e-3, seed: 1))
        let records = trainer.fit(images: train.images, labels: train.labels, testImages: test.images, testLabels: test.labels)
        #expect(records.count == 4)
        #expect(records.last!.trainLoss < records.first!.trainLoss)
        let after = model.accuracy(images: test.images, labels: test.labels)
        #expect(after >= 0.95, "accuracy \(before) → \(after)")
        #expect(records.last!.testAccuracy == after)
    }

    @Test func trainingIsDeterministic() throws {
        let data = Self.bars(count: 64, seed: 6)
        func weights() throws -> [Float] {
            let model = try tiny()
            FeatureClassifierTrainer(model: model, configuration: .init(epochs: 1, batchSize: 16, maximumImages: 48, seed: 7))
                .fit(images: data.images, labels: data.labels)
            return model.store.parameters + model.store.statistics
        }
        let first = try weights()
        #expect(first == (try weights()))
        let other = try tiny()
        FeatureClassifierTrainer(model: other, configuration: .init(epochs: 1, batchSize: 16, maximumImages: 48, seed: 8))
            .fit(images: data.images, labels: data.labels)
        #expect(first != other.store.parameters + other.store.statistics)
    }

    @Test func subsetAndRecommendedSettings() throws {
        let trainer = FeatureClassifierTrainer(model: try tiny(), configuration: .init(maximumImages: 10, seed: 1))
        let indices = trainer.trainingIndices(count: 100)
        #expect(indices.count == 10 && Set(indices).count == 10 && indices == indices.sorted() && indices.allSatisfy { $0 < 100 })
        #expect(FeatureClassifierTrainer.Configuration.recommended(imageCount: 60_000).epochs == 2)
        #expect(FeatureClassifierTrainer.Configuration.recommended(imageCount: 4_000).epochs == 5)
        #expect(FeatureClassifierTrainer.Configuration.recommended(imageCount: 10).epochs == 20)
    }

    @Test func saveAndLoadRoundTrip() throws {
        let model = try tiny()
        let data = Self.bars(count: 32, seed: 9)
        FeatureClassifierTrainer(model: model, configuration: .init(epochs: 1, batchSize: 16)).fit(images: data.images, labels: data.labels)
        let bytes = model.safetensorsData()
        #expect(bytes == model.safetensorsData())
        let loaded = try FeatureClassifier.load(from: bytes, source: "classifier.safetensors")
        #expect(loaded.configuration == model.configuration)
        #expect(loaded.features(data.images) == model.features(data.images))
        #expect(loaded.predict(data.images) == model.predict(data.images))

        // Another architecture's weights are refused, naming the file and the tensor.
        let wider = try FeatureClassifier(configuration: .init(imageShape: [1, 28, 28], classCount: 3, baseWidth: 8, featureCount: 16))
        #expect(throws: NeuralNetError.self) { try wider.loadParameters(from: bytes, source: "classifier.safetensors") }
        do {
            try wider.loadParameters(from: bytes, source: "classifier.safetensors")
        } catch let error as NeuralNetError {
            #expect(error.description.contains("classifier.safetensors") && error.description.contains("body.0.weight"))
        }
        // Weights without the configuration metadata cannot be rebuilt.
        let bare = Safetensors.encode(tensors: model.parameterTensors())
        #expect(throws: NeuralNetError.invalidHeader(source: "bare.safetensors", field: "__metadata__.config",
                                                     reason: "missing: not a file written by FeatureClassifier.safetensorsData()")) {
            try FeatureClassifier.load(from: bare, source: "bare.safetensors")
        }
        // A non-finite weight is refused and nothing changes.
        var tensors = try Safetensors.decode(bytes, source: "x")
        tensors["head.0.bias"]!.scalars[0] = .nan
        let saved = loaded.store.parameters
        #expect(throws: NeuralNetError.nonFinite(source: "x", tensor: "head.0.bias", index: 0)) {
            try loaded.loadParameters(from: tensors, source: "x")
        }
        #expect(loaded.store.parameters == saved)
    }
}
