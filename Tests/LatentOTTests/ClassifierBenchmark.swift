import Testing
import Foundation
import TensorModule
import NeuralNet
import Datasets
import LatentOT

/// Opt-in: trains the feature classifier on Fashion-MNIST and prints time and accuracy.
///   LATENTOT_CLASSIFIER_BENCHMARK=1 swift test -c release --skip-build --filter ClassifierBenchmark
/// Optional: LATENTOT_DATASET (fashion-mnist), LATENTOT_WIDTH, LATENTOT_FEATURES, LATENTOT_EPOCHS,
/// LATENTOT_LIMIT, LATENTOT_LR, LATENTOT_BATCH.
@Suite struct ClassifierBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["LATENTOT_CLASSIFIER_BENCHMARK"] != nil))
    func trainClassifier() throws {
        let env = ClassifierBenchmark.environment
        let clock = ContinuousClock()
        var start = clock.now
        let splits = try NamedDataset.resolve(env["LATENTOT_DATASET"] ?? "fashion-mnist").load()
        let train = splits.train, test = splits.test!
        print("BENCH load \((clock.now - start) / .seconds(1)) s, train \(train.images.shape) test \(test.images.shape)")
        let configuration = FeatureClassifierConfiguration(imageShape: train.imageShape, classCount: 10,
                                                           baseWidth: Int(env["LATENTOT_WIDTH"] ?? "16") ?? 16,
                                                           featureCount: Int(env["LATENTOT_FEATURES"] ?? "128") ?? 128)
        let model = try FeatureClassifier(configuration: configuration, seed: 0)
        let trainer = FeatureClassifierTrainer(model: model, configuration: .init(
            epochs: Int(env["LATENTOT_EPOCHS"] ?? "2") ?? 2, batchSize: Int(env["LATENTOT_BATCH"] ?? "128") ?? 128,
            learningRate: Double(env["LATENTOT_LR"] ?? "2e-3") ?? 2e-3,
            maximumImages: env["LATENTOT_LIMIT"].flatMap { Int($0) }, seed: 0))
        print("BENCH parameters \(model.parameterCount) cores \(Parallel.coreCount)")
        start = clock.now
        trainer.fit(images: train.images, labels: train.labels!, testImages: test.images, testLabels: test.labels!, epochEnd: { record in
            print(String(format: "BENCH epoch %d loss %.4f train acc %.4f test acc %.4f  %.1f s  %.0f images/s",
                         record.epoch, record.trainLoss, record.trainAccuracy, record.testAccuracy ?? .nan, record.seconds,
                         record.imagesPerSecond))
        })
        print("BENCH total with evaluation \((clock.now - start) / .seconds(1)) s")
        start = clock.now
        let features = model.features(test.images)
        print("BENCH features of \(test.count) test images: \((clock.now - start) / .seconds(1)) s, shape \(features.shape)")
    }
}

/// Opt-in: the image evaluation on Fashion-MNIST, timed.
///   LATENTOT_EVALUATION_BENCHMARK=1 swift test -c release --skip-build --filter EvaluationBenchmark
/// Optional: LATENTOT_DATASET, LATENTOT_MEMORISATION_LIMIT (training images searched).
@Suite struct EvaluationBenchmark {
    @Test(.enabled(if: ClassifierBenchmark.environment["LATENTOT_EVALUATION_BENCHMARK"] != nil))
    func evaluateCalibration() throws {
        let env = ClassifierBenchmark.environment
        let clock = ContinuousClock()
        var start = clock.now
        let splits = try NamedDataset.resolve(env["LATENTOT_DATASET"] ?? "fashion-mnist").load()
        let train = splits.train, test = splits.test!
        let model = try FeatureClassifier(configuration: .init(imageShape: train.imageShape), seed: 0)
        FeatureClassifierTrainer(model: model, configuration: .recommended(imageCount: train.count)).fit(images: train.images, labels: train.labels!)
        print("BENCH classifier trained in \((clock.now - start) / .seconds(1)) s")
        start = clock.now
        let evaluation = ImageEvaluation(classifier: model, trainingImages: train.images, testImages: test.images, testLabels: test.labels,
                                         settings: .init(memorisationTrainingCount: env["LATENTOT_MEMORISATION_LIMIT"].flatMap { Int($0) }))
        print("BENCH evaluation init \((clock.now - start) / .seconds(1)) s; accuracy \(evaluation.classifierTestAccuracy ?? -1)")
        let (real, blurred) = evaluation.calibration()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        for report in [real, blurred] { print("BENCH " + String(decoding: try encoder.encode(report), as: UTF8.self)) }
        // Copies of training images: memorisation must be near 1.
        let copies = evaluation.evaluate(train.images.rows(0..<2000), label: "training copies")
        print("BENCH copies memorisation \(copies.memorisation) feature \(copies.featureMemorisation) FD \(copies.frechetDistance) in \(copies.seconds) s")
        var noiseRng = SeededGenerator(seed: 5)
        let noise = Tensor(shape: [2000] + train.imageShape, scalars: (0..<(2000 * train.imageSize)).map { _ in noiseRng.nextUnitFloat() })
        let noiseReport = evaluation.evaluate(noise, label: "uniform noise")
        print("BENCH noise FD \(noiseReport.frechetDistance) P \(noiseReport.precision) R \(noiseReport.recall) classes \(noiseReport.classHistogram)")
    }
}
