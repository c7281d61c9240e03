import TensorModule

/// A fixed set of source points (indices `0..<count` of one scrambled Sobol sequence) that keeps,
/// per point, its `k` best targets at the heights of its last full scoring, so that a step re-scores
/// `k` candidates instead of all `M` targets (Verlet lists, for power cells).
///
/// Exactness. With `s_j(h) = <x, y_j> + h_j`, the heights `h°` of the point's last full scoring and
/// `t = max_{j ∉ candidates} s_j(h°)` (its `(k+1)`-th best score then), every non-candidate obeys
///
///   `s_j(h) = s_j(h°) + (h_j - h°_j) ≤ t + max_j (h_j - h°_j)`.
///
/// When the best candidate scores above that bound it is the exact best target; otherwise the point
/// is scored against all targets again (a refresh, through `PowerCells.topK`).
///
/// Risers. The bound is set by the targets whose heights rose most (under-filled cells climb at the
/// full step while the rest jitter), so the `riserCount` targets with the largest rise are scored
/// explicitly for every point (one small sgemm per block) and left out of the bound: it becomes
/// `t + max_{j ∉ risers} (h_j - h°_j)`. Late in a solve almost every point is then settled by its
/// `k` candidates and the risers: a step costs `O(N·(k + R·d))` instead of `O(N·M·d)`.
///
/// Each refresh stores the heights it used (an epoch) for the bound; epochs no point refers to are
/// dropped, and when too many are alive the points of the oldest are refreshed. Memory:
/// `O(N·(d + k) + M · maximumEpochs)` (the points are kept, `N × d` floats).
public final class CandidateLists {
    public let k: Int
    public let cells: PowerCells
    public let source: SourceDistribution
    public let sequence: SobolSequence
    /// Points in the set: indices `0..<count` of `sequence`.
    public private(set) var count = 0
    /// The points, row-major `count × d`.
    private var points: [Float] = []
    /// Targets scored explicitly at every step (see the type's notes).
    public let riserCount: Int
    /// Per point, `k` candidate targets (best first at refresh time; -1 past `M`).
    private var candidates: [Int32] = []
    /// Per candidate, `<x, y_c>` (the score at refresh minus the height then).
    private var products: [Float] = []
    /// Per point, `t`: the best score of a non-candidate at refresh (`-∞` when every target is one).
    private var thresholds: [Float] = []
    /// Per point, the epoch of its last refresh.
    private var epochs: [Int32] = []
    /// The heights of each live epoch, and how many points refer to it.
    private var snapshots: [Int32: [Float]] = [:]
    private var references: [Int32: Int] = [:]
    private var nextEpoch: Int32 = 0
    /// The most epochs kept alive (their snapshots cost `M` floats each).
    let maximumEpochs: Int
    /// Points scored against all targets so far (insertions and refreshes), for the cost model.
    public private(set) var fullScorings = 0
    /// Points scored against their candidates only.
    public private(set) var candidateScorings = 0

    /// Points handled per block of the candidate pass (also the unit of the potential sum, so it is
    /// summed in the same order whatever the number of cores).
    static let blockSize = 4096

    /// Bytes stored per point: its coordinates, `k` candidates with their products, its threshold and epoch.
    public static func bytesPerPoint(dimension: Int, k: Int) -> Int {
        MemoryLayout<Float>.size * dimension + (MemoryLayout<Int32>.size + MemoryLayout<Float>.size) * k
            + MemoryLayout<Float>.size + MemoryLayout<Int32>.size
    }

    /// An empty set on `sequence` (points `source.fill(..., sequence:)` of it), keeping `k` candidates per point.
    public init(cells: PowerCells, source: SourceDistribution, sequence: SobolSequence, k: Int, riserCount: Int = 64) {
        precondition(k >= 1, "CandidateLists: k must be ≥ 1")
        precondition(riserCount >= 0, "CandidateLists: riserCount must be ≥ 0")
        self.riserCount = min(riserCount, max(0, cells.targetCount - k))
        self.cells = cells
        self.source = source
        self.sequence = sequence
        self.k = min(k, cells.targetCount)
        maximumEpochs = max(4, min(64, (1 << 25) / max(1, cells.targetCount)))
    }

    /// Adds the points `count..<newCount` of the sequence, scored against all targets at `heights`.
    public func grow(to newCount: Int, heights: [Double]) {
        precondition(newCount >= count && newCount <= SobolSequence.maximumCount, "CandidateLists.grow: \(newCount)")
        let added = newCount - count
        if added == 0 { return }
        candidates += [Int32](repeating: -1, count: added * k)
        products += [Float](repeating: 0, count: added * k)
        thresholds += [Float](repeating: -.infinity, count: added)
        epochs += [Int32](repeating: 0, count: added)
        let old = count
        count = newCount
        let dimension = cells.dimension
        points += [Float](repeating: 0, count: added * dimension)
        points.withUnsafeMutableBufferPointer { buffer in
            let chunks = Parallel.ranges(added, maxChunks: Parallel.coreCount * 4, minimumChunk: 4096)
            Parallel.forEach(chunks.count) { c in
                let range = chunks[c]
                source.fill(points: buffer.baseAddress! + (old + range.lowerBound) * dimension, start: old + range.lowerBound,
                            count: range.count, dimension: dimension, sequence: sequence)
            }
        }
        refresh(Array(old..<newCount), heights: heights.map { Float($0) }, isNew: true)
    }

