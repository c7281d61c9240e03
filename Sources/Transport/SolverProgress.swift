/// What the solver reports to its progress closure after every step.
public struct SolverProgress: Sendable {
    /// The step just taken.
    public var record: SolverRecord
    /// The most recent independent evaluation, if any so far.
    public var latestEvaluation: CellErrorEstimate?
    /// `maxIterations` of the solver.
    public var maxIterations: Int
    /// True on the last report of a solve.
    public var isFinal: Bool
}
