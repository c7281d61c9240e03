/// Why a solve stopped.
public enum StopReason: String, Codable, Sendable, CaseIterable {
    /// An evaluation on fresh points met the tolerance (`hasConverged` is true).
    case toleranceReached
    /// `maxIterations` steps were taken.
    case iterationLimit
    /// `timeBudget` seconds elapsed.
    case timeBudget
    /// The learning rate decayed below `minimumLearningRate` with the point count at its maximum:
    /// the solver cannot make further progress at these settings.
    case stalled
}
