/// One step of a solve, as kept in `SemiDiscreteSolution.history`.
///
/// The errors are measured on the step's own points: a fresh block of the training sequence, counted
/// before the update, hence honest but noisy (`N = pointsPerStep`). `evaluation` holds the
/// independent estimate on fresh evaluation points, on the steps where one was made.
public struct SolverRecord: Codable, Sendable, Equatable {
    /// 1-based step number.
    public var step: Int
    /// The number of cells of the problem this step worked on: `M`, or fewer on the coarse levels
    /// of a multiscale solve (whose errors then refer to groups of targets).
    public var cellCount: Int
    /// `E(h) = (1/N) Σ_n max_i(<x_n, y_i> + h_i) - Σ_i ν_i h_i` on the step's points.
    public var energy: Double
    /// `max_i |r_i|` on the step's points.
    public var maxRelativeError: Double
    /// `(1/M) Σ_i |r_i|` on the step's points.
    public var meanRelativeError: Double
    /// Noise-corrected RMS of `r_i` on the step's points.
    public var rmsRelativeError: Double
    /// Cells that received none of the step's points.
    public var emptyCells: Int
    /// `N` for this step.
    public var pointsPerStep: Int
    /// The learning rate used by this step's update (relative to the height scale).
    public var learningRate: Double
    /// Seconds since the solve started, at the end of this step.
    public var seconds: Double
    /// The independent estimate on fresh evaluation points, when one was made after this step.
    public var evaluation: CellErrorEstimate?

    public init(step: Int, cellCount: Int, energy: Double, maxRelativeError: Double, meanRelativeError: Double,
                rmsRelativeError: Double, emptyCells: Int, pointsPerStep: Int, learningRate: Double, seconds: Double,
                evaluation: CellErrorEstimate?) {
        self.step = step
        self.cellCount = cellCount
        self.energy = energy
        self.maxRelativeError = maxRelativeError
        self.meanRelativeError = meanRelativeError
        self.rmsRelativeError = rmsRelativeError
        self.emptyCells = emptyCells
        self.pointsPerStep = pointsPerStep
        self.learningRate = learningRate
        self.seconds = seconds
        self.evaluation = evaluation
    }
}
