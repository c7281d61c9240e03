import Transport

/// The cell kernel over targets split across ranks: each rank runs `PowerCells` on its slice
/// (scores `<x, y_i> + h_i` with its own heights) and one allreduce per batch of points combines
/// the ranks' answers into the global one, identical on every rank:
///
/// - `assignBest`: MPI_MAXLOC on (best score, global index) pairs, 8 bytes per point. Ties go to
///   the lowest global index, as in the single-process kernel, so with bitwise equal scores the
///   winners are those of one process holding all targets.
/// - `assignTopTwo`: the two best targets per point, by a commutative merge of each rank's top two,
///   16 bytes per point.
///
/// - Complexity: O(N·(M/K)·d) flops per rank, O(N) bytes communicated per call.
public final class DistributedCells {
    public let partition: TargetPartition
    public let dimension: Int
    /// The kernel on this rank's targets (local indices `0 ..< partition.localCount`).
    public let cells: PowerCells
    let communicator: any Communicator

    /// - Parameter targets: this rank's targets, row-major `localCount × d`.
    public init(targets: [Float], dimension: Int, partition: TargetPartition, communicator: any Communicator) {
        precondition(targets.count == partition.localCount * dimension,
                     "DistributedCells: \(targets.count) values for \(partition.localCount) targets of dimension \(dimension)")
        self.partition = partition
        self.dimension = dimension
        self.communicator = communicator
        cells = PowerCells(targets: targets, dimension: dimension)
    }

    /// The global best target and its score for `count` points (identical on every rank).
    /// - Parameters:
    ///   - heights: this rank's heights as Float (`localCount`).
    ///   - result: `count` entries, overwritten with (global best score, global index).
    ///   - localBest, localScore: scratch of `count` elements.
    public func assignBest(points: UnsafePointer<Float>, count: Int, heights: [Float],
                           result: UnsafeMutablePointer<ScoreIndex>,
                           localBest: UnsafeMutablePointer<Int32>, localScore: UnsafeMutablePointer<Float>) throws {
        if count <= 0 { return }
        cells.assign(points: points, count: count, heights: heights, best: localBest, bestScore: localScore)
        let offset = Int32(partition.offset)
        for p in 0..<count { result[p] = ScoreIndex(score: localScore[p], index: localBest[p] &+ offset) }
        try communicator.allreduceMaxLocation(UnsafeMutableBufferPointer(start: result, count: count))
    }

    /// The global two best targets per point, best first, with their scores (identical on every
    /// rank). The local top two come from `PowerCells.topK(k: 2)`, whose scores are exact (the
    /// top-two kernel reports only the gap). With `M = 1` the second slot is (−∞, −1).
    public func assignTopTwo(points: UnsafePointer<Float>, count: Int, heights: [Float]) throws -> [TopTwo] {
        if count <= 0 { return [] }
        var indices = [Int32](repeating: -1, count: 2 * count)
        var scores = [Float](repeating: -.infinity, count: 2 * count)
        indices.withUnsafeMutableBufferPointer { i in
            scores.withUnsafeMutableBufferPointer { s in
                cells.topK(points: points, count: count, heights: heights, k: 2, indices: i.baseAddress!, scores: s.baseAddress!)
            }
        }
        let offset = Int32(partition.offset)
        var result = [TopTwo](repeating: .none, count: count)
        for p in 0..<count {
            let first = indices[2 * p] < 0 ? ScoreIndex.none : ScoreIndex(score: scores[2 * p], index: indices[2 * p] + offset)
            let second = indices[2 * p + 1] < 0 ? ScoreIndex.none
                : ScoreIndex(score: scores[2 * p + 1], index: indices[2 * p + 1] + offset)
            result[p] = TopTwo(first: first, runnerUp: second)
        }
        try result.withUnsafeMutableBufferPointer { try communicator.allreduceTopTwo($0) }
        return result
    }
}
