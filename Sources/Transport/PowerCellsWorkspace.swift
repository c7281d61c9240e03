extension PowerCells {
    /// Scratch memory of one worker thread: one score tile, the running top-2 of a block, and a
    /// buffer where callers may generate the block's points. Allocated once per worker per call.
    final class Workspace {
        /// `pointBlockSize × tileSize` scores (zero-initialised; padding lanes are read, never used).
        let scores: UnsafeMutablePointer<Float>
        /// `pointBlockSize × dimension` points, for callers that generate points block by block.
        let points: UnsafeMutablePointer<Float>
        let bestValue: UnsafeMutablePointer<Float>
        let secondValue: UnsafeMutablePointer<Float>
        let bestIndex: UnsafeMutablePointer<Int32>
        let secondIndex: UnsafeMutablePointer<Int32>
        /// Per-point outputs of a block, for callers that only reduce them (counts, energy).
        let best: UnsafeMutablePointer<Int32>
        let second: UnsafeMutablePointer<Int32>
        let gap: UnsafeMutablePointer<Float>
        let bestScore: UnsafeMutablePointer<Float>
        let blockSize: Int
        /// One bound per cluster (pruned kernel).
        let bounds: UnsafeMutablePointer<Float>

        init(cells: PowerCells) {
            let block = cells.pointBlockSize
            blockSize = block
            let tileCount = block * cells.tileSize // the direct kernel uses it for top-k only
            scores = .allocate(capacity: tileCount)
            scores.initialize(repeating: 0, count: tileCount)
            points = .allocate(capacity: block * cells.dimension)
            points.initialize(repeating: 0, count: block * cells.dimension)
            bestValue = .allocate(capacity: block)
            secondValue = .allocate(capacity: block)
            bestIndex = .allocate(capacity: block)
            secondIndex = .allocate(capacity: block)
            best = .allocate(capacity: block)
            second = .allocate(capacity: block)
            gap = .allocate(capacity: block)
            bestScore = .allocate(capacity: block)
            bounds = .allocate(capacity: max(16, cells.clusters?.paddedCount ?? 16))
        }

        deinit {
            scores.deallocate(); points.deallocate()
            bestValue.deallocate(); secondValue.deallocate(); bestIndex.deallocate(); secondIndex.deallocate()
            best.deallocate(); second.deallocate(); gap.deallocate(); bestScore.deallocate(); bounds.deallocate()
        }
    }
}
