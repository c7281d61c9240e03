/// The `k` best targets of each point (see `PowerCells.topK`), row-major `count × k`, best first.
public struct TopKAssignment: Sendable, Equatable {
    public var k: Int
    /// Target indices; -1 in slots beyond the number of targets.
    public var indices: [Int32]
    /// Scores `<x, y_i> + h_i` in decreasing order; -∞ in empty slots.
    public var scores: [Float]

    /// The number of points.
    public var count: Int { k > 0 ? indices.count / k : 0 }

    /// Indices of point `p`, best first.
    public func indices(ofPoint p: Int) -> ArraySlice<Int32> { indices[(p * k)..<((p + 1) * k)] }
    /// Scores of point `p`, best first.
    public func scores(ofPoint p: Int) -> ArraySlice<Float> { scores[(p * k)..<((p + 1) * k)] }
}
