import Foundation

/// The body of an autoencoder's encoder and decoder.
public enum Architecture: String, Codable, Sendable, CaseIterable {
    /// Dense c·h·w-512-256-d, ReLU, linear code; mirrored decoder; sigmoid output.
    case mlp
    /// DCGAN-like convolutions with BatchNorm and LeakyReLU (28×28 and 64×64 images).
    case conv
}

/// A plain autoencoder, or a variational one on the same bodies (the baseline).
public enum ModelKind: String, Codable, Sendable, CaseIterable {
    case autoencoder
    case vae
}

/// Everything needed to rebuild a model from its files (this, as config.json, plus the
/// safetensors weights).
public struct AutoencoderConfiguration: Codable, Equatable, Sendable {
    public var architecture: Architecture
    /// [channels, height, width].
    public var imageShape: [Int]
    public var latentDimension: Int
    /// Channels of the first convolution (conv only): widths f, 2f, 4f (28×28) or f, 2f, 4f, 8f (64×64).
    public var baseWidth: Int
    public var kind: ModelKind

    public init(architecture: Architecture, imageShape: [Int], latentDimension: Int, baseWidth: Int = 32,
                kind: ModelKind = .autoencoder) {
        self.architecture = architecture
        self.imageShape = imageShape
        self.latentDimension = latentDimension
        self.baseWidth = baseWidth
        self.kind = kind
    }

    enum CodingKeys: String, CodingKey { case architecture, imageShape, latentDimension, baseWidth, kind }

    /// `baseWidth` and `kind` may be omitted (32 and autoencoder).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decode(Architecture.self, forKey: .architecture)
        imageShape = try c.decode([Int].self, forKey: .imageShape)
        latentDimension = try c.decode(Int.self, forKey: .latentDimension)
        baseWidth = try c.decodeIfPresent(Int.self, forKey: .baseWidth) ?? 32
        kind = try c.decodeIfPresent(ModelKind.self, forKey: .kind) ?? .autoencoder
    }

    /// Scalars per image (saturating at `Int.max` for absurd shapes).
    public var imageSize: Int { saturatingProduct(imageShape) }

    /// Parameters plus running statistics of the model (encoder and decoder), computed without
    /// allocating them (saturating at `Int.max`): a loader compares it with the weights file first.
    /// Call after `validate()`.
    public var storedScalarCount: Int {
        let (encoder, decoder) = Architectures.layers(self)
        return saturatingSum(encoder.storedScalarCount, decoder.storedScalarCount)
    }

    /// How a fresh model of this configuration draws its weights when none is asked for.
    ///
    /// The mlp autoencoder uses He (N(0, 2/fanIn), zero biases). On Fashion-MNIST (d = 32, 15 epochs,
    /// batch 128, Adam 1e-3) its test BCE is 210.97 mean over seeds 1–5 (210.65–211.35), against
    /// 212.29 (212.11–212.54) with PyTorch's default U(±1/√fanIn); PyTorch itself gives 212.25 over six
    /// seeds with its default and 210.77 over three with He, so the gain is the initialisation's.
    /// Everything else (conv, and the VAE baseline) keeps PyTorch's defaults, which their reference
    /// figures were measured with.
    public var defaultInitialization: Initialization {
        architecture == .mlp && kind == .autoencoder ? .he : .pytorch
    }

    /// Throws `NeuralNetError.invalidConfiguration` naming the field when the model cannot be built.
    public func validate() throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw NeuralNetError.invalidConfiguration(field: "imageShape", value: "\(imageShape)",
                                                      reason: "expected [channels, height, width], all positive")
        }
        guard imageSize <= 1 << 28 else {
            throw NeuralNetError.invalidConfiguration(field: "imageShape", value: "\(imageShape)",
                                                      reason: "expected at most 2^28 scalars per image")
        }
        guard latentDimension > 0 && latentDimension <= 65536 else {
            throw NeuralNetError.invalidConfiguration(field: "latentDimension", value: "\(latentDimension)",
                                                      reason: "expected 1...65536")
        }
        if architecture == .conv {
            guard baseWidth > 0 && baseWidth <= 4096 else {
                throw NeuralNetError.invalidConfiguration(field: "baseWidth", value: "\(baseWidth)", reason: "expected 1...4096")
            }
            let side = imageShape[1]
            guard imageShape[1] == imageShape[2], side == 28 || side == 64 else {
                throw NeuralNetError.invalidConfiguration(field: "imageShape", value: "\(imageShape)",
                                                          reason: "the conv architecture takes 28×28 or 64×64 images; resize, or use mlp")
            }
        }
    }

    /// Pretty, sorted JSON (config.json).
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try! encoder.encode(self)
    }
}

