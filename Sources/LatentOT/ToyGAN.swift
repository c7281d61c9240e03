import Foundation
import TensorModule
import NeuralNet
import Datasets

/// A generative adversarial network on low-dimensional points (Goodfellow et al. 2014), the
/// baseline that shows mode collapse on the toy mixtures beside the OT map's full coverage.
///
/// Generator G: noise z ~ N(0, I_noiseDimension) → MLP → point in R^dataDimension.
/// Discriminator D: point → MLP → one logit s (probability σ(s) that the point is real).
/// Each step, with batches of `batchSize` real points x and noise z:
///   discriminator: minimise  −(1/B) Σ log σ(D(x)) − (1/B) Σ log(1 − σ(D(G(z))))
///   generator (non-saturating): minimise  −(1/B) Σ log σ(D(G(z')))  with fresh noise z'
/// both by Adam (β₁ = 0.5, β₂ = 0.999 by default, as DCGAN). The generator's gradient flows through D
/// by D's input gradient (its backward pass with dL/ds), then through G.
///
/// Deterministic: the weights come from `seed`, the noise and real batches from generators derived
/// from `seed` (`SeededGenerator.stream`), and the layers combine parallel work in a fixed order.
public final class ToyGAN {
    public struct Configuration: Codable, Equatable, Sendable {
        public var dataDimension: Int
        public var noiseDimension: Int
        public var hiddenWidth: Int
        /// Hidden layers of each network.
        public var hiddenLayers: Int
        public var activation: HiddenActivation
        public var steps: Int
        public var batchSize: Int
        public var learningRate: Double
        public var beta1: Double
        public var beta2: Double
        /// Discriminator updates per generator update.
        public var discriminatorSteps: Int
        public var seed: UInt64

        public init(dataDimension: Int = 2, noiseDimension: Int = 4, hiddenWidth: Int = 128, hiddenLayers: Int = 3,
                    activation: HiddenActivation = .relu, steps: Int = 3000, batchSize: Int = 256, learningRate: Double = 1e-3,
                    beta1: Double = 0.5, beta2: Double = 0.999, discriminatorSteps: Int = 1, seed: UInt64 = 0) {
            self.dataDimension = dataDimension
            self.noiseDimension = noiseDimension
            self.hiddenWidth = hiddenWidth
            self.hiddenLayers = hiddenLayers
            self.activation = activation
            self.steps = steps
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.beta1 = beta1
            self.beta2 = beta2
            self.discriminatorSteps = discriminatorSteps
            self.seed = seed
        }
    }

    /// Losses of one step.
    public struct StepRecord: Codable, Equatable, Sendable {
        /// 1-based step.
        public var step: Int
        /// Discriminator loss (real + fake binary cross-entropies), before its update.
        public var discriminatorLoss: Double
        /// Non-saturating generator loss, before its update.
        public var generatorLoss: Double
    }

    public let configuration: Configuration
    let generator: Perceptron
    let discriminator: Perceptron
    public private(set) var step = 0
    public private(set) var records: [StepRecord] = []
    private var noiseGenerator: SeededGenerator
    private var dataGenerator: SeededGenerator

    public init(configuration: Configuration = Configuration()) {
        let c = configuration
        precondition(c.dataDimension >= 1 && c.noiseDimension >= 1 && c.hiddenWidth >= 1 && c.hiddenLayers >= 0,
                     "ToyGAN: invalid sizes \(c)")
        precondition(c.steps >= 0 && c.batchSize >= 1 && c.discriminatorSteps >= 1 && c.learningRate > 0,
                     "ToyGAN: invalid training settings \(c)")
        self.configuration = configuration
        generator = Perceptron(inputSize: c.noiseDimension, hiddenWidth: c.hiddenWidth, hiddenLayers: c.hiddenLayers,
                               outputSize: c.dataDimension, activation: c.activation, learningRate: c.learningRate,
                               beta1: c.beta1, beta2: c.beta2, seed: ToyGAN.derivedSeed(c.seed, label: 0x6A1))
        discriminator = Perceptron(inputSize: c.dataDimension, hiddenWidth: c.hiddenWidth, hiddenLayers: c.hiddenLayers,
                                   outputSize: 1, activation: c.activation, learningRate: c.learningRate,
                                   beta1: c.beta1, beta2: c.beta2, seed: ToyGAN.derivedSeed(c.seed, label: 0x6A2))
        noiseGenerator = SeededGenerator.stream(seed: c.seed, label: 0x6A3)
        dataGenerator = SeededGenerator.stream(seed: c.seed, label: 0x6A4)
    }

