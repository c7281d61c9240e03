import Foundation
import TensorModule

/// A variational autoencoder on the same bodies (Kingma & Welling 2014), the baseline AE-OT is
/// compared with. The encoder outputs [μ, log σ²] ∈ R^{2d}; training samples z = μ + σ·ε, ε ~ N(0, I)
/// from the trainer's seeded generator (reparameterisation) and minimises
/// reconstruction + klWeight·(1/n) Σ ½(μ² + σ² - 1 - log σ²). Generation decodes z ~ N(0, I).
public final class VariationalAutoencoder: AutoencoderModel {
    private let noise = Workspace()    // ε [n, d]
    private let codes = Workspace()    // z [n, d]
    private let encoderGradient = Workspace() // d[μ, log σ²] [n, 2d]

    public override init(configuration: AutoencoderConfiguration, seed: UInt64 = 0, initialization: Initialization? = nil) throws {
        guard configuration.kind == .vae else {
            throw NeuralNetError.invalidConfiguration(field: "kind", value: configuration.kind.rawValue,
                                                      reason: "VariationalAutoencoder builds kind vae; use Autoencoder")
        }
        try super.init(configuration: configuration, seed: seed, initialization: initialization)
    }

    public convenience init(architecture: Architecture, imageShape: [Int], latentDimension: Int, baseWidth: Int = 32,
                            seed: UInt64 = 0, initialization: Initialization? = nil) throws {
        try self.init(configuration: AutoencoderConfiguration(architecture: architecture, imageShape: imageShape,
                                                              latentDimension: latentDimension, baseWidth: baseWidth, kind: .vae),
                      seed: seed, initialization: initialization)
    }

    /// Means and log-variances [n, d] of the approximate posteriors, inference mode.
    public func encodeDistribution(_ images: Tensor, batchSize: Int = 256) -> (mean: Tensor, logVariance: Tensor) {
        checkImages(images, "encodeDistribution")
        let d = latentDimension
        let both = batched(images, batchSize: batchSize, outputShape: [2 * d]) { x, context in encoder.forward(x, context) }
        let n = images.shape[0]
        var mean = [Float](repeating: 0, count: n * d), logVariance = mean
        for i in 0..<n {
            for j in 0..<d {
                mean[i * d + j] = both.scalars[i * 2 * d + j]
                logVariance[i * d + j] = both.scalars[i * 2 * d + d + j]
            }
        }
        return (Tensor(shape: [n, d], scalars: mean), Tensor(shape: [n, d], scalars: logVariance))
    }

    /// The posterior means [n, d] (the codes LatentOT transports into).
    public func encode(_ images: Tensor, batchSize: Int = 256) -> Tensor { encodeDistribution(images, batchSize: batchSize).mean }

    /// Images decoded from `count` codes drawn from the prior N(0, I).
    public func sample<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> Tensor {
        let codes = Tensor(shape: [count, latentDimension],
                           scalars: (0..<(count * latentDimension)).map { _ in Float(generator.nextGaussian()) })
        return decode(codes)
    }

    /// Inference loss: reconstruction at z = μ, plus the KL term.
    override func lossOnBatch(_ x: Activation, _ context: LayerContext, settings: LossSettings) -> StepLoss {
        let d = latentDimension
        let h = encoder.forward(x, context)
        let n = h.batchSize
        let z = codes.activation([n, d])
        for i in 0..<n { (z.pointer + i * d).update(from: h.pointer + i * 2 * d, count: d) }
        let logits = decoder.forward(z, context)
        let (reconstruction, _) = reconstructionLoss(logits, x.pointer, context, settings.reconstruction, gradient: false)
        let kl = Loss.gaussianKL(mean: h.pointer, logVariance: h.pointer + d, batchSize: n, dimension: d, weight: settings.klWeight,
                                 addingMeanGradientTo: nil, logVarianceGradientTo: nil, stride: 2 * d)
        return StepLoss(total: reconstruction + kl, reconstruction: reconstruction)
    }

    public override func trainingStep(_ images: Activation, settings: LossSettings, generator: inout SeededGenerator) -> StepLoss {
        precondition(Array(images.shape.dropFirst()) == imageShape, "trainingStep: images \(images.shape), expected [n] + \(imageShape)")
        let d = latentDimension
        return store.withContext(.training) { context in
            let h = encoder.forward(images, context) // [n, 2d] = [μ, log σ²]
            let n = h.batchSize
            let eps = noise.activation([n, d]), z = codes.activation([n, d])
            for i in 0..<(n * d) { eps.pointer[i] = Float(generator.nextGaussian()) }
            for i in 0..<n {
                for j in 0..<d {
                    let mu = h.pointer[i * 2 * d + j], logVariance = h.pointer[i * 2 * d + d + j]
                    z.pointer[i * d + j] = mu + Foundation.exp(0.5 * logVariance) * eps.pointer[i * d + j]
                }
            }
            let logits = decoder.forward(z, context)
            let (reconstruction, dLogits) = reconstructionLoss(logits, images.pointer, context, settings.reconstruction, gradient: true)
            let dz = decoder.backward(dLogits!, context)
            let dh = encoderGradient.activation([n, 2 * d])
            // dμ = dz, dlog σ² = dz·ε·½σ, plus the KL gradients.
            for i in 0..<n {
                for j in 0..<d {
                    let g = dz.pointer[i * d + j], logVariance = h.pointer[i * 2 * d + d + j]
                    dh.pointer[i * 2 * d + j] = g
                    dh.pointer[i * 2 * d + d + j] = g * eps.pointer[i * d + j] * 0.5 * Foundation.exp(0.5 * logVariance)
                }
            }
            let kl = Loss.gaussianKL(mean: h.pointer, logVariance: h.pointer + d, batchSize: n, dimension: d,
                                     weight: settings.klWeight, addingMeanGradientTo: dh.pointer,
                                     logVarianceGradientTo: dh.pointer + d, stride: 2 * d)
            var top = context
            top.needsInputGradient = false
            _ = encoder.backward(dh, top)
            return StepLoss(total: reconstruction + kl, reconstruction: reconstruction)
        }
    }
}

/// Builds the model a configuration describes (either kind), weights drawn from `seed` following
/// `initialization` (nil: `configuration.defaultInitialization`).
public func makeAutoencoderModel(_ configuration: AutoencoderConfiguration, seed: UInt64 = 0,
                                 initialization: Initialization? = nil) throws -> AutoencoderModel {
    switch configuration.kind {
    case .autoencoder: return try Autoencoder(configuration: configuration, seed: seed, initialization: initialization)
    case .vae: return try VariationalAutoencoder(configuration: configuration, seed: seed, initialization: initialization)
    }
}

extension AutoencoderModel {
    /// Codes [n, d]: the autoencoder's codes, or the VAE's posterior means.
    public func codes(_ images: Tensor, batchSize: Int = 256) -> Tensor {
        if let model = self as? Autoencoder { return model.encode(images, batchSize: batchSize) }
        return (self as! VariationalAutoencoder).encode(images, batchSize: batchSize)
    }
}
