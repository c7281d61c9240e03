import Foundation
import TensorModule

/// One epoch's figures, for reports and loss curves.
public struct EpochRecord: Codable, Equatable, Sendable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean over the epoch's batches of the minimised loss (reconstruction + penalties), training mode.
    public var trainLoss: Double
    /// Mean over batches of the reconstruction term alone, training mode.
    public var trainReconstructionLoss: Double
    /// Minimised loss on the test images after the epoch, inference mode (nil without a test set).
    public var testLoss: Double?
    /// Reconstruction loss on the test images (e.g. BCE summed over pixels, mean over images).
    public var testReconstructionLoss: Double?
    /// Learning rate of the epoch's last step.
    public var learningRate: Double
    /// Wall-clock seconds of the training pass (not the evaluation).
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// Everything needed to continue training exactly where an epoch ended: weights, running
/// statistics, Adam's moments and step, the noise generator and the records so far. Codable
/// (JSON with the big buffers as base64 little-endian bytes: Float32 weights, Float64 moments; about
/// 12 bytes per parameter), so the tool can checkpoint after each epoch.
public struct TrainerState: Codable, Equatable, Sendable {
    /// Completed epochs.
    public var epoch: Int
    public var modelConfiguration: AutoencoderConfiguration
    public var trainerConfiguration: AutoencoderTrainer.Configuration
    public var parameters: [Float]
    public var statistics: [Float]
    public var optimizer: Adam
    public var generator: SeededGenerator
    public var records: [EpochRecord]

    enum CodingKeys: String, CodingKey {
        case epoch, modelConfiguration, trainerConfiguration, parameters, statistics, optimizer, generator, records
    }
    enum OptimizerKeys: String, CodingKey {
        case learningRate, beta1, beta2, epsilon, weightDecay, biasCorrection, step, firstMoment, secondMoment
    }

    public init(epoch: Int, modelConfiguration: AutoencoderConfiguration, trainerConfiguration: AutoencoderTrainer.Configuration,
                parameters: [Float], statistics: [Float], optimizer: Adam, generator: SeededGenerator, records: [EpochRecord]) {
        self.epoch = epoch
        self.modelConfiguration = modelConfiguration
        self.trainerConfiguration = trainerConfiguration
        self.parameters = parameters
        self.statistics = statistics
        self.optimizer = optimizer
        self.generator = generator
        self.records = records
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        epoch = try c.decode(Int.self, forKey: .epoch)
        modelConfiguration = try c.decode(AutoencoderConfiguration.self, forKey: .modelConfiguration)
        trainerConfiguration = try c.decode(AutoencoderTrainer.Configuration.self, forKey: .trainerConfiguration)
        parameters = try TrainerState.floats(c.decode(Data.self, forKey: .parameters), key: .parameters, in: c)
        statistics = try TrainerState.floats(c.decode(Data.self, forKey: .statistics), key: .statistics, in: c)
        optimizer = try TrainerState.decodeOptimizer(c.nestedContainer(keyedBy: OptimizerKeys.self, forKey: .optimizer))
        generator = try c.decode(SeededGenerator.self, forKey: .generator)
        records = try c.decode([EpochRecord].self, forKey: .records)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(epoch, forKey: .epoch)
        try c.encode(modelConfiguration, forKey: .modelConfiguration)
        try c.encode(trainerConfiguration, forKey: .trainerConfiguration)
        try c.encode(TrainerState.bytes(parameters), forKey: .parameters)
        try c.encode(TrainerState.bytes(statistics), forKey: .statistics)
        var o = c.nestedContainer(keyedBy: OptimizerKeys.self, forKey: .optimizer)
        try o.encode(optimizer.learningRate, forKey: .learningRate)
        try o.encode(optimizer.beta1, forKey: .beta1)
        try o.encode(optimizer.beta2, forKey: .beta2)
        try o.encode(optimizer.epsilon, forKey: .epsilon)
        try o.encode(optimizer.weightDecay, forKey: .weightDecay)
        try o.encode(optimizer.biasCorrection, forKey: .biasCorrection)
        try o.encode(optimizer.step, forKey: .step)
        try o.encode(TrainerState.bytes(optimizer.firstMoment), forKey: .firstMoment)
        try o.encode(TrainerState.bytes(optimizer.secondMoment), forKey: .secondMoment)
        try c.encode(generator, forKey: .generator)
        try c.encode(records, forKey: .records)
    }

