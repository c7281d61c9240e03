/// The result of `SemiDiscreteSolver.solve`: the heights and everything needed to judge them.
public struct SemiDiscreteSolution: Codable, Sendable {
    /// Centred heights `h` (`Σ h_i = 0`), one per target: the potential `u_h(x) = max_i <x,y_i> + h_i`.
    public var heights: [Double]
    /// Whether the final evaluation met the solver's tolerance.
    public var hasConverged: Bool
    /// Why the solve stopped.
    public var stopReason: StopReason
    /// The method that ran (`.automatic` resolved).
    public var method: SolverMethod
    /// Steps taken.
    public var iterations: Int
    /// Wall-clock seconds of the solve, final evaluation included.
    public var seconds: Double
    /// `max_i |r_i|` of the returned heights on fresh evaluation points.
    public var maxRelativeError: Double
    /// Noise-corrected RMS relative cell error of the returned heights on fresh evaluation points.
    public var rmsRelativeError: Double
    /// Mean `|r_i|` of the returned heights on fresh evaluation points.
    public var meanRelativeError: Double
    /// The full final estimate (sample count, noise floor, empty cells, worst cell).
    public var evaluation: CellErrorEstimate
    /// Points per step and learning rate when the solve stopped (a warm start can continue from them).
    public var finalPointsPerStep: Int
    public var finalLearningRate: Double
    /// One record per step.
    public var history: [SolverRecord]

    /// The independent evaluations made during the solve, in order, with their step.
    public var evaluations: [(step: Int, estimate: CellErrorEstimate)] {
        history.compactMap { record in record.evaluation.map { (record.step, $0) } }
    }
}
