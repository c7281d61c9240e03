import NeuralNet
import Datasets
import Transport

/// Everything a `latentot train` run was asked for (`model.json`): re-running with the same
/// configuration resumes; a different one is refused rather than mixed into the same folder.
public struct PipelineConfiguration: Codable, Equatable, Sendable {
    public var version: Int = 1
    public var dataset: String
    /// Only the first `trainLimit` training images were used (nil: all), and at most
    /// max(trainLimit, 10,000) held-out test images (`DataLoading.heldOutTestCap`).
    public var trainLimit: Int?
    public var autoencoder: AutoencoderConfiguration
    public var training: AutoencoderTrainer.Configuration
    public var solver: SemiDiscreteSolver
    public var source: SourceDistribution
    /// Baselines trained alongside: "vae" and "neural-potential" (`GeneratorChoice` raw values; the
    /// Gaussian baseline needs no training).
    public var baselines: [String]
    /// Settings of the neural-potential baseline (nil: the defaults, see `neuralPotentialConfiguration`).
    public var neuralPotential: NeuralPotentialGenerator.Configuration?
    /// Epochs of the VAE baseline (nil: the autoencoder's `training.epochs`).
    public var vaeEpochs: Int?
    /// Body of the VAE baseline (nil: the autoencoder's architecture).
    public var vaeArchitecture: Architecture?
    /// The sharpening stage after the decoder (nil: none). Post-processing: changing it retrains nothing.
    public var sharpening: ImageSharpening?
    public var seed: UInt64

    public init(dataset: String, trainLimit: Int? = nil, autoencoder: AutoencoderConfiguration, training: AutoencoderTrainer.Configuration,
                solver: SemiDiscreteSolver, source: SourceDistribution, baselines: [String],
                neuralPotential: NeuralPotentialGenerator.Configuration? = nil, vaeEpochs: Int? = nil,
                vaeArchitecture: Architecture? = nil, sharpening: ImageSharpening? = nil, seed: UInt64) {
        self.dataset = dataset
        self.trainLimit = trainLimit
        self.autoencoder = autoencoder
        self.training = training
        self.solver = solver
        self.source = source
        self.baselines = baselines
        self.neuralPotential = neuralPotential
        self.vaeEpochs = vaeEpochs
        self.vaeArchitecture = vaeArchitecture
        self.sharpening = sharpening
        self.seed = seed
    }

    /// Loads the model's dataset as it was trained on (same image shape, split and limit).
    public func loadDataset() throws -> (train: ImageDataset, test: ImageDataset) {
        let shape = autoencoder.imageShape
        return try DataLoading.load(dataset, imageSize: shape[1], channels: shape[0], seed: seed, trainLimit: trainLimit)
    }

    /// Whether `other` asks for the same data, autoencoder, map and seed, whatever its baselines and
    /// sharpening: a model folder takes other baselines (or other baseline settings, or another
    /// sharpening) without retraining the rest.
    public func hasSameModel(as other: PipelineConfiguration) -> Bool {
        var aligned = other
        // A folder written before paths were stored absolute names the same data relatively.
        if NamedDataset.canonical(other.dataset) == NamedDataset.canonical(dataset) { aligned.dataset = dataset }
        aligned.baselines = baselines
        aligned.neuralPotential = neuralPotential
        aligned.vaeEpochs = vaeEpochs
        aligned.vaeArchitecture = vaeArchitecture
        aligned.sharpening = sharpening
        return aligned == self
    }

    /// Whether the model has the baseline `generator` (`vae` or `neural-potential`).
    public func hasBaseline(_ generator: GeneratorChoice) -> Bool { baselines.contains(generator.rawValue) }

    /// The neural-potential baseline's configuration: `neuralPotential`, or the defaults on codes of
    /// the autoencoder's dimension with the run's seed.
    public var neuralPotentialConfiguration: NeuralPotentialGenerator.Configuration {
        neuralPotential ?? NeuralPotentialGenerator.Configuration(dimension: autoencoder.latentDimension, seed: seed)
    }

    /// The VAE baseline's training: the autoencoder's settings with `vaeEpochs` and no perceptual
    /// term (a VAE is the baseline as published: pixel likelihood and KL).
    public var vaeTraining: AutoencoderTrainer.Configuration {
        var configuration = training
        configuration.epochs = vaeEpochs ?? training.epochs
        configuration.perceptualWeight = 0
        return configuration
    }

    /// The VAE baseline's configuration: the same code dimension, the body of `vaeArchitecture`
    /// (default: the autoencoder's).
    public var vaeConfiguration: AutoencoderConfiguration {
        var configuration = autoencoder
        configuration.kind = .vae
        configuration.architecture = vaeArchitecture ?? autoencoder.architecture
        return configuration
    }
}

/// Names of the files and folders of a model.
public enum ModelFiles {
    public static let configuration = "model.json"
    public static let autoencoder = "autoencoder/"
    public static let transport = "transport/"
    public static let vae = "vae/"
    public static let neuralPotential = "neural-potential/"
    public static let evaluation = "evaluation/"
    public static let summary = "report.json"
}