    /// Adam's state has no memberwise initialiser: rebuild it through its own Codable conformance.
    static func decodeOptimizer(_ o: KeyedDecodingContainer<OptimizerKeys>) throws -> Adam {
        func moments(_ key: OptimizerKeys) throws -> [Double] {
            let data = try o.decode(Data.self, forKey: key)
            guard data.count % 8 == 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: o, debugDescription: "\(data.count) bytes is not a whole number of float64")
            }
            let bytes = [UInt8](data)
            return (0..<(bytes.count / 8)).map { i in
                var bits: UInt64 = 0
                for b in 0..<8 { bits |= UInt64(bytes[8 * i + b]) << (8 * UInt64(b)) }
                return Double(bitPattern: bits)
            }
        }
        let first = try moments(.firstMoment), second = try moments(.secondMoment)
        guard first.count == second.count, (first + second).allSatisfy(\.isFinite) else {
            throw DecodingError.dataCorruptedError(forKey: .secondMoment, in: o, debugDescription: "moments of different lengths or not finite")
        }
        let fields: [String: Any] = [
            "learningRate": try o.decode(Double.self, forKey: .learningRate),
            "beta1": try o.decode(Double.self, forKey: .beta1),
            "beta2": try o.decode(Double.self, forKey: .beta2),
            "epsilon": try o.decode(Double.self, forKey: .epsilon),
            "weightDecay": try o.decode(Double.self, forKey: .weightDecay),
            "biasCorrection": try o.decode(Bool.self, forKey: .biasCorrection),
            "step": try o.decode(Int.self, forKey: .step),
            "firstMoment": first, "secondMoment": second,
        ]
        return try JSONDecoder().decode(Adam.self, from: JSONSerialization.data(withJSONObject: fields))
    }

    static func bytes(_ values: [Double]) -> Data {
        var data = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    static func bytes(_ values: [Float]) -> Data {
        var data = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    static func floats(_ data: Data, key: CodingKeys, in c: KeyedDecodingContainer<CodingKeys>) throws -> [Float] {
        guard data.count % 4 == 0 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(data.count) bytes is not a whole number of float32")
        }
        let bytes = [UInt8](data)
        return (0..<(bytes.count / 4)).map { i in
            Float(bitPattern: UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24)
        }
    }
}

/// Trains an `Autoencoder` or `VariationalAutoencoder` with Adam on mini-batches.
///
/// Determinism: epoch e's shuffle comes from `SeededGenerator.stream(seed:label:)` with label e, the
/// VAE's noise from one generator kept in the state, and every parallel reduction combines in a
/// fixed order; so the same seed gives the same weights, and a run resumed from a `TrainerState`
/// ends with exactly the weights of an uninterrupted run. The library never prints or writes files:
/// progress and checkpoints go through closures.
public final class AutoencoderTrainer {
    public struct Configuration: Codable, Equatable, Sendable {
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Double
        /// Cosine decay from `learningRate` to `minimumLearningRate` over all steps; constant otherwise.
        public var cosineSchedule: Bool
        public var minimumLearningRate: Double
        /// Decoupled (AdamW) weight decay.
        public var weightDecay: Double
        public var loss: ReconstructionLoss
        public var codeL1Weight: Double
        /// Weight of the KL term (VAE only).
        public var klWeight: Double
        public var seed: UInt64
        /// Weight of the perceptual (feature-matching) term, `PerceptualLoss` (autoencoder only; 0: none).
        public var perceptualWeight: Double
        /// Images of each batch in the perceptual term (nil: all).
        public var perceptualImages: Int?

        public init(epochs: Int = 15, batchSize: Int = 128, learningRate: Double = 1e-3, cosineSchedule: Bool = false,
                    minimumLearningRate: Double = 0, weightDecay: Double = 0, loss: ReconstructionLoss = .bce,
                    codeL1Weight: Double = 0, klWeight: Double = 1, seed: UInt64 = 0, perceptualWeight: Double = 0,
                    perceptualImages: Int? = nil) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.cosineSchedule = cosineSchedule
            self.minimumLearningRate = minimumLearningRate
            self.weightDecay = weightDecay
            self.loss = loss
            self.codeL1Weight = codeL1Weight
            self.klWeight = klWeight
            self.seed = seed
            self.perceptualWeight = perceptualWeight
            self.perceptualImages = perceptualImages
        }

        enum CodingKeys: String, CodingKey {
            case epochs, batchSize, learningRate, cosineSchedule, minimumLearningRate, weightDecay, loss, codeL1Weight, klWeight, seed
            case perceptualWeight, perceptualImages
        }

