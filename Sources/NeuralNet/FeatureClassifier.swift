import Foundation
import TensorModule

/// Everything needed to rebuild a `FeatureClassifier` (saved as JSON in the safetensors metadata).
///
/// The architecture, for images [c, h, w] and base width f:
///
///   Conv 3×3 stride 1 (c → f), BatchNorm, ReLU                          (h × w)
///   Conv 3×3 stride 2 (f → 2f), BatchNorm, ReLU                         (⌈h/2⌉ × ⌈w/2⌉)
///   Conv 3×3 stride 2 (2f → 4f), BatchNorm, ReLU                        (28 → 14 → 7)
///   … more stride-2 convolutions at width 4f while the smaller side exceeds `maximumFinalSide` (64 → 32 → 16 → 8)
///   Flatten, Dense (4f·h'·w' → featureCount), BatchNorm, ReLU         ← the features
///   Dense (featureCount → classCount)                                   ← the logits
///
/// The flatten is sized from the input, so any image of at least 8 × 8 pixels works (28×28 grey,
/// 64×64 RGB, ...).
public struct FeatureClassifierConfiguration: Codable, Equatable, Sendable {
    /// [channels, height, width] of the images.
    public var imageShape: [Int]
    public var classCount: Int
    /// Channels of the first convolution; later blocks use 2f and 4f.
    public var baseWidth: Int
    /// Width of the penultimate layer: the feature space of the image metrics.
    public var featureCount: Int
    /// Stride-2 blocks are added until the smaller side is at most this (and there are at least two).
    public var maximumFinalSide: Int

    public init(imageShape: [Int], classCount: Int = 10, baseWidth: Int = 16, featureCount: Int = 128,
                maximumFinalSide: Int = 8) {
        self.imageShape = imageShape
        self.classCount = classCount
        self.baseWidth = baseWidth
        self.featureCount = featureCount
        self.maximumFinalSide = maximumFinalSide
    }

    /// Scalars per image.
    public var imageSize: Int { imageShape.reduce(1, *) }

    /// Throws `NeuralNetError.invalidConfiguration` naming the field when the model cannot be built.
    public func validate() throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw NeuralNetError.invalidConfiguration(field: "imageShape", value: "\(imageShape)",
                                                      reason: "expected [channels, height, width], all positive")
        }
        guard imageShape[1] >= 8 && imageShape[2] >= 8 else {
            throw NeuralNetError.invalidConfiguration(field: "imageShape", value: "\(imageShape)",
                                                      reason: "the classifier needs images of at least 8×8 pixels")
        }
        guard classCount >= 2 && classCount <= 100_000 else {
            throw NeuralNetError.invalidConfiguration(field: "classCount", value: "\(classCount)", reason: "expected 2...100000")
        }
        guard baseWidth >= 1 && baseWidth <= 1024 else {
            throw NeuralNetError.invalidConfiguration(field: "baseWidth", value: "\(baseWidth)", reason: "expected 1...1024")
        }
        guard featureCount >= 2 && featureCount <= 65536 else {
            throw NeuralNetError.invalidConfiguration(field: "featureCount", value: "\(featureCount)", reason: "expected 2...65536")
        }
        guard maximumFinalSide >= 2 else {
            throw NeuralNetError.invalidConfiguration(field: "maximumFinalSide", value: "\(maximumFinalSide)", reason: "expected ≥ 2")
        }
    }

    /// Pretty, sorted JSON.
    public func jsonData() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try! encoder.encode(self)
    }

    /// The feature extractor's layers (images → features) and the head (features → logits).
    func layers() -> (body: [Layer], head: [Layer]) {
        let c = imageShape[0], f = baseWidth
        var height = imageShape[1], width = imageShape[2]
        var body: [Layer] = [Conv2D(inputChannels: c, outputChannels: f, kernelSize: 3, stride: 1, padding: 1),
                             BatchNorm(featureCount: f), ReLU()]
        var channels = f, blocks = 0
        while blocks < 2 || min(height, width) > maximumFinalSide {
            let next = min(4 * f, 2 * channels)
            body += [Conv2D(inputChannels: channels, outputChannels: next, kernelSize: 3, stride: 2, padding: 1),
                     BatchNorm(featureCount: next), ReLU()]
            channels = next
            height = (height + 1) / 2
            width = (width + 1) / 2
            blocks += 1
        }
        body += [Flatten(), Dense(inputSize: channels * height * width, outputSize: featureCount),
                 BatchNorm(featureCount: featureCount), ReLU()]
        return (body, [Dense(inputSize: featureCount, outputSize: classCount)])
    }
}