    /// A seed for a network's initial weights, derived from the run's seed and a label.
    static func derivedSeed(_ seed: UInt64, label: UInt64) -> UInt64 {
        var rng = SeededGenerator.stream(seed: seed, label: label)
        return rng.next()
    }

    /// Trainable parameters of the generator and the discriminator.
    public var parameterCounts: (generator: Int, discriminator: Int) {
        (generator.store.parameterCount, discriminator.store.parameterCount)
    }

    /// Trains on fresh samples of `distribution` each step until `configuration.steps` are done.
    @discardableResult
    public func train(on distribution: ToyDistribution, progress: (StepRecord) -> Void = { _ in }) -> [StepRecord] {
        precondition(configuration.dataDimension == ToyDistribution.dimension,
                     "ToyGAN.train: the toys are \(ToyDistribution.dimension)-D, the GAN is \(configuration.dataDimension)-D")
        return train(progress: progress) { count, rng in distribution.sampleTensor(count: count, using: &rng) }
    }

    /// Trains on batches drawn uniformly with replacement from `points` (flat row-major, rows of
    /// `dataDimension`): the same finite training set the OT map is solved on.
    @discardableResult
    public func train(points: [Float], progress: (StepRecord) -> Void = { _ in }) -> [StepRecord] {
        let d = configuration.dataDimension
        precondition(!points.isEmpty && points.count % d == 0, "ToyGAN.train: \(points.count) values for rows of \(d)")
        let rows = points.count / d
        return train(progress: progress) { count, rng in
            var batch = [Float](repeating: 0, count: count * d)
            for i in 0..<count {
                let r = Shuffle.uniformIndex(below: rows, using: &rng)
                for j in 0..<d { batch[i * d + j] = points[r * d + j] }
            }
            return Tensor(shape: [count, d], scalars: batch)
        }
    }

    /// The training loop on real batches from `realBatch(count, &generator)`.
    func train(progress: (StepRecord) -> Void, realBatch: (Int, inout SeededGenerator) -> Tensor) -> [StepRecord] {
        let b = configuration.batchSize
        while step < configuration.steps {
            var discriminatorLoss = 0.0
            for _ in 0..<configuration.discriminatorSteps {
                let real = realBatch(b, &dataGenerator)
                let fake = generator.forward(noise(count: b, using: &noiseGenerator))
                discriminator.zeroGradients()
                let realLoss = discriminator.forwardBackward(real) { ToyGAN.binaryCrossEntropy($0, target: 1) }.value
                let fakeLoss = discriminator.forwardBackward(fake) { ToyGAN.binaryCrossEntropy($0, target: 0) }.value
                discriminator.step()
                discriminatorLoss = realLoss + fakeLoss
            }
            generator.zeroGradients()
            let z = noise(count: b, using: &noiseGenerator)
            let generatorLoss = generator.forwardBackwardChained(z) { points in
                let (value, gradient) = discriminator.forwardBackward(points) { ToyGAN.binaryCrossEntropy($0, target: 1) }
                return (value, gradient)
            }
            generator.step()
            step += 1
            let record = StepRecord(step: step, discriminatorLoss: discriminatorLoss, generatorLoss: generatorLoss)
            records.append(record)
            progress(record)
        }
        return records
    }

    /// Mean binary cross-entropy of logits [n, 1] against a constant target, and its gradient.
    static func binaryCrossEntropy(_ logits: Tensor, target: Float) -> (Double, Tensor) {
        Loss.binaryCrossEntropy(logits: logits, targets: Tensor(repeating: target, shape: logits.shape))
    }

    /// Standard normal noise [count, noiseDimension].
    func noise(count: Int, using rng: inout some RandomNumberGenerator) -> Tensor {
        Tensor(shape: [count, configuration.noiseDimension],
               scalars: (0..<(count * configuration.noiseDimension)).map { _ in Float(rng.nextGaussian()) })
    }

    /// `count` generated points, flat row-major [count × dataDimension], from noise drawn from `rng`.
    public func sample(count: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
        precondition(count >= 0, "ToyGAN.sample: count must be ≥ 0, got \(count)")
        guard count > 0 else { return [] }
        return generator.forward(noise(count: count, using: &rng)).scalars
    }

    /// The discriminator's probabilities σ(D(x)) that the points (flat, rows of `dataDimension`) are real.
    public func discriminate(_ points: [Float]) -> [Float] {
        let d = configuration.dataDimension
        precondition(points.count % d == 0, "ToyGAN.discriminate: \(points.count) values for rows of \(d)")
        return discriminator.forward(Tensor(shape: [points.count / d, d], scalars: points)).scalars.map { sigmoid($0) }
    }
}
