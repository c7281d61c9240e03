import Foundation
import TensorModule
import NeuralNet
import Transport

/// Which generator produces images from a model folder.
public enum GeneratorChoice: String, Codable, Sendable, CaseIterable {
    /// The OT map in the autoencoder's latent space (pure or extended sampler): the method.
    case ot
    /// Baseline: a full-covariance Gaussian fitted to the codes, decoded by the same autoencoder.
    case gaussian
    /// Baseline: the VAE trained beside the autoencoder, sampled from its prior.
    case vae
    /// Baseline ("reading B" of the method): the neural potential trained on the same codes,
    /// T(x) = x − ∇D(x)/K for x uniform in the source box, decoded by the same autoencoder.
    case neuralPotential = "neural-potential"
}

/// A trained model folder, loaded: the autoencoder, the transport solution and the baselines.
public final class GenerativeModel {
    public let configuration: PipelineConfiguration
    public let autoencoder: AutoencoderModel
    public let transport: TransportSolutionFiles
    private let store: ArtifactStore
    private lazy var sampler = LatentSampler(solution: transport)
    /// Loaded on first use (`--generator neural-potential`, the evaluation).
    private var loadedNeuralPotential: NeuralPotentialGenerator?

    /// Loads every file a generator needs; errors name the missing or corrupt file.
    public init(store: ArtifactStore) throws {
        self.store = store
        configuration = try store.readJSON(PipelineConfiguration.self, named: ModelFiles.configuration)
        autoencoder = try AutoencoderFiles.load(from: store, prefix: ModelFiles.autoencoder)
        transport = try TransportSolutionFiles.load(from: store, prefix: ModelFiles.transport)
        guard transport.dimension == autoencoder.latentDimension else {
            throw LatentOTError.incompatible(store.describe(ModelFiles.transport + TransportSolutionFiles.codes),
                                             reason: "codes have dimension \(transport.dimension), the autoencoder \(autoencoder.latentDimension)")
        }
    }

    public var imageShape: [Int] { autoencoder.imageShape }

    /// Generated codes (OT, Gaussian or neural potential) in the autoencoder's latent space.
    public func codes(count: Int, generator: GeneratorChoice, sampler samplerChoice: SamplerChoice, seed: UInt64) throws -> GeneratedCodes {
        switch generator {
        case .ot:
            return try sampler.sample(count: count, sampler: samplerChoice, seed: seed)
        case .gaussian:
            var rng = SeededGenerator.stream(seed: seed, label: 0x6A55)
            let model = GaussianCodeModel(codes: transport.codes, dimension: transport.dimension)
            return GeneratedCodes(codes: model.sample(count: count, using: &rng), count: count, acceptanceRate: 1, angleThreshold: nil,
                                  bestTargets: [])
        case .neuralPotential:
            var rng = SeededGenerator.stream(seed: seed, label: 0xB0B)
            return GeneratedCodes(codes: try neuralPotential().sample(count: count, using: &rng), count: count, acceptanceRate: 1,
                                  angleThreshold: nil, bestTargets: [])
        case .vae:
            throw LatentOTError.invalidValue(field: "--generator vae", expected: "a generator with codes in the autoencoder's space", found: "vae")
        }
    }

    /// The neural-potential baseline, loaded from `neural-potential/` on first use.
    /// - Throws: `LatentOTError` when the model was trained without it, or its files are missing or corrupt.
    public func neuralPotential() throws -> NeuralPotentialGenerator {
        if let loadedNeuralPotential { return loadedNeuralPotential }
        guard configuration.hasBaseline(.neuralPotential) else {
            throw LatentOTError.invalidValue(field: "--generator neural-potential",
                                             expected: "a model trained with --baselines including neural-potential",
                                             found: "baselines [\(configuration.baselines.joined(separator: ", "))] in \(store.describe(ModelFiles.configuration))")
        }
        let potential = try NeuralPotentialFiles.load(from: store, prefix: ModelFiles.neuralPotential, dimension: autoencoder.latentDimension)
        loadedNeuralPotential = potential
        return potential
    }

    /// Images [n, c, h, w] of flat codes in the autoencoder's space: the decoder, then the model's
    /// sharpening stage when it has one.
    public func decode(_ codes: [Float]) -> Tensor {
        let images = autoencoder.decode(Tensor(shape: [codes.count / transport.dimension, transport.dimension], scalars: codes))
        return configuration.sharpening?.apply(images) ?? images
    }

    /// Generated images [count, c, h, w] in [0,1].
    public func images(count: Int, generator: GeneratorChoice, sampler samplerChoice: SamplerChoice, seed: UInt64) throws -> (images: Tensor, codes: GeneratedCodes?) {
        if generator == .vae {
            let vae = try AutoencoderFiles.load(from: store, prefix: ModelFiles.vae)
            guard let variational = vae as? VariationalAutoencoder else {
                throw LatentOTError.corruptFile(store.describe(ModelFiles.vae + AutoencoderFiles.configuration), reason: "not a VAE")
            }
            var rng = SeededGenerator.stream(seed: seed, label: 0x7AE)
            return (variational.sample(count: count, using: &rng), nil)
        }
        let generated = try codes(count: count, generator: generator, sampler: samplerChoice, seed: seed)
        return (decode(generated.codes), generated)
    }
}
