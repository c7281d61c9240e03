import TensorModule

/// The hot kernel of the transport engine: for source points `x`, the two best targets of the score
///
///   `s_i(x) = <x, y_i> + h_i`,   `best(x) = argmax_i s_i(x)`,   `gap(x) = s_best(x) - s_second(x) ≥ 0`,
///
/// i.e. the power cell `W_best(h)` that contains `x`, its runner-up neighbour, and how far `x` is from
/// their shared facet in score units (the facet is `gap / |y_best - y_second|` away). Ties go to the
/// lowest index, so results are deterministic.
///
/// Scores are never stored as an N×M matrix: points are processed in blocks of `pointBlockSize` and
/// targets in tiles of `tileSize`; each (block, tile) score tile is one `BLAS.sgemm` (or, for small
/// `d`, a register-blocked SIMD loop) and is folded at once into a running top-2 per point. Blocks
/// run on all cores, each with single-threaded BLAS.
///
/// The targets are packed once at construction; heights are given per call, so one `PowerCells`
/// serves a whole solve. Callers only see points in, indices out: the internals (tiling, pruning of
/// targets that cannot win, reuse of earlier assignments) may change without changing callers.
///
/// - Complexity: O(N·M·d) flops and O(pointBlockSize·tileSize + M·d) memory per call.
public final class PowerCells: @unchecked Sendable {
    /// How scores of a tile are produced.
    enum Kernel: Sendable { case direct, gemm }

    /// The number of targets `M`.
    public let targetCount: Int
    /// The dimension `d`.
    public let dimension: Int
    /// Points per block (rows of one score tile).
    let pointBlockSize: Int
    /// Targets per tile (columns of one score tile), a multiple of `lanes`.
    let tileSize: Int
    let kernel: Kernel
    /// `M` rounded up to a multiple of `lanes`; heights beyond `M` are `-∞` so padding never wins.
    let paddedCount: Int
    /// Targets, row-major `M × d` (the `gemm` kernel's operand).
    let rows: UnsafeMutablePointer<Float>
    /// Targets, column-major `d × paddedCount` with zero padding (the `direct` kernel's operand).
    let columns: UnsafeMutablePointer<Float>
    /// Clusters for pruning (the `direct` kernel with at least `clusterMinimumTargets` targets).
    let clusters: Clusters?
    static let clusterMinimumTargets = 256

    static let lanes = 16
    /// At or below this dimension the scores are computed in registers instead of by sgemm (at d = 2
    /// both run at about 2 G scores/s per core, measured; above it sgemm wins).
    static let directDimensionLimit = 2

    /// Packs the targets. - Precondition: `targets.count` is a positive multiple of `dimension`.
    public convenience init(targets: [Float], dimension: Int) {
        self.init(targets: targets, dimension: dimension, pointBlockSize: nil, tileSize: nil, kernel: nil)
    }

