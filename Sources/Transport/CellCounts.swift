import TensorModule

/// Cell counts of a block of source points: `counts[i] = #{x_n : best(x_n) = i}`, and the sum of
/// the potential `u_h(x_n) = max_i <x_n, y_i> + h_i` over the points (for the energy).
struct CellCounts: Sendable {
    var counts: [Int]
    var potentialSum: Double
    var pointCount: Int
    /// Per point (when asked for): best target, second target, score gap. Empty otherwise.
    var best: [Int32] = []
    var second: [Int32] = []
    var gap: [Float] = []
    /// Where the points came from: `points.sequence` indices `start..<start + pointCount`.
    var sequence: SobolSequence? = nil
    var start = 0
    /// Per cell (when asked for, with Sobol points): `Σ x` over its points (row-major `M × d`) and `Σ |x|²`.
    var firstMoments: [Double] = []
    var secondMoments: [Double] = []

    /// The point generator of a count: a sequence (points are indices `start..<start+count` of it)
    /// or independent points seeded per block (block `b` uses stream `seed`, label `start + b·size`).
    enum Points {
        case sequence(SobolSequence)
        case random(seed: UInt64)
    }

    /// Calls `body(index, point)` for the sample's points in order (regenerated from the sequence),
    /// serially, block by block.
    func forEachPoint(source: SourceDistribution, dimension: Int, _ body: (Int, UnsafePointer<Float>) -> Void) {
        guard let sequence else { preconditionFailure("CellCounts.forEachPoint: the sample has no sequence") }
        let blockSize = 256
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: blockSize * dimension)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < pointCount {
            let n = min(blockSize, pointCount - offset)
            source.fill(points: buffer, start: start + offset, count: n, dimension: dimension, sequence: sequence)
            for p in 0..<n { body(offset + p, buffer + p * dimension) }
            offset += n
        }
    }

    /// Counts the cells of `count` source points on all cores. Deterministic: counts are integers
    /// and the potential is summed block by block in index order, whatever the thread scheduling.
    /// `heights` is padded (see `PowerCells.paddedHeights`).
    static func measure(cells: PowerCells, source: SourceDistribution, points: Points, start: Int, count: Int,
                        heights: UnsafePointer<Float>, keepAssignments: Bool = false,
                        keepMoments: Bool = false) -> CellCounts {
        let targetCount = cells.targetCount, dimension = cells.dimension
        let chunks = cells.plan(pointCount: count)
        let blockSize = cells.pointBlockSize
        let blockCount = (count + blockSize - 1) / blockSize
        var chunkCounts = [[Int32]](repeating: [], count: chunks.count)

        var blockSums = [Double](repeating: 0, count: blockCount)
        let keepAssignments = keepAssignments || keepMoments
        let keptBest = keepAssignments ? UnsafeMutablePointer<Int32>.allocate(capacity: count) : nil
        let keptSecond = keepAssignments ? UnsafeMutablePointer<Int32>.allocate(capacity: count) : nil
        let keptGap = keepAssignments ? UnsafeMutablePointer<Float>.allocate(capacity: count) : nil
        defer { keptBest?.deallocate(); keptSecond?.deallocate(); keptGap?.deallocate() }
        chunkCounts.withUnsafeMutableBufferPointer { perChunk in
            blockSums.withUnsafeMutableBufferPointer { sums in
                cells.run(chunks) { chunk, range, workspace in
                    if perChunk[chunk].isEmpty { perChunk[chunk] = [Int32](repeating: 0, count: targetCount) }
                    let n = range.count
                    switch points {
                    case .sequence(let sequence):
                        source.fill(points: workspace.points, start: start + range.lowerBound, count: n,
                                    dimension: dimension, sequence: sequence)
                    case .random(let seed):
                        var generator = SeededGenerator.stream(seed: seed, label: UInt64(start + range.lowerBound))
                        source.fill(points: workspace.points, count: n, dimension: dimension, using: &generator)
                    }
                    let offset = range.lowerBound
                    if keepAssignments, let keptBest, let keptSecond, let keptGap {
                        cells.assignBlock(points: workspace.points, count: n, heights: heights, workspace: workspace,
                                          best: keptBest + offset, second: keptSecond + offset, gap: keptGap + offset,
                                          bestScore: workspace.bestScore)
                        workspace.best.update(from: keptBest + offset, count: n)
                    } else {
                        cells.assignBlock(points: workspace.points, count: n, heights: heights, workspace: workspace,
                                          best: workspace.best, second: nil, gap: nil, bestScore: workspace.bestScore)
                    }
                    var sum = 0.0
                    perChunk[chunk].withUnsafeMutableBufferPointer { c in
                        for p in 0..<n {
                            c[Int(workspace.best[p])] &+= 1
                            sum += Double(workspace.bestScore[p])
                        }
                    }
                    sums[range.lowerBound / blockSize] = sum
                }
            }
        }
        var counts = [Int](repeating: 0, count: targetCount)
        for chunk in chunkCounts where !chunk.isEmpty {
            for i in 0..<targetCount { counts[i] += Int(chunk[i]) }
        }
        var potentialSum = 0.0
        for s in blockSums { potentialSum += s }
        var result = CellCounts(counts: counts, potentialSum: potentialSum, pointCount: count)
        if case .sequence(let sequence) = points { result.sequence = sequence; result.start = start }
        if keepMoments, case .sequence(let sequence) = points, let keptBest {
            // Serial, in point order, so the sums do not depend on the number of cores.
            var first = [Double](repeating: 0, count: targetCount * dimension)
            var second = [Double](repeating: 0, count: targetCount)
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: blockSize * dimension)
            defer { buffer.deallocate() }
            var offset = 0
            while offset < count {
                let n = min(blockSize, count - offset)
                source.fill(points: buffer, start: start + offset, count: n, dimension: dimension, sequence: sequence)
                for p in 0..<n {
                    let i = Int(keptBest[offset + p]), x = buffer + p * dimension
                    var squared = 0.0
                    for j in 0..<dimension {
                        let v = Double(x[j])
                        first[i * dimension + j] += v
                        squared += v * v
                    }
                    second[i] += squared
                }
                offset += n
            }
            result.firstMoments = first
            result.secondMoments = second
        }
        if let keptBest, let keptSecond, let keptGap {
            result.best = Array(UnsafeBufferPointer(start: keptBest, count: count))
            result.second = Array(UnsafeBufferPointer(start: keptSecond, count: count))
            result.gap = Array(UnsafeBufferPointer(start: keptGap, count: count))
        }
        return result
    }
}
