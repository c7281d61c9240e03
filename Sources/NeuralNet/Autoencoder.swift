import Foundation
import TensorModule

/// Reconstruction loss used in training.
public enum ReconstructionLoss: String, Codable, Sendable, CaseIterable {
    /// Binary cross-entropy from the decoder's logits (the sigmoid folded into the loss), summed
    /// over a sample's pixels, averaged over samples.
    case bce
    /// Squared error of the sigmoid output, summed over pixels, averaged over samples.
    case mse
}

/// Loss terms for one training or evaluation step.
public struct LossSettings: Equatable, Sendable {
    public var reconstruction: ReconstructionLoss
    /// Weight of the L1 penalty (1/n)Σ|z| on the codes (autoencoder).
    public var codeL1Weight: Double
    /// Weight of the KL term (VAE).
    public var klWeight: Double
    public init(reconstruction: ReconstructionLoss = .bce, codeL1Weight: Double = 0, klWeight: Double = 1) {
        self.reconstruction = reconstruction
        self.codeL1Weight = codeL1Weight
        self.klWeight = klWeight
    }
}

/// The value of one step: `total` is what is minimised, `reconstruction` the data term alone.
public struct StepLoss: Equatable, Sendable {
    public var total: Double
    public var reconstruction: Double
}

/// What `Autoencoder` and `VariationalAutoencoder` share: the configuration, the flat buffers, the
/// encoder and decoder stacks, batched inference and parameter I/O. Not meant to be subclassed
/// outside NeuralNet.
public class AutoencoderModel {
    public let configuration: AutoencoderConfiguration
    public let store = ParameterStore()
    /// [n, c, h, w] → [n, codeOutputs].
    public let encoder: Sequential
    /// [n, d] → logits [n, c, h, w].
    public let decoder: Sequential
    let outputSigmoid = Sigmoid()
    let lossGradient = Workspace()
    let inputCopy = Workspace()

    /// `initialization` nil: the configuration's `defaultInitialization`.
    init(configuration: AutoencoderConfiguration, seed: UInt64, initialization: Initialization?) throws {
        try configuration.validate()
        let initialization = initialization ?? configuration.defaultInitialization
        self.configuration = configuration
        let (encoderLayers, decoderLayers) = Architectures.layers(configuration)
        encoder = Sequential(encoderLayers)
        decoder = Sequential(decoderLayers)
        var generator = SeededGenerator(seed: seed)
        encoder.register(in: store, prefix: "encoder.", initialization: initialization, using: &generator)
        decoder.register(in: store, prefix: "decoder.", initialization: initialization, using: &generator)
    }

    public var latentDimension: Int { configuration.latentDimension }
    public var imageShape: [Int] { configuration.imageShape }
    public var parameterCount: Int { store.parameterCount }

