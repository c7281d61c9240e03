/// How a baseline (the toy GAN, or the neural potential on toy targets or autoencoder codes) was
/// trained, for a `report.json`: its settings, its size, the time it took, why it stopped and where
/// its losses ended. The settings are the full configuration, so the run can be repeated from the
/// report alone.
public struct BaselineTraining: Codable, Equatable, Sendable {
    /// `gan` or `neural-potential`.
    public var generator: String
    /// Wall-clock seconds of training (depends on the machine; with a step stop the samples do not).
    public var seconds: Double
    /// Training steps done (GAN: generator updates; neural potential: mini-batch OT problems).
    public var steps: Int
    /// "steps" (the configured count was reached: reproducible) or "time budget" (stopped early:
    /// the result depends on the machine's speed).
    public var stopReason: String
    /// Trainable parameters of every network of the baseline.
    public var parameterCount: Int
    /// The GAN's settings (nil for the neural potential).
    public var gan: ToyGAN.Configuration?
    /// The neural potential's settings (nil for the GAN).
    public var neuralPotential: NeuralPotentialGenerator.Configuration?
    /// Mean losses over the last 100 steps (GAN: `discriminator`, `generator`; neural potential:
    /// `regressionError`, `transportCost`): whether training had settled, not a quality score.
    public var finalLosses: [String: Double]
    /// What it was trained on, e.g. "the 1024 targets of the toy".
    public var trainingSet: String

    static func mean(_ values: some Collection<Double>) -> Double { values.reduce(0, +) / Double(max(1, values.count)) }

    /// The record of a trained GAN.
    public init(gan: ToyGAN, seconds: Double, trainingSet: String) {
        let tail = gan.records.suffix(100)
        let counts = gan.parameterCounts
        self.init(generator: ToyGenerator.gan.rawValue, seconds: seconds, steps: gan.step, stopReason: "steps",
                  parameterCount: counts.generator + counts.discriminator, gan: gan.configuration, neuralPotential: nil,
                  finalLosses: ["discriminator": Self.mean(tail.map(\.discriminatorLoss)), "generator": Self.mean(tail.map(\.generatorLoss))],
                  trainingSet: trainingSet)
    }

    /// The record of a trained neural potential.
    public init(neuralPotential potential: NeuralPotentialGenerator, seconds: Double, trainingSet: String) {
        let tail = potential.records.suffix(100)
        self.init(generator: ToyGenerator.neuralPotential.rawValue, seconds: seconds, steps: potential.step,
                  stopReason: potential.stoppedByTimeBudget ? "time budget" : "steps",
                  parameterCount: potential.potentialNetwork.store.parameterCount, gan: nil, neuralPotential: potential.configuration,
                  finalLosses: ["regressionError": Self.mean(tail.map(\.regressionError)), "transportCost": Self.mean(tail.map(\.transportCost))],
                  trainingSet: trainingSet)
    }

    public init(generator: String, seconds: Double, steps: Int, stopReason: String, parameterCount: Int, gan: ToyGAN.Configuration?,
                neuralPotential: NeuralPotentialGenerator.Configuration?, finalLosses: [String: Double], trainingSet: String) {
        self.generator = generator
        self.seconds = seconds
        self.steps = steps
        self.stopReason = stopReason
        self.parameterCount = parameterCount
        self.gan = gan
        self.neuralPotential = neuralPotential
        self.finalLosses = finalLosses
        self.trainingSet = trainingSet
    }
}