    /// Packs the targets with explicit tiling (tests and benchmarks use it to exercise every path).
    init(targets: [Float], dimension: Int, pointBlockSize: Int?, tileSize: Int?, kernel: Kernel?) {
        precondition(dimension >= 1 && !targets.isEmpty && targets.count % dimension == 0,
                     "PowerCells: \(targets.count) values is not a positive multiple of dimension \(dimension)")
        self.dimension = dimension
        targetCount = targets.count / dimension
        let lanes = PowerCells.lanes
        paddedCount = (targetCount + lanes - 1) / lanes * lanes
        self.kernel = kernel ?? (dimension <= PowerCells.directDimensionLimit ? .direct : .gemm)
        self.pointBlockSize = max(1, pointBlockSize ?? 256)
        let tile = tileSize ?? 512
        self.tileSize = max(lanes, (tile + lanes - 1) / lanes * lanes)
        let rowMajor = UnsafeMutablePointer<Float>.allocate(capacity: targets.count)
        targets.withUnsafeBufferPointer { rowMajor.initialize(from: $0.baseAddress!, count: targets.count) }
        rows = rowMajor
        let count = targetCount, padded = paddedCount
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: dimension * padded)
        packed.initialize(repeating: 0, count: dimension * padded)
        for i in 0..<count {
            for j in 0..<dimension { packed[j * padded + i] = targets[i * dimension + j] }
        }
        columns = packed
        clusters = self.kernel == .direct && count >= PowerCells.clusterMinimumTargets
            ? Clusters(targets: targets, dimension: dimension) : nil
    }

    deinit {
        rows.deallocate()
        columns.deallocate()
    }

    // MARK: - Public entry points

    /// Best target, second-best target and score gap for `count` points (row-major `count × d`).
    ///
    /// `second` is -1 and `gap` is +∞ when `M = 1`. `bestScore` (optional) receives `max_i s_i(x)`.
    /// - Precondition: `heights.count == targetCount`; output buffers hold `count` elements.
    public func assign(points: UnsafePointer<Float>, count: Int, heights: [Float],
                       best: UnsafeMutablePointer<Int32>, second: UnsafeMutablePointer<Int32>? = nil,
                       gap: UnsafeMutablePointer<Float>? = nil, bestScore: UnsafeMutablePointer<Float>? = nil) {
        precondition(heights.count == targetCount, "PowerCells.assign: \(heights.count) heights for \(targetCount) targets")
        if count <= 0 { return }
        let padded = paddedHeights(heights)
        defer { padded.deallocate() }
        let chunks = plan(pointCount: count)
        run(chunks) { _, range, workspace in
            let offset = range.lowerBound
            assignBlock(points: points + offset * dimension, count: range.count, heights: padded,
                        workspace: workspace, best: best + offset, second: second.map { $0 + offset },
                        gap: gap.map { $0 + offset }, bestScore: bestScore.map { $0 + offset })
        }
    }

    /// Convenience: the assignment of flat row-major `points` as arrays.
    public func assign(points: [Float], heights: [Float]) -> CellAssignment {
        precondition(points.count % dimension == 0,
                     "PowerCells.assign: \(points.count) values is not a multiple of dimension \(dimension)")
        let count = points.count / dimension
        var best = [Int32](repeating: -1, count: count)
        var second = [Int32](repeating: -1, count: count)
        var gap = [Float](repeating: 0, count: count)
        var bestScore = [Float](repeating: 0, count: count)
        points.withUnsafeBufferPointer { p in
            best.withUnsafeMutableBufferPointer { b in
                second.withUnsafeMutableBufferPointer { s in
                    gap.withUnsafeMutableBufferPointer { g in
                        bestScore.withUnsafeMutableBufferPointer { v in
                            guard let base = p.baseAddress, count > 0 else { return }
                            assign(points: base, count: count, heights: heights, best: b.baseAddress!,
                                   second: s.baseAddress!, gap: g.baseAddress!, bestScore: v.baseAddress!)
                        }
                    }
                }
            }
        }
        return CellAssignment(best: best, second: second, gap: gap, bestScore: bestScore)
    }

    /// The `k` best targets of each point, best first (ties: lowest index first), with their scores.
    /// Row `p` of `indices`/`scores` is `indices[p*k ..< p*k+k]`; slots beyond `M` hold -1 and -∞.
    /// - Precondition: `k ≥ 1`; buffers hold `count · k` elements.
    public func topK(points: UnsafePointer<Float>, count: Int, heights: [Float], k: Int,
                     indices: UnsafeMutablePointer<Int32>, scores: UnsafeMutablePointer<Float>) {
        precondition(heights.count == targetCount, "PowerCells.topK: \(heights.count) heights for \(targetCount) targets")
        precondition(k >= 1, "PowerCells.topK: k must be ≥ 1, got \(k)")
        if count <= 0 { return }
        let padded = paddedHeights(heights)
        defer { padded.deallocate() }
        run(plan(pointCount: count)) { _, range, workspace in
            let offset = range.lowerBound
            topKBlock(points: points + offset * dimension, count: range.count, heights: padded, k: k,
                      workspace: workspace, indices: indices + offset * k, scores: scores + offset * k)
        }
    }

    /// Convenience: the top-`k` of flat row-major `points` as arrays.
    public func topK(points: [Float], heights: [Float], k: Int) -> TopKAssignment {
        precondition(points.count % dimension == 0,
                     "PowerCells.topK: \(points.count) values is not a multiple of dimension \(dimension)")
        let count = points.count / dimension
        var indices = [Int32](repeating: -1, count: count * k)
        var scores = [Float](repeating: -.infinity, count: count * k)
        points.withUnsafeBufferPointer { p in
            indices.withUnsafeMutableBufferPointer { i in
                scores.withUnsafeMutableBufferPointer { s in
                    guard let base = p.baseAddress, count > 0 else { return }
                    topK(points: base, count: count, heights: heights, k: k, indices: i.baseAddress!, scores: s.baseAddress!)
                }
            }
        }
        return TopKAssignment(k: k, indices: indices, scores: scores)
    }

    // MARK: - Scheduling

    /// Splits `0..<pointCount` into contiguous per-worker ranges made of whole blocks.
    func plan(pointCount: Int) -> [Range<Int>] {
        let blocks = (pointCount + pointBlockSize - 1) / pointBlockSize
        return Parallel.ranges(blocks, maxChunks: min(blocks, Parallel.coreCount * 2)).map {
            ($0.lowerBound * pointBlockSize)..<min(pointCount, $0.upperBound * pointBlockSize)
        }
    }

    /// Runs `body(chunk, blockRange, workspace)` for every block of every chunk, chunks in parallel,
    /// blocks of one chunk in order on one thread with one workspace (each BLAS call single-threaded).
    func run(_ chunks: [Range<Int>], _ body: (Int, Range<Int>, Workspace) -> Void) {
        Parallel.forEach(chunks.count) { chunk in
            let workspace = Workspace(cells: self)
            var start = chunks[chunk].lowerBound
            while start < chunks[chunk].upperBound {
                let end = min(chunks[chunk].upperBound, start + pointBlockSize)
                body(chunk, start..<end, workspace)
                start = end
            }
        }
    }

    /// A copy of `heights` padded to `paddedCount` with -∞, followed by the cluster-ordered copy
    /// the pruned kernel reads (caller deallocates).
    func paddedHeights(_ heights: [Float]) -> UnsafeMutablePointer<Float> {
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedCount + clusterHeightCount)
        heights.withUnsafeBufferPointer { padded.initialize(from: $0.baseAddress!, count: targetCount) }
        (padded + targetCount).initialize(repeating: -.infinity, count: paddedCount - targetCount)
        fillClusterHeights(padded)
        return padded
    }

    /// A copy of Double `heights` as padded Float (caller deallocates).
    func paddedHeights(_ heights: [Double]) -> UnsafeMutablePointer<Float> {
        let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedCount + clusterHeightCount)
        for i in 0..<targetCount { padded[i] = Float(heights[i]) }
        (padded + targetCount).initialize(repeating: -.infinity, count: paddedCount - targetCount)
        fillClusterHeights(padded)
        return padded
    }

    // MARK: - One block on the calling thread

    /// Top-2 of at most `pointBlockSize` points. `heights` is padded (see `paddedHeights`).
    func assignBlock(points: UnsafePointer<Float>, count: Int, heights: UnsafePointer<Float>, workspace: Workspace,
                     best: UnsafeMutablePointer<Int32>, second: UnsafeMutablePointer<Int32>?,
                     gap: UnsafeMutablePointer<Float>?, bestScore: UnsafeMutablePointer<Float>?) {
        precondition(count <= pointBlockSize, "PowerCells.assignBlock: \(count) points in a block of \(pointBlockSize)")
        let bestValue = workspace.bestValue, secondValue = workspace.secondValue
        let bestIndex = workspace.bestIndex, secondIndex = workspace.secondIndex
        switch kernel {
        case .direct where clusters != nil:
            let clusters = self.clusters!
            for p in 0..<count {
                prunedTop2(point: points + p * dimension, heights: heights, bounds: workspace.bounds, clusters: clusters,
                           best: &bestValue[p], bestIndex: &bestIndex[p],
                           second: &secondValue[p], secondIndex: &secondIndex[p])
            }
        case .direct:
            for p in 0..<count {
                directTop2(point: points + p * dimension, heights: heights,
                           best: &bestValue[p], bestIndex: &bestIndex[p],
                           second: &secondValue[p], secondIndex: &secondIndex[p])
            }
        case .gemm:
            for p in 0..<count {
                bestValue[p] = -.infinity; secondValue[p] = -.infinity
                bestIndex[p] = -1; secondIndex[p] = -1
            }
            var tileStart = 0
            while tileStart < targetCount {
                let width = min(tileSize, targetCount - tileStart)
                let scores = workspace.scores
                BLAS.sgemm(.none, .transpose, m: count, n: width, k: dimension,
                           a: points, lda: dimension, b: rows + tileStart * dimension, ldb: dimension,
                           c: scores, ldc: tileSize)
                let paddedWidth = (width + PowerCells.lanes - 1) / PowerCells.lanes * PowerCells.lanes
                for p in 0..<count {
                    PowerCells.scanTop2(scores: scores + p * tileSize, heights: heights + tileStart,
                                        count: paddedWidth, offset: tileStart,
                                        best: &bestValue[p], bestIndex: &bestIndex[p],
                                        second: &secondValue[p], secondIndex: &secondIndex[p])
                }
                tileStart += width
            }
        }
        for p in 0..<count {
            best[p] = bestIndex[p]
            second?[p] = secondIndex[p]
            gap?[p] = secondIndex[p] < 0 ? .infinity : bestValue[p] - secondValue[p]
            bestScore?[p] = bestValue[p]
        }
    }

    /// Running top-2 of `scores[t] + heights[t]` for `t < count` (a multiple of `lanes`), indices
    /// shifted by `offset`. Strict comparisons in increasing index order keep the lowest index on ties.
    ///
    /// 16 scores at a time are compared with the current second best in four 4-wide vectors (the
    /// package is built for baseline x86-64, where 4-wide is what the hardware vectors hold); only a
    /// group with a score above it is examined lane by lane, which late in a row is rare.
    @inline(__always)
    static func scanTop2(scores: UnsafePointer<Float>, heights: UnsafePointer<Float>, count: Int, offset: Int,
                         best: inout Float, bestIndex: inout Int32, second: inout Float, secondIndex: inout Int32) {
        var bestValue = best, secondValue = second, bestAt = bestIndex, secondAt = secondIndex
        let scoreBytes = UnsafeRawPointer(scores), heightBytes = UnsafeRawPointer(heights)
        var t = 0
        while t < count {
            let o = t &* 4
            let v0 = scoreBytes.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
            let v1 = scoreBytes.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self)
            let v2 = scoreBytes.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Float>.self)
            let v3 = scoreBytes.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD4<Float>.self)
            let threshold = SIMD4<Float>(repeating: secondValue)
            if any((v0 .> threshold) .| (v1 .> threshold) .| (v2 .> threshold) .| (v3 .> threshold)) {
                for lane in 0..<16 {
                    let s = scores[t &+ lane] + heights[t &+ lane]
                    if s > secondValue {
                        let index = Int32(truncatingIfNeeded: offset &+ t &+ lane)
                        if s > bestValue {
                            secondValue = bestValue; secondAt = bestAt
                            bestValue = s; bestAt = index
                        } else {
                            secondValue = s; secondAt = index
                        }
                    }
                }
            }
            t &+= 16
        }
        best = bestValue; bestIndex = bestAt; second = secondValue; secondIndex = secondAt
    }

    /// Top-2 of one point over all targets with the scores computed in registers (small `d`):
    /// `s = h + Σ_j x_j y_j` over 16 targets at a time (multiply then add, in index order `j`).
    @inline(__always)
    func directTop2(point: UnsafePointer<Float>, heights: UnsafePointer<Float>,
                    best: inout Float, bestIndex: inout Int32, second: inout Float, secondIndex: inout Int32) {
        var bestValue = -Float.infinity, secondValue = -Float.infinity
        var bestAt: Int32 = -1, secondAt: Int32 = -1
        let stride = paddedCount, d = dimension
        let heightBytes = UnsafeRawPointer(heights), columnBytes = UnsafeRawPointer(columns)
        var t = 0
        while t < stride {
            let o = t &* 4
            var v0 = heightBytes.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
            var v1 = heightBytes.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self)
            var v2 = heightBytes.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Float>.self)
            var v3 = heightBytes.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD4<Float>.self)
            var j = 0
            while j < d {
                let x = SIMD4<Float>(repeating: point[j])
                let c = (j &* stride &+ t) &* 4
                v0 += x * columnBytes.loadUnaligned(fromByteOffset: c, as: SIMD4<Float>.self)
                v1 += x * columnBytes.loadUnaligned(fromByteOffset: c &+ 16, as: SIMD4<Float>.self)
                v2 += x * columnBytes.loadUnaligned(fromByteOffset: c &+ 32, as: SIMD4<Float>.self)
                v3 += x * columnBytes.loadUnaligned(fromByteOffset: c &+ 48, as: SIMD4<Float>.self)
                j &+= 1
            }
            let threshold = SIMD4<Float>(repeating: secondValue)
            if any((v0 .> threshold) .| (v1 .> threshold) .| (v2 .> threshold) .| (v3 .> threshold)) {
                for lane in 0..<16 {
                    let s = lane < 4 ? v0[lane] : lane < 8 ? v1[lane &- 4] : lane < 12 ? v2[lane &- 8] : v3[lane &- 12]
                    if s > secondValue {
                        let index = Int32(truncatingIfNeeded: t &+ lane)
                        if s > bestValue {
                            secondValue = bestValue; secondAt = bestAt
                            bestValue = s; bestAt = index
                        } else {
                            secondValue = s; secondAt = index
                        }
                    }
                }
            }
            t &+= 16
        }
        best = bestValue; bestIndex = bestAt; second = secondValue; secondIndex = secondAt
    }

    /// Top-k of at most `pointBlockSize` points into `indices`/`scores` (`count × k`).
    func topKBlock(points: UnsafePointer<Float>, count: Int, heights: UnsafePointer<Float>, k: Int,
                   workspace: Workspace, indices: UnsafeMutablePointer<Int32>, scores: UnsafeMutablePointer<Float>) {
        for i in 0..<(count * k) { indices[i] = -1; scores[i] = -.infinity }
        let tile = workspace.scores
        var tileStart = 0
        while tileStart < targetCount {
            let width = min(tileSize, targetCount - tileStart)
            fillScores(points: points, count: count, tileStart: tileStart, width: width, into: tile)
            let paddedWidth = (width + PowerCells.lanes - 1) / PowerCells.lanes * PowerCells.lanes
            for p in 0..<count {
                PowerCells.scanTopK(scores: tile + p * tileSize, heights: heights + tileStart, count: paddedWidth,
                                    offset: tileStart, k: k, values: scores + p * k, indices: indices + p * k)
            }
            tileStart += width
        }
    }

    /// Folds `scores[t] + heights[t]` into a sorted top-k list (`values` descending, `indices`).
    @inline(__always)
    static func scanTopK(scores: UnsafePointer<Float>, heights: UnsafePointer<Float>, count: Int, offset: Int,
                         k: Int, values: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>) {
        var threshold = values[k - 1]
        let scoreBytes = UnsafeRawPointer(scores), heightBytes = UnsafeRawPointer(heights)
        var t = 0
        while t < count {
            let o = t &* 4
            let v0 = scoreBytes.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o, as: SIMD4<Float>.self)
            let v1 = scoreBytes.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o &+ 16, as: SIMD4<Float>.self)
            let v2 = scoreBytes.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o &+ 32, as: SIMD4<Float>.self)
            let v3 = scoreBytes.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD4<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: o &+ 48, as: SIMD4<Float>.self)
            let limit = SIMD4<Float>(repeating: threshold)
            if any((v0 .> limit) .| (v1 .> limit) .| (v2 .> limit) .| (v3 .> limit)) {
                for lane in 0..<16 {
                    let s = scores[t &+ lane] + heights[t &+ lane]
                    if s > threshold {
                        // Insert after every entry ≥ s: equal scores keep their (lower) earlier index first.
                        var position = k - 1
                        while position > 0 && values[position - 1] < s {
                            values[position] = values[position - 1]
                            indices[position] = indices[position - 1]
                            position -= 1
                        }
                        values[position] = s
                        indices[position] = Int32(truncatingIfNeeded: offset &+ t &+ lane)
                        threshold = values[k - 1]
                    }
                }
            }
            t &+= 16
        }
    }
}