/// The layer stacks of each architecture. The encoder maps [n, c, h, w] to [n, codeOutputs]
/// (d for an autoencoder, 2d — mean and log-variance — for a VAE); the decoder maps [n, d] to
/// logits [n, c, h, w] (the final sigmoid is applied by the model, or folded into the BCE loss).
public enum Architectures {
    public static func layers(_ configuration: AutoencoderConfiguration) -> (encoder: [Layer], decoder: [Layer]) {
        let d = configuration.latentDimension
        let codeOutputs = configuration.kind == .vae ? 2 * d : d
        let c = configuration.imageShape[0], h = configuration.imageShape[1], w = configuration.imageShape[2]
        let f = configuration.baseWidth
        switch configuration.architecture {
        case .mlp:
            let size = c * h * w
            return ([Flatten(), Dense(inputSize: size, outputSize: 512), ReLU(), Dense(inputSize: 512, outputSize: 256), ReLU(),
                     Dense(inputSize: 256, outputSize: codeOutputs)],
                    [Dense(inputSize: d, outputSize: 256), ReLU(), Dense(inputSize: 256, outputSize: 512), ReLU(),
                     Dense(inputSize: 512, outputSize: size), Reshape([c, h, w])])
        case .conv where h == 28:
            // METHOD.md §5 reference: 28 → 14 → 7 → 4, every convolution stride 2, padding 1.
            return ([Conv2D(inputChannels: c, outputChannels: f, kernelSize: 4, stride: 2, padding: 1), LeakyReLU(slope: 0.2),
                     Conv2D(inputChannels: f, outputChannels: 2 * f, kernelSize: 4, stride: 2, padding: 1), BatchNorm(featureCount: 2 * f), LeakyReLU(slope: 0.2),
                     Conv2D(inputChannels: 2 * f, outputChannels: 4 * f, kernelSize: 3, stride: 2, padding: 1), BatchNorm(featureCount: 4 * f), LeakyReLU(slope: 0.2),
                     Flatten(), Dense(inputSize: 4 * f * 16, outputSize: codeOutputs)],
                    [Dense(inputSize: d, outputSize: 4 * f * 16), BatchNorm(featureCount: 4 * f * 16), ReLU(), Reshape([4 * f, 4, 4]),
                     ConvTranspose2D(inputChannels: 4 * f, outputChannels: 2 * f, kernelSize: 3, stride: 2, padding: 1), BatchNorm(featureCount: 2 * f), ReLU(),
                     ConvTranspose2D(inputChannels: 2 * f, outputChannels: f, kernelSize: 4, stride: 2, padding: 1), BatchNorm(featureCount: f), ReLU(),
                     ConvTranspose2D(inputChannels: f, outputChannels: c, kernelSize: 4, stride: 2, padding: 1)])
        case .conv:
            // 64×64, the CelebA setting of the AE-OT code: 4×4 stride-2 convolutions 64 → 32 → 16 → 8 → 4,
            // widths f, 2f, 4f, 8f, BatchNorm from the second block, LeakyReLU 0.1; a 4×4 valid
            // convolution to the (linear) code. The decoder mirrors it with ConvTranspose2D, BatchNorm, ReLU.
            var encoder: [Layer] = [Conv2D(inputChannels: c, outputChannels: f, kernelSize: 4, stride: 2, padding: 1), LeakyReLU(slope: 0.1)]
            for (from, to) in [(f, 2 * f), (2 * f, 4 * f), (4 * f, 8 * f)] {
                encoder += [Conv2D(inputChannels: from, outputChannels: to, kernelSize: 4, stride: 2, padding: 1),
                            BatchNorm(featureCount: to), LeakyReLU(slope: 0.1)]
            }
            encoder += [Conv2D(inputChannels: 8 * f, outputChannels: codeOutputs, kernelSize: 4), Flatten()]
            var decoder: [Layer] = [Reshape([d, 1, 1]), ConvTranspose2D(inputChannels: d, outputChannels: 8 * f, kernelSize: 4),
                                    BatchNorm(featureCount: 8 * f), ReLU()]
            for (from, to) in [(8 * f, 4 * f), (4 * f, 2 * f), (2 * f, f)] {
                decoder += [ConvTranspose2D(inputChannels: from, outputChannels: to, kernelSize: 4, stride: 2, padding: 1),
                            BatchNorm(featureCount: to), ReLU()]
            }
            decoder.append(ConvTranspose2D(inputChannels: f, outputChannels: c, kernelSize: 4, stride: 2, padding: 1))
            return (encoder, decoder)
        }
    }
}