/// A small convolutional classifier whose penultimate layer is the feature space of LatentOT's image
/// metrics (Fréchet distance, precision and recall, memorisation): an in-tool stand-in for the
/// Inception network of FID, trained on the labelled training images of the dataset at hand.
///
/// Weights and BatchNorm statistics live in one `ParameterStore` ("body.*" then "head.*"); inference
/// (`features`, `logits`, `predict`) uses the running statistics. Train it with `FeatureClassifierTrainer`.
public final class FeatureClassifier {
    public let configuration: FeatureClassifierConfiguration
    public let store = ParameterStore()
    /// Images [n, c, h, w] → features [n, featureCount].
    public let body: Sequential
    /// Features → logits [n, classCount].
    public let head: Sequential

    /// Builds the classifier of `configuration` with weights drawn from `seed` (He initialisation:
    /// ReLU network).
    public init(configuration: FeatureClassifierConfiguration, seed: UInt64 = 0, initialization: Initialization = .he) throws {
        try configuration.validate()
        self.configuration = configuration
        let (bodyLayers, headLayers) = configuration.layers()
        body = Sequential(bodyLayers)
        head = Sequential(headLayers)
        var generator = SeededGenerator(seed: seed)
        body.register(in: store, prefix: "body.", initialization: initialization, using: &generator)
        head.register(in: store, prefix: "head.", initialization: initialization, using: &generator)
    }

    public var imageShape: [Int] { configuration.imageShape }
    public var featureCount: Int { configuration.featureCount }
    public var classCount: Int { configuration.classCount }
    public var parameterCount: Int { store.parameterCount }

    func checkImages(_ images: Tensor, _ function: String) {
        precondition(images.rank == 4 && Array(images.shape.dropFirst()) == imageShape,
                     "FeatureClassifier.\(function): images \(images.shape), expected [n] + \(imageShape)")
    }

    /// Runs `body` on consecutive batches of `images` in inference mode and concatenates the outputs.
    func batched(_ images: Tensor, batchSize: Int, outputSize: Int, _ run: (Activation, LayerContext) -> Activation) -> Tensor {
        precondition(batchSize > 0, "FeatureClassifier: batchSize must be positive, got \(batchSize)")
        let n = images.shape[0], inSize = configuration.imageSize
        var result = [Float](repeating: 0, count: n * outputSize)
        images.scalars.withUnsafeBufferPointer { source in
            result.withUnsafeMutableBufferPointer { target in
                store.withContext(.inference) { context in
                    var start = 0
                    while start < n {
                        let count = min(batchSize, n - start)
                        let input = Activation(shape: [count] + imageShape,
                                               pointer: UnsafeMutablePointer(mutating: source.baseAddress! + start * inSize))
                        let output = run(input, context)
                        precondition(output.count == count * outputSize, "FeatureClassifier: output \(output.shape)")
                        (target.baseAddress! + start * outputSize).update(from: output.pointer, count: output.count)
                        start += count
                    }
                }
            }
        }
        return Tensor(shape: [n, outputSize], scalars: result)
    }

    /// Penultimate-layer features [n, featureCount] of images [n, c, h, w] (inference mode; after
    /// the ReLU, so non-negative).
    public func features(_ images: Tensor, batchSize: Int = 256) -> Tensor {
        checkImages(images, "features")
        return batched(images, batchSize: batchSize, outputSize: featureCount) { x, context in body.forward(x, context) }
    }

    /// Class logits [n, classCount] (inference mode).
    public func logits(_ images: Tensor, batchSize: Int = 256) -> Tensor {
        checkImages(images, "logits")
        return batched(images, batchSize: batchSize, outputSize: classCount) { x, context in
            head.forward(body.forward(x, context), context)
        }
    }

