/// What the Adam iterations (`SemiDiscreteSolver.adamIterations`) need from a solve, whether one
/// process holds every target (`SolveSession`) or each rank of a group holds a slice of them
/// (DistributedTransport's session). Every sum over targets happens inside the context, in one
/// left-to-right order, so the loop takes the same steps, bit for bit, however the targets are split.
public protocol AdamSolveContext: AnyObject {
    /// What the context's collective operations throw (`Never` in one process).
    associatedtype Failure: Error

    /// The solver's settings (its Adam and stopping fields).
    var settings: SemiDiscreteSolver { get }
    /// `M`, the targets of the whole problem.
    var targetCount: Int { get }
    /// `ν_i` of the targets whose heights this context holds, in order.
    var localWeights: [Double] { get }
    /// `targetSpread · source.coordinateScale`: the unit `learningRate` is relative to.
    var heightScale: Double { get }

    /// Whether the time budget is spent (agreed by every rank).
    func timeIsUp() throws(Failure) -> Bool
    /// Marks the start of a step (for per-step accounting such as bytes sent).
    func beginStep()
    /// Counts the cells of the next `count` training points for `heights`: the local counts, and
    /// the estimate and energy of all targets.
    func trainingStep(count: Int, heights: [Double]) throws(Failure) -> AdamStepSample
    /// The estimate of all targets from counts pooled over several steps (local counts in).
    func estimate(counts: [Int], sampleCount: Int) throws(Failure) -> CellErrorEstimate
    /// An independent estimate of `heights` on fresh evaluation points.
    func evaluate(_ heights: [Double], step: Int) throws(Failure) -> CellErrorEstimate
    /// `h - mean(h)`, the mean taken over all targets.
    func centred(_ heights: [Double]) throws(Failure) -> [Double]
    /// Keeps a finished step's record (and reports progress unless `isFinal`).
    func append(_ record: SolverRecord, isFinal: Bool)
}

/// One step's training sample as the Adam loop sees it.
public struct AdamStepSample: Sendable {
    /// Points in each of this context's cells.
    public var counts: [Int]
    /// `N`, the points counted.
    public var pointCount: Int
    /// The cell error of all targets on these points.
    public var estimate: CellErrorEstimate
    /// `E(h)` on these points: mean potential minus `Σ ν_i h_i`.
    public var energy: Double

    public init(counts: [Int], pointCount: Int, estimate: CellErrorEstimate, energy: Double) {
        self.counts = counts
        self.pointCount = pointCount
        self.estimate = estimate
        self.energy = energy
    }
}

/// Where the Adam iterations ended.
public struct AdamOutcome: Sendable {
    /// The context's centred heights.
    public var heights: [Double]
    public var hasConverged: Bool
    public var stopReason: StopReason
    /// Steps taken in all (earlier stages' included).
    public var steps: Int
    /// Points per step and learning rate at the end (after the stall rule's changes).
    public var pointsPerStep: Int
    public var learningRate: Double
}