    /// Runs `body` on batches of `tensor`'s rows (views, no copy) and concatenates the outputs.
    func batched(_ tensor: Tensor, batchSize: Int, outputShape: [Int], _ body: (Activation, LayerContext) -> Activation) -> Tensor {
        precondition(batchSize > 0, "batchSize must be positive")
        let n = tensor.shape[0], inSize = tensor.count / max(1, n), outSize = outputShape.reduce(1, *)
        var result = [Float](repeating: 0, count: n * outSize)
        tensor.scalars.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                store.withContext(.inference) { context in
                    var start = 0
                    while start < n {
                        let count = min(batchSize, n - start)
                        var shape = tensor.shape
                        shape[0] = count
                        let input = Activation(shape: shape, pointer: UnsafeMutablePointer(mutating: source.baseAddress! + start * inSize))
                        let output = body(input, context)
                        precondition(output.count == count * outSize, "batched: output \(output.shape), expected \(count)×\(outputShape)")
                        (target.baseAddress! + start * outSize).update(from: output.pointer, count: output.count)
                        start += count
                    }
                }
            }
        }
        return Tensor(shape: [n] + outputShape, scalars: result)
    }

    /// Images [n, c, h, w] in [0, 1] from codes [n, d]: the decoder then the sigmoid, inference mode.
    public func decode(_ codes: Tensor, batchSize: Int = 256) -> Tensor {
        precondition(codes.rank == 2 && codes.shape[1] == latentDimension,
                     "decode: codes \(codes.shape), expected [n, \(latentDimension)]")
        return batched(codes, batchSize: batchSize, outputShape: imageShape) { z, context in
            outputSigmoid.forward(decoder.forward(z, context), context)
        }
    }

    func checkImages(_ images: Tensor, _ function: String) {
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == imageShape,
                     "\(function): images \(images.shape), expected [n] + \(imageShape)")
    }

    /// Reconstruction loss (and total with penalties) over `images` in inference mode, the mean over images.
    public func evaluate(_ images: Tensor, settings: LossSettings, batchSize: Int = 256) -> StepLoss {
        checkImages(images, "evaluate")
        precondition(batchSize > 0, "evaluate: batchSize must be positive")
        var total = 0.0, reconstruction = 0.0
        let n = images.shape[0], size = configuration.imageSize
        images.scalars.withUnsafeBufferPointer { source in
            store.withContext(.inference) { context in
                var start = 0
                while start < n {
                    let count = min(batchSize, n - start)
                    let x = Activation(shape: [count] + imageShape,
                                       pointer: UnsafeMutablePointer(mutating: source.baseAddress! + start * size))
                    let loss = lossOnBatch(x, context, settings: settings)
                    total += loss.total * Double(count)
                    reconstruction += loss.reconstruction * Double(count)
                    start += count
                }
            }
        }
        return StepLoss(total: total / Double(max(1, n)), reconstruction: reconstruction / Double(max(1, n)))
    }

    /// Inference-mode loss of one batch (overridden by each kind).
    func lossOnBatch(_ x: Activation, _ context: LayerContext, settings: LossSettings) -> StepLoss { fatalError("abstract") }

    /// Forward and backward on one batch in training mode: accumulates dLoss/dθ into
    /// `store.gradients` (the caller zeroes them) and returns the loss. `generator` draws the VAE's noise.
    public func trainingStep(_ images: Activation, settings: LossSettings, generator: inout SeededGenerator) -> StepLoss {
        fatalError("abstract")
    }

    /// The reconstruction term and dLoss/dlogits for logits against targets (BCE on logits, or MSE after the sigmoid).
    func reconstructionLoss(_ logits: Activation, _ targets: UnsafePointer<Float>, _ context: LayerContext,
                            _ loss: ReconstructionLoss, gradient: Bool) -> (Double, Activation?) {
        let n = logits.batchSize, size = logits.sampleSize
        switch loss {
        case .bce:
            let g = gradient ? lossGradient.activation(logits.shape) : nil
            let value = Loss.binaryCrossEntropy(logits: logits.pointer, targets: targets, batchSize: n, sampleSize: size,
                                                gradient: g?.pointer)
            return (value, g)
        case .mse:
            let p = outputSigmoid.forward(logits, context)
            let g = gradient ? lossGradient.activation(logits.shape) : nil
            let value = Loss.meanSquaredError(predictions: p.pointer, targets: targets, batchSize: n, sampleSize: size,
                                              gradient: g?.pointer)
            guard let g else { return (value, nil) }
            return (value, outputSigmoid.backward(g, context))
        }
    }

    // MARK: Parameters I/O

    /// Every parameter and running statistic as (name, shape, scalars), in registration order.
    public func parameterTensors() -> [(name: String, shape: [Int], scalars: [Float])] { store.namedTensors() }

    /// The model's weights as a safetensors file (the configuration JSON in `__metadata__["config"]`).
    public func safetensorsData() -> Data {
        let config = String(decoding: configuration.jsonData(), as: UTF8.self)
        return Safetensors.encode(tensors: parameterTensors(), metadata: ["config": config, "format": "latentot"])
    }

    /// Replaces every parameter and running statistic by the tensors read from a file, checking that
    /// the names are exactly the architecture's, every shape matches and every value is finite.
    /// Nothing is changed when an error is thrown.
    public func loadParameters(from tensors: [String: Tensor], source: String) throws {
        let entries = store.entries
        let known = Set(entries.map(\.name))
        for entry in entries {
            guard let tensor = tensors[entry.name] else { throw NeuralNetError.missingTensor(source: source, tensor: entry.name) }
            guard tensor.shape == entry.shape else {
                throw NeuralNetError.shapeMismatch(source: source, tensor: entry.name, expected: entry.shape, found: tensor.shape)
            }
            if let index = tensor.scalars.firstIndex(where: { !$0.isFinite }) {
                throw NeuralNetError.nonFinite(source: source, tensor: entry.name, index: index)
            }
        }
        if let extra = tensors.keys.sorted().first(where: { !known.contains($0) }) {
            throw NeuralNetError.unexpectedTensor(source: source, tensor: extra)
        }
        for entry in entries {
            let scalars = tensors[entry.name]!.scalars
            switch entry.kind {
            case .parameter: store.parameters.replaceSubrange(entry.offset..<(entry.offset + entry.count), with: scalars)
            case .statistic: store.statistics.replaceSubrange(entry.offset..<(entry.offset + entry.count), with: scalars)
            }
        }
    }

    /// `loadParameters` from the bytes of a safetensors file.
    public func loadParameters(from data: Data, source: String) throws {
        try loadParameters(from: Safetensors.decode(data, source: source), source: source)
    }
}

