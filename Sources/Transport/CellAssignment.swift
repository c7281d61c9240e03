/// The top-2 assignment of a set of points (see `PowerCells.assign`), one entry per point.
public struct CellAssignment: Sendable, Equatable {
    /// `argmax_i <x, y_i> + h_i` (lowest index on ties).
    public var best: [Int32]
    /// The runner-up target, -1 when there is a single target.
    public var second: [Int32]
    /// `s_best - s_second ≥ 0` (+∞ with a single target).
    public var gap: [Float]
    /// `max_i <x, y_i> + h_i`, i.e. the Brenier potential `u_h(x)`.
    public var bestScore: [Float]
}