    /// The cell counts of the set at `heights` and the sum of the potential `u_h` over its points;
    /// `refreshed` tells how many points had to be scored against all targets.
    public func measure(heights: [Double]) -> (counts: [Int], potentialSum: Double, refreshed: Int) {
        let targetCount = cells.targetCount
        let current = heights.map { Float($0) }
        // Bound on the rise of any non-candidate score since each live epoch, with a margin for the
        // rounding of the stored products and scores.
        var oldest: [Int32] = []
        if snapshots.count > maximumEpochs {
            oldest = Array(snapshots.keys.sorted().prefix(snapshots.count - maximumEpochs / 2))
        }
        let risers = selectRisers(current)
        var isRiser = [Bool](repeating: false, count: targetCount)
        for r in risers { isRiser[Int(r)] = true }
        var drift: [Int32: Float] = [:]
        for (epoch, snapshot) in snapshots {
            var rise = -Float.infinity
            for j in 0..<targetCount where !isRiser[j] { rise = max(rise, current[j] - snapshot[j]) }
            drift[epoch] = oldest.contains(epoch) ? .infinity : rise
        }
        let dimension = cells.dimension, riserCount = risers.count
        var riserRows = [Float](repeating: 0, count: riserCount * dimension)
        var riserHeights = [Float](repeating: 0, count: riserCount)
        for (r, j) in risers.enumerated() {
            for c in 0..<dimension { riserRows[r * dimension + c] = cells.rows[Int(j) * dimension + c] }
            riserHeights[r] = current[Int(j)]
        }
        let blockCount = (count + CandidateLists.blockSize - 1) / CandidateLists.blockSize
        let chunks = Parallel.ranges(blockCount, maxChunks: Parallel.coreCount * 2)
        var chunkCounts = [[Int32]](repeating: [], count: chunks.count)
        var chunkRefresh = [[Int]](repeating: [], count: chunks.count)
        var blockSums = [Double](repeating: 0, count: blockCount)
        let driftTable = drift
        let k = self.k
        points.withUnsafeBufferPointer { pts in
        candidates.withUnsafeBufferPointer { cand in
            products.withUnsafeBufferPointer { prod in
                thresholds.withUnsafeBufferPointer { thr in
                    epochs.withUnsafeBufferPointer { ep in
                        current.withUnsafeBufferPointer { h in
                            chunkCounts.withUnsafeMutableBufferPointer { perChunk in
                                chunkRefresh.withUnsafeMutableBufferPointer { perRefresh in
                                    blockSums.withUnsafeMutableBufferPointer { sums in
                                        Parallel.forEach(chunks.count) { chunk in
                                            var counts = [Int32](repeating: 0, count: targetCount)
                                            var refresh: [Int] = []
                                            var lastEpoch: Int32 = -1, rise: Float = 0
                                            var riserScores = [Float](repeating: 0, count: CandidateLists.blockSize * max(1, riserCount))
                                            for block in chunks[chunk] {
                                                let start = block * CandidateLists.blockSize
                                                let end = min(count, start + CandidateLists.blockSize)
                                                if riserCount > 0 {
                                                    riserRows.withUnsafeBufferPointer { rows in
                                                        riserScores.withUnsafeMutableBufferPointer { out in
                                                            BLAS.sgemm(.none, .transpose, m: end - start, n: riserCount, k: dimension,
                                                                       a: pts.baseAddress! + start * dimension, lda: dimension,
                                                                       b: rows.baseAddress!, ldb: dimension,
                                                                       c: out.baseAddress!, ldc: riserCount)
                                                        }
                                                    }
                                                }
                                                var sum = 0.0
                                                for p in start..<end {
                                                    if ep[p] != lastEpoch { lastEpoch = ep[p]; rise = driftTable[lastEpoch]! }
                                                    var best: Float = -.infinity, bestIndex: Int32 = -1
                                                    let row = p &* k
                                                    for c in 0..<k {
                                                        let index = cand[row &+ c]
                                                        if index < 0 { break }
                                                        let s = prod[row &+ c] + h[Int(index)]
                                                        if s > best || (s == best && index < bestIndex) { best = s; bestIndex = index }
                                                    }
                                                    let scoreRow = (p - start) &* riserCount
                                                    for r in 0..<riserCount {
                                                        let s = riserScores[scoreRow &+ r] + riserHeights[r]
                                                        let index = risers[r]
                                                        if s > best || (s == best && index < bestIndex) { best = s; bestIndex = index }
                                                    }
                                                    let bound = thr[p] + rise
                                                    if bound == -.infinity || best > bound + CandidateLists.roundingMargin(best, bound) {
                                                        counts[Int(bestIndex)] &+= 1
                                                        sum += Double(best)
                                                    } else {
                                                        refresh.append(p)
                                                    }
                                                }
                                                sums[block] = sum
                                            }
                                            perChunk[chunk] = counts
                                            perRefresh[chunk] = refresh
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        }
        var counts = [Int](repeating: 0, count: targetCount)
        for chunk in chunkCounts { for i in 0..<targetCount { counts[i] += Int(chunk[i]) } }
        let stale = chunkRefresh.flatMap { $0 }
        candidateScorings += count - stale.count
        let refreshed = refresh(stale, heights: current, isNew: false)
        for i in 0..<targetCount { counts[i] += refreshed.counts[i] }
        // The potential: candidate blocks in order, then the refreshed points in order.
        var potential = 0.0
        for s in blockSums { potential += s }
        potential += refreshed.potentialSum
        return (counts, potential, stale.count)
    }

    /// A relative margin of a few float roundings, so a near tie is re-scored rather than trusted.
    @inline(__always)
    static func roundingMargin(_ a: Float, _ b: Float) -> Float {
        4 * Float.ulpOfOne * (abs(a) + abs(b) + 1)
    }

    /// Scores `indices` (points of the set, increasing) against all targets at `heights` (as scored), stores
    /// their new candidates under a new epoch, and returns their cell counts and potential sum.
    @discardableResult
    private func refresh(_ indices: [Int], heights current: [Float], isNew: Bool) -> (counts: [Int], potentialSum: Double) {
        let targetCount = cells.targetCount, dimension = cells.dimension
        var counts = [Int](repeating: 0, count: targetCount)
        if indices.isEmpty { return (counts, 0) }
        let epoch = nextEpoch
        nextEpoch &+= 1
        let kept = min(k + 1, targetCount)
        // Generate the points (runs of consecutive indices at a time) and score them in slices.
        let slice = 1 << 14
        var coordinates = [Float](repeating: 0, count: min(slice, indices.count) * dimension)
        var topIndices = [Int32](repeating: -1, count: min(slice, indices.count) * kept)
        var topScores = [Float](repeating: -.infinity, count: min(slice, indices.count) * kept)
        var potential = 0.0
        var offset = 0
        while offset < indices.count {
            let n = min(slice, indices.count - offset)
            for q in 0..<n {
                let p = indices[offset + q]
                for c in 0..<dimension { coordinates[q * dimension + c] = points[p * dimension + c] }
            }
            coordinates.withUnsafeBufferPointer { c in
                topIndices.withUnsafeMutableBufferPointer { ti in
                    topScores.withUnsafeMutableBufferPointer { ts in
                        cells.topK(points: c.baseAddress!, count: n, heights: current, k: kept,
                                   indices: ti.baseAddress!, scores: ts.baseAddress!)
                    }
                }
            }
            for q in 0..<n {
                let p = indices[offset + q]
                let row = q * kept
                counts[Int(topIndices[row])] += 1
                potential += Double(topScores[row])
                for c in 0..<k {
                    let index = topIndices[row + c]
                    candidates[p * k + c] = index
                    products[p * k + c] = index >= 0 ? topScores[row + c] - current[Int(index)] : 0
                }
                thresholds[p] = kept > k ? topScores[row + k] : -.infinity
                if !isNew { release(epochs[p]) }
                epochs[p] = epoch
            }
            offset += n
        }
        snapshots[epoch] = current
        references[epoch] = indices.count
        fullScorings += indices.count
        return (counts, potential)
    }

    /// The `riserCount` targets whose heights rose most since the oldest live epoch that saw them
    /// (largest `max_e (h_j - h°_j(e))`), in increasing index order.
    private func selectRisers(_ current: [Float]) -> [Int32] {
        guard riserCount > 0, !snapshots.isEmpty else { return [] }
        let targetCount = cells.targetCount
        var rise = [Float](repeating: -.infinity, count: targetCount)
        for snapshot in snapshots.values {
            for j in 0..<targetCount { rise[j] = max(rise[j], current[j] - snapshot[j]) }
        }
        let order = (0..<targetCount).sorted { rise[$0] > rise[$1] || (rise[$0] == rise[$1] && $0 < $1) }
        return order.prefix(riserCount).sorted().map { Int32($0) }
    }

    private func release(_ epoch: Int32) {
        guard let n = references[epoch] else { return }
        if n <= 1 {
            references[epoch] = nil
            snapshots[epoch] = nil
        } else {
            references[epoch] = n - 1
        }
    }
}