    /// Features and logits in one pass.
    public func featuresAndLogits(_ images: Tensor, batchSize: Int = 256) -> (features: Tensor, logits: Tensor) {
        checkImages(images, "featuresAndLogits")
        let f = featureCount, k = classCount
        let both = batched(images, batchSize: batchSize, outputSize: f + k) { x, context in
            let features = body.forward(x, context)
            let logits = head.forward(features, context)
            let n = x.batchSize
            let out = combined.activation([n, f + k])
            for i in 0..<n {
                (out.pointer + i * (f + k)).update(from: features.pointer + i * f, count: f)
                (out.pointer + i * (f + k) + f).update(from: logits.pointer + i * k, count: k)
            }
            return out
        }
        let n = images.shape[0]
        var features = [Float](repeating: 0, count: n * f), logits = [Float](repeating: 0, count: n * k)
        for i in 0..<n {
            for j in 0..<f { features[i * f + j] = both.scalars[i * (f + k) + j] }
            for j in 0..<k { logits[i * k + j] = both.scalars[i * (f + k) + f + j] }
        }
        return (Tensor(shape: [n, f], scalars: features), Tensor(shape: [n, k], scalars: logits))
    }
    private let combined = Workspace()

    /// The most likely class of each image (ties to the smaller index).
    public func predict(_ images: Tensor, batchSize: Int = 256) -> [Int] {
        FeatureClassifier.argmax(logits(images, batchSize: batchSize))
    }

    /// Fraction of `images` whose predicted class equals the label.
    public func accuracy(images: Tensor, labels: [Int], batchSize: Int = 256) -> Double {
        precondition(images.shape.first == labels.count, "FeatureClassifier.accuracy: \(images.shape.first ?? 0) images, \(labels.count) labels")
        guard !labels.isEmpty else { return 0 }
        let predicted = predict(images, batchSize: batchSize)
        return Double(zip(predicted, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Row-wise argmax of logits [n, k].
    public static func argmax(_ logits: Tensor) -> [Int] {
        precondition(logits.rank == 2, "FeatureClassifier.argmax: logits \(logits.shape)")
        let n = logits.shape[0], k = logits.shape[1]
        return (0..<n).map { i in
            var best = 0
            for c in 1..<max(1, k) where logits.scalars[i * k + c] > logits.scalars[i * k + best] { best = c }
            return best
        }
    }

    // MARK: Parameters I/O

    /// Every parameter and running statistic as (name, shape, scalars), in registration order.
    public func parameterTensors() -> [(name: String, shape: [Int], scalars: [Float])] { store.namedTensors() }

    /// The weights as a safetensors file, the configuration JSON in `__metadata__["config"]` and
    /// `__metadata__["format"] = "latentot-classifier"`.
    public func safetensorsData() -> Data {
        let config = String(decoding: configuration.jsonData(), as: UTF8.self)
        return Safetensors.encode(tensors: parameterTensors(), metadata: ["config": config, "format": "latentot-classifier"])
    }

    /// Replaces every parameter and running statistic by `tensors`, checking that the names are
    /// exactly the architecture's, every shape matches and every value is finite. Nothing changes
    /// when an error is thrown.
    public func loadParameters(from tensors: [String: Tensor], source: String) throws {
        try store.replaceAll(with: tensors, source: source)
    }

    /// `loadParameters` from the bytes of a safetensors file.
    public func loadParameters(from data: Data, source: String) throws {
        try loadParameters(from: Safetensors.decode(data, source: source), source: source)
    }

    /// Rebuilds a classifier from a file written by `safetensorsData()`: the configuration from the
    /// metadata, then the weights.
    /// - Throws: `NeuralNetError` naming `source` when the metadata lacks the configuration, it does
    ///   not decode or validate, or the tensors do not fit it.
    public static func load(from data: Data, source: String) throws -> FeatureClassifier {
        let (tensors, metadata) = try Safetensors.decodeWithMetadata(data, source: source)
        guard let text = metadata["config"] else {
            throw NeuralNetError.invalidHeader(source: source, field: "__metadata__.config",
                                               reason: "missing: not a file written by FeatureClassifier.safetensorsData()")
        }
        let configuration: FeatureClassifierConfiguration
        do {
            configuration = try JSONDecoder().decode(FeatureClassifierConfiguration.self, from: Data(text.utf8))
        } catch {
            throw NeuralNetError.invalidHeader(source: source, field: "__metadata__.config",
                                               reason: "not a classifier configuration (\(error))")
        }
        let classifier = try FeatureClassifier(configuration: configuration)
        try classifier.loadParameters(from: tensors, source: source)
        return classifier
    }
}

extension ParameterStore {
    /// Replaces every entry by the tensor of the same name after checking all of them: names
    /// exactly the store's, shapes equal, values finite. Nothing changes when an error is thrown.
    public func replaceAll(with tensors: [String: Tensor], source: String) throws {
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
            setValues(tensors[entry.name]!.scalars, of: entry.name)
        }
    }
}
