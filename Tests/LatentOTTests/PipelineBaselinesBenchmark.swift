import Testing
import Foundation
import TensorModule
import NeuralNet
import Datasets
import Metrics
import LatentOT

/// Opt-in: the latent baselines on Fashion-MNIST codes, scored by ImageEvaluation.
///   LATENTOT_PIPELINE_BENCHMARK=1 swift test -c release --skip-build --filter PipelineBaselinesBenchmark
/// Optional: LATENTOT_EPOCHS (autoencoder, default 3), LATENTOT_STEPS (neural potential, default 2000).
/// Trains a conv autoencoder (d = 32), encodes the training set, then decodes 5,000 codes from:
/// training codes at random (what the pure OT map outputs), the Gaussian fitted to the codes, and the
/// neural potential; plus reconstructions of test images; and the calibration rows.
@Suite struct PipelineBaselinesBenchmark {
    /// Moments of generated codes against the codes (no decoding): |mean difference|, total
    /// variances, and the energy distance on 2,000 of each.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["LATENTOT_POTENTIAL_CODES"] != nil))
    func potentialOnCodes() throws {
        let env = ProcessInfo.processInfo.environment
        let cache = env["LATENTOT_CACHE"] ?? "/tmp/latentot-ae-d32.safetensors"
        let autoencoder = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 32, seed: 0)
        try autoencoder.loadParameters(from: try Data(contentsOf: URL(fileURLWithPath: cache)), source: cache)
        let train = try NamedDataset.resolve("fashion-mnist").load().train
        let codes = autoencoder.encode(train.images).scalars
        var configuration = NeuralPotentialGenerator.Configuration(dimension: 32, seed: 0)
        if let steps = env["LATENTOT_STEPS"].flatMap({ Int($0) }) { configuration.steps = steps }
        if let lr = env["LATENTOT_LR"].flatMap({ Double($0) }) { configuration.learningRate = lr }
        if let batch = env["LATENTOT_BATCH"].flatMap({ Int($0) }) { configuration.batchSize = batch }
        if let width = env["LATENTOT_WIDTH"].flatMap({ Int($0) }) { configuration.hiddenWidth = width }
        if let a = env["LATENTOT_ACTIVATION"].flatMap({ HiddenActivation(rawValue: $0) }) { configuration.activation = a }
        if let scaling = env["LATENTOT_SCALING"].flatMap({ NeuralPotentialGenerator.CodeScaling(rawValue: $0) }) { configuration.codeScaling = scaling }
        if let k = env["LATENTOT_K"].flatMap({ Double($0) }) { configuration.costScale = k }
        let potential = NeuralPotentialGenerator(configuration: configuration)
        let clock = ContinuousClock(), start = clock.now
        try potential.train(codes: codes)
        var rng = SeededGenerator(seed: 3)
        let generated = potential.sample(count: 2000, using: &rng)
        let gaussian = GaussianCodeModel(codes: codes, dimension: 32).sample(count: 2000, using: &rng)
        let real = Array(codes.prefix(2000 * 32)), other = Array(codes[(2000 * 32)..<(4000 * 32)])
        func moments(_ x: [Float]) -> (mean: [Double], variance: Double) {
            let (mean, covariance) = SymmetricMatrix.meanAndCovariance(x, dimension: 32)
            return (mean, (0..<32).reduce(0) { $0 + covariance[$1 * 32 + $1] })
        }
        let reference = moments(real)
        for (name, sample) in [("real", other), ("gaussian", gaussian), ("potential", generated)] {
            let m = moments(sample)
            let meanGap = zip(m.mean, reference.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
            print(String(format: "BENCH codes %@: |Δmean| %.3f, total variance %.2f (codes %.2f), energy distance %.4f, FD %.3f", name, meanGap, m.variance,
                         reference.variance, EnergyDistance.compute(sample, real, dimension: 32), FrechetDistance.compute(sample, real, dimension: 32)))
        }
        print("BENCH potential \(configuration.steps) steps in \((clock.now - start) / .seconds(1)) s")
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["LATENTOT_PIPELINE_BENCHMARK"] != nil))
    func latentBaselines() throws {
        let env = ProcessInfo.processInfo.environment
        let clock = ContinuousClock()
        func seconds(since start: ContinuousClock.Instant) -> Double { (clock.now - start) / .seconds(1) }
        let splits = try NamedDataset.resolve("fashion-mnist").load()
        let train = splits.train, test = splits.test!
        var start = clock.now
        let autoencoder = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 32, seed: 0)
        // LATENTOT_CACHE: a file to keep the trained autoencoder's weights in between runs.
        if let cache = env["LATENTOT_CACHE"], let data = FileManager.default.contents(atPath: cache) {
            try autoencoder.loadParameters(from: data, source: cache)
        } else {
            let trainer = AutoencoderTrainer(model: autoencoder, configuration: .init(epochs: Int(env["LATENTOT_EPOCHS"] ?? "3") ?? 3))
            trainer.fit(train: train.images, test: nil, epochEnd: { record, _ in
                print(String(format: "BENCH autoencoder epoch %d loss %.2f %.1f s", record.epoch, record.trainLoss, record.seconds))
            })
            if let cache = env["LATENTOT_CACHE"] { try autoencoder.safetensorsData().write(to: URL(fileURLWithPath: cache)) }
        }
        let codes = autoencoder.encode(train.images)
        print("BENCH autoencoder + encode \(seconds(since: start)) s")

        start = clock.now
        let classifier = try FeatureClassifier(configuration: .init(imageShape: [1, 28, 28]), seed: 0)
        FeatureClassifierTrainer(model: classifier, configuration: .recommended(imageCount: train.count)).fit(images: train.images, labels: train.labels!)
        let evaluation = ImageEvaluation(classifier: classifier, trainingImages: train.images, testImages: test.images, testLabels: test.labels)
        print("BENCH classifier + evaluation setup \(seconds(since: start)) s, accuracy \(evaluation.classifierTestAccuracy!)")

        var rows: [ImageEvaluationReport] = []
        let (real, blurred) = evaluation.calibration()
        rows += [real, blurred]
        rows.append(evaluation.evaluate(autoencoder.reconstruct(evaluation.heldOutImages), label: "reconstructed test"))
        var rng = SeededGenerator(seed: 1)
        let picked = (0..<5000).map { _ in Shuffle.uniformIndex(below: train.count, using: &rng) }
        rows.append(evaluation.evaluate(autoencoder.decode(codes.gatherRows(picked)), label: "training codes (pure map output)"))
        let gaussian = GaussianCodeModel(codes: codes.scalars, dimension: 32)
        rows.append(evaluation.evaluate(autoencoder.decode(Tensor(shape: [5000, 32], scalars: gaussian.sample(count: 5000, using: &rng))),
                                        label: "gaussian"))
        // LATENTOT_VARIANTS: activation:scaling pairs of the neural potential, e.g. "tanh:matched-spread,relu:maximum".
        for variant in (env["LATENTOT_VARIANTS"] ?? "tanh:matched-spread").split(separator: ",") {
            let parts = variant.split(separator: ":").map(String.init)
            var configuration = NeuralPotentialGenerator.Configuration(dimension: 32, steps: Int(env["LATENTOT_STEPS"] ?? "2000") ?? 2000, seed: 0)
            configuration.activation = HiddenActivation(rawValue: parts[0]) ?? .tanh
            configuration.codeScaling = parts.count > 1 ? NeuralPotentialGenerator.CodeScaling(rawValue: parts[1]) ?? .matchedSpread : .matchedSpread
            start = clock.now
            let potential = NeuralPotentialGenerator(configuration: configuration)
            try potential.train(codes: codes.scalars)
            print("BENCH neural potential \(variant) trained in \(seconds(since: start)) s")
            rows.append(evaluation.evaluate(autoencoder.decode(Tensor(shape: [5000, 32], scalars: potential.sample(count: 5000, using: &rng))),
                                            label: "neural potential \(variant)"))
        }
        print("BENCH | images | FD | precision | recall | classes | memorisation (pixel) | memorisation (feature) |")
        for r in rows {
            print(String(format: "BENCH | %@ | %.2f | %.3f | %.3f | %d | %.4f | %.4f |", r.label, r.frechetDistance, r.precision, r.recall,
                         r.classesCovered, r.memorisation, r.featureMemorisation))
        }
    }
}