/// A deterministic autoencoder: encoder → code z ∈ R^d → decoder → sigmoid.
/// Training minimises reconstruction + codeL1Weight·(1/n)Σ|z| (+ the perceptual term when set).
public final class Autoencoder: AutoencoderModel {
    /// Feature matching through a frozen classifier, added to the training loss when set (training only).
    public var perceptualLoss: PerceptualLoss?

    /// Builds the model of `configuration` (kind must be `.autoencoder`) with weights drawn from `seed`
    /// following `initialization` (nil: `configuration.defaultInitialization`).
    public override init(configuration: AutoencoderConfiguration, seed: UInt64 = 0, initialization: Initialization? = nil) throws {
        guard configuration.kind == .autoencoder else {
            throw NeuralNetError.invalidConfiguration(field: "kind", value: configuration.kind.rawValue,
                                                      reason: "Autoencoder builds kind autoencoder; use VariationalAutoencoder")
        }
        try super.init(configuration: configuration, seed: seed, initialization: initialization)
    }

    public convenience init(architecture: Architecture, imageShape: [Int], latentDimension: Int, baseWidth: Int = 32,
                            seed: UInt64 = 0, initialization: Initialization? = nil) throws {
        try self.init(configuration: AutoencoderConfiguration(architecture: architecture, imageShape: imageShape,
                                                              latentDimension: latentDimension, baseWidth: baseWidth),
                      seed: seed, initialization: initialization)
    }

    /// Codes [n, d] of images [n, c, h, w], inference mode.
    public func encode(_ images: Tensor, batchSize: Int = 256) -> Tensor {
        checkImages(images, "encode")
        return batched(images, batchSize: batchSize, outputShape: [latentDimension]) { x, context in encoder.forward(x, context) }
    }

    /// decode(encode(images)).
    public func reconstruct(_ images: Tensor, batchSize: Int = 256) -> Tensor {
        checkImages(images, "reconstruct")
        return batched(images, batchSize: batchSize, outputShape: imageShape) { x, context in
            outputSigmoid.forward(decoder.forward(encoder.forward(x, context), context), context)
        }
    }

    override func lossOnBatch(_ x: Activation, _ context: LayerContext, settings: LossSettings) -> StepLoss {
        let z = encoder.forward(x, context)
        let logits = decoder.forward(z, context)
        let (reconstruction, _) = reconstructionLoss(logits, x.pointer, context, settings.reconstruction, gradient: false)
        var total = reconstruction
        if settings.codeL1Weight != 0 {
            total += Loss.l1Penalty(codes: z.pointer, batchSize: z.batchSize, sampleSize: z.sampleSize,
                                    weight: settings.codeL1Weight, addingGradientTo: nil)
        }
        return StepLoss(total: total, reconstruction: reconstruction)
    }

    public override func trainingStep(_ images: Activation, settings: LossSettings, generator: inout SeededGenerator) -> StepLoss {
        precondition(Array(images.shape.dropFirst()) == imageShape, "trainingStep: images \(images.shape), expected [n] + \(imageShape)")
        return store.withContext(.training) { context in
            let z = encoder.forward(images, context)
            let logits = decoder.forward(z, context)
            let (reconstruction, dLogits) = reconstructionLoss(logits, images.pointer, context, settings.reconstruction, gradient: true)
            var total = reconstruction
            if let perceptualLoss, perceptualLoss.weight > 0 {
                total += perceptualLoss.value(logits: logits, targets: images.pointer, addingGradientTo: dLogits!.pointer)
            }
            let dz = decoder.backward(dLogits!, context)
            if settings.codeL1Weight != 0 {
                total += Loss.l1Penalty(codes: z.pointer, batchSize: z.batchSize, sampleSize: z.sampleSize,
                                        weight: settings.codeL1Weight, addingGradientTo: dz.pointer)
            }
            var top = context
            top.needsInputGradient = false
            _ = encoder.backward(dz, top)
            return StepLoss(total: total, reconstruction: reconstruction)
        }
    }
}