        /// Files written before `perceptualWeight` existed load with 0.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(epochs: try c.decode(Int.self, forKey: .epochs), batchSize: try c.decode(Int.self, forKey: .batchSize),
                      learningRate: try c.decode(Double.self, forKey: .learningRate),
                      cosineSchedule: try c.decode(Bool.self, forKey: .cosineSchedule),
                      minimumLearningRate: try c.decode(Double.self, forKey: .minimumLearningRate),
                      weightDecay: try c.decode(Double.self, forKey: .weightDecay),
                      loss: try c.decode(ReconstructionLoss.self, forKey: .loss),
                      codeL1Weight: try c.decode(Double.self, forKey: .codeL1Weight),
                      klWeight: try c.decode(Double.self, forKey: .klWeight), seed: try c.decode(UInt64.self, forKey: .seed),
                      perceptualWeight: try c.decodeIfPresent(Double.self, forKey: .perceptualWeight) ?? 0,
                      perceptualImages: try c.decodeIfPresent(Int.self, forKey: .perceptualImages))
        }

        public var lossSettings: LossSettings {
            LossSettings(reconstruction: loss, codeL1Weight: codeL1Weight, klWeight: klWeight)
        }
    }

    public let model: AutoencoderModel
    public let configuration: Configuration
    /// Completed epochs.
    public private(set) var epoch = 0
    public private(set) var optimizer: Adam
    public private(set) var generator: SeededGenerator
    public private(set) var records: [EpochRecord] = []
    private let batchBuffer = Workspace()

    public init(model: AutoencoderModel, configuration: Configuration = Configuration()) {
        precondition(configuration.batchSize >= 2, "AutoencoderTrainer: batchSize must be ≥ 2 (BatchNorm), got \(configuration.batchSize)")
        precondition(configuration.epochs >= 0, "AutoencoderTrainer: epochs must be ≥ 0")
        self.model = model
        self.configuration = configuration
        optimizer = Adam(parameterCount: model.parameterCount, learningRate: configuration.learningRate,
                         weightDecay: configuration.weightDecay)
        generator = SeededGenerator.stream(seed: configuration.seed, label: 0x7A3E)
    }

    /// The checkpoint of the current point.
    public var state: TrainerState {
        TrainerState(epoch: epoch, modelConfiguration: model.configuration, trainerConfiguration: configuration,
                     parameters: model.store.parameters, statistics: model.store.statistics, optimizer: optimizer,
                     generator: generator, records: records)
    }

    /// Continues from a checkpoint of the same model configuration (the trainer settings may differ
    /// only in `epochs`, so a run can be extended).
    public func restore(_ state: TrainerState) throws {
        guard state.modelConfiguration == model.configuration else {
            throw NeuralNetError.incompatibleState(field: "modelConfiguration", expected: "\(model.configuration)",
                                                   found: "\(state.modelConfiguration)")
        }
        var expected = configuration, found = state.trainerConfiguration
        expected.epochs = 0; found.epochs = 0
        guard expected == found else {
            throw NeuralNetError.incompatibleState(field: "trainerConfiguration", expected: "\(expected)", found: "\(found)")
        }
        guard state.parameters.count == model.store.parameters.count, state.optimizer.parameterCount == model.parameterCount else {
            throw NeuralNetError.incompatibleState(field: "parameters", expected: "\(model.parameterCount)",
                                                   found: "\(state.parameters.count)")
        }
        guard state.statistics.count == model.store.statistics.count else {
            throw NeuralNetError.incompatibleState(field: "statistics", expected: "\(model.store.statistics.count)",
                                                   found: "\(state.statistics.count)")
        }
        model.store.parameters = state.parameters
        model.store.statistics = state.statistics
        optimizer = state.optimizer
        generator = state.generator
        records = state.records
        epoch = state.epoch
    }

    /// Batches per epoch for `count` images (a last batch of fewer than 2 images is dropped: BatchNorm).
    public func batchesPerEpoch(_ count: Int) -> Int {
        let full = count / configuration.batchSize, rest = count % configuration.batchSize
        return full + (rest >= 2 ? 1 : 0)
    }

    /// The learning rate at optimiser step `step` (0-based).
    public func learningRate(atStep step: Int, imageCount: Int) -> Double {
        guard configuration.cosineSchedule else { return configuration.learningRate }
        let schedule = CosineSchedule(initial: configuration.learningRate, minimum: configuration.minimumLearningRate,
                                      totalSteps: configuration.epochs * batchesPerEpoch(imageCount))
        return schedule.learningRate(at: step)
    }

    /// The order of the images in epoch `epoch` (0-based): a Fisher–Yates shuffle from the seed.
    public func permutation(epoch: Int, count: Int) -> [Int] {
        var order = Array(0..<count)
        var rng = SeededGenerator.stream(seed: configuration.seed, label: UInt64(epoch))
        if count > 1 {
            for i in stride(from: count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        return order
    }

    /// One pass over `train` [n, c, h, w] in shuffled mini-batches, one Adam step each. Returns the
    /// batch-mean losses. `progress(batch, batches, loss, imagesPerSecond)` follows every batch
    /// (1-based batch, running mean loss).
    @discardableResult
    public func trainEpoch(_ train: Tensor,
                           progress: (_ batch: Int, _ batches: Int, _ loss: Double, _ imagesPerSecond: Double) -> Void = { _, _, _, _ in })
        -> StepLoss {
        precondition(train.rank == 4 && Array(train.shape.dropFirst()) == model.imageShape,
                     "trainEpoch: images \(train.shape), expected [n] + \(model.imageShape)")
        let n = train.shape[0], size = model.configuration.imageSize, batchSize = configuration.batchSize
        let batches = batchesPerEpoch(n)
        let order = permutation(epoch: epoch, count: n)
        let settings = configuration.lossSettings
        var total = 0.0, reconstruction = 0.0
        let clock = ContinuousClock(), start = clock.now
        var seen = 0
        train.scalars.withUnsafeBufferPointer { source in
            for b in 0..<batches {
                let lower = b * batchSize, count = min(batchSize, n - lower)
                let batch = batchBuffer.activation([count] + model.imageShape)
                for i in 0..<count {
                    (batch.pointer + i * size).update(from: source.baseAddress! + order[lower + i] * size, count: size)
                }
                model.store.zeroGradients()
                let loss = model.trainingStep(batch, settings: settings, generator: &generator)
                optimizer.learningRate = learningRate(atStep: optimizer.step, imageCount: n)
                optimizer.update(&model.store.parameters, gradient: model.store.gradients)
                total += loss.total
                reconstruction += loss.reconstruction
                seen += count
                let elapsed = (clock.now - start) / .seconds(1)
                progress(b + 1, batches, total / Double(b + 1), elapsed > 0 ? Double(seen) / elapsed : 0)
            }
        }
        epoch += 1
        return StepLoss(total: total / Double(max(1, batches)), reconstruction: reconstruction / Double(max(1, batches)))
    }

    /// Inference-mode losses over `images`, mean over images.
    public func evaluate(_ images: Tensor) -> StepLoss {
        model.evaluate(images, settings: configuration.lossSettings, batchSize: 256)
    }

    /// `fit` without a per-epoch callback.
    @discardableResult
    public func fit(train: Tensor, test: Tensor?,
                    progress: (_ batch: Int, _ batches: Int, _ loss: Double, _ imagesPerSecond: Double) -> Void = { _, _, _, _ in })
        -> [EpochRecord] {
        fit(train: train, test: test, progress: progress, epochEnd: { _, _ in })
    }

    /// Trains until `configuration.epochs` epochs are complete (continuing after `restore`).
    /// After each epoch, evaluates on `test` (when not empty) and calls `epochEnd(record, state)`;
    /// throwing from it stops training (e.g. a tool interrupted after saving its checkpoint).
    @discardableResult
    public func fit(train: Tensor, test: Tensor?,
                    progress: (_ batch: Int, _ batches: Int, _ loss: Double, _ imagesPerSecond: Double) -> Void = { _, _, _, _ in },
                    epochEnd: (EpochRecord, TrainerState) throws -> Void) rethrows -> [EpochRecord] {
        while epoch < configuration.epochs {
            let clock = ContinuousClock(), start = clock.now
            let loss = trainEpoch(train, progress: progress)
            let seconds = (clock.now - start) / .seconds(1)
            let testLoss = test.flatMap { $0.shape[0] > 0 ? evaluate($0) : nil }
            let record = EpochRecord(epoch: epoch, trainLoss: loss.total, trainReconstructionLoss: loss.reconstruction,
                                     testLoss: testLoss?.total, testReconstructionLoss: testLoss?.reconstruction,
                                     learningRate: optimizer.learningRate, seconds: seconds,
                                     imagesPerSecond: Double(train.shape[0]) / max(seconds, 1e-9))
            records.append(record)
            try epochEnd(record, state)
        }
        return records
    }
}
