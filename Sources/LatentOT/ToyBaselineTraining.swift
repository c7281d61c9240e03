/// How a toy baseline (GAN or neural potential) was trained, for `report.json`: its settings, its
/// size, the time it took and where its losses ended. The settings are the full configuration, so
/// the run can be repeated from the report alone.
public struct ToyBaselineTraining: Codable, Equatable, Sendable {
    /// `gan` or `neural-potential`.
    public var generator: String
    /// Wall-clock seconds of training (depends on the machine; the samples do not).
    public var seconds: Double
    /// Training steps done (GAN: generator updates; neural potential: mini-batch OT problems).
    public var steps: Int
    /// Trainable parameters of every network of the baseline.
    public var parameterCount: Int
    /// The GAN's settings (nil for the neural potential).
    public var gan: ToyGAN.Configuration?
    /// The neural potential's settings (nil for the GAN).
    public var neuralPotential: NeuralPotentialGenerator.Configuration?
    /// Mean losses over the last 100 steps (GAN: `discriminator`, `generator`; neural potential:
    /// `regressionError`, `transportCost`): whether training had settled, not a quality score.
    public var finalLosses: [String: Double]
    /// The training set: "the M targets of the toy" (the points the OT map is solved on).
    public var trainingSet: String
}