extension PowerCells {
    /// For every target `i`, `max_x (s_i(x) - max_k s_k(x))` over the given points: how far (≤ 0)
    /// height `h_i` is from winning at least one of them. Zero for targets that win a point.
    ///
    /// Two passes over the score tiles (best scores first, then the column maxima), so it costs
    /// twice an assignment; the solver calls it on a subsample, and only when cells are empty.
    func deficits(points: UnsafePointer<Float>, count: Int, heights: [Double]) -> [Float] {
        let padded = paddedHeights(heights)
        defer { padded.deallocate() }
        let chunks = plan(pointCount: count)
        var perChunk = [[Float]](repeating: [], count: chunks.count)
        perChunk.withUnsafeMutableBufferPointer { results in
            run(chunks) { chunk, range, workspace in
                if results[chunk].isEmpty { results[chunk] = [Float](repeating: -.infinity, count: targetCount) }
                let n = range.count, block = points + range.lowerBound * dimension
                assignBlock(points: block, count: n, heights: padded, workspace: workspace, best: workspace.best,
                            second: nil, gap: nil, bestScore: workspace.bestScore)
                let tile = workspace.scores
                results[chunk].withUnsafeMutableBufferPointer { column in
                    var tileStart = 0
                    while tileStart < targetCount {
                        let width = min(tileSize, targetCount - tileStart)
                        fillScores(points: block, count: n, tileStart: tileStart, width: width, into: tile)
                        for p in 0..<n {
                            let row = tile + p * tileSize, best = workspace.bestScore[p]
                            for t in 0..<width {
                                let margin = row[t] + padded[tileStart + t] - best
                                if margin > column[tileStart + t] { column[tileStart + t] = margin }
                            }
                        }
                        tileStart += width
                    }
                }
            }
        }
        var result = [Float](repeating: -.infinity, count: targetCount)
        for chunk in perChunk where !chunk.isEmpty {
            for i in 0..<targetCount where chunk[i] > result[i] { result[i] = chunk[i] }
        }
        return result
    }

    /// Raw scores `<x_p, y_t>` of a tile into `tile` (row stride `tileSize`), by sgemm or by a loop.
    func fillScores(points: UnsafePointer<Float>, count: Int, tileStart: Int, width: Int,
                    into tile: UnsafeMutablePointer<Float>) {
        switch kernel {
        case .gemm:
            BLAS.sgemm(.none, .transpose, m: count, n: width, k: dimension,
                       a: points, lda: dimension, b: rows + tileStart * dimension, ldb: dimension,
                       c: tile, ldc: tileSize)
        case .direct:
            for p in 0..<count {
                let row = tile + p * tileSize, x = points + p * dimension
                for t in 0..<width {
                    var s: Float = 0
                    for j in 0..<dimension { s += x[j] * columns[j * paddedCount + tileStart + t] }
                    row[t] = s
                }
            }
        }
    }
}
