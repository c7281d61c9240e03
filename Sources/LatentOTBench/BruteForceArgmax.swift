import TensorModule

/// The brute-force way of finding cells, as the reference code does it: every score
/// `<x_p, y_i>` by plain `BLAS.sgemm`, then `h` added and a running argmax per point.
///
/// Two layouts of the same computation:
/// - `.wholeTiles`: case 1's "plain sgemm of the same shape". The `N × M` score matrix is computed
///   by one multi-threaded sgemm per tile of `tileWidth` targets over all `N` points. The full
///   matrix (2^15 × 60,000 floats = 7.9 GB) would fit in this machine's RAM but not in a CI
///   machine's, so the tile takes at most `bytes` (default 1 GiB: 8,192 targets at N = 2^15); each
///   tile is still a large GEMM whose output streams through memory, as the full matrix would.
/// - `.cacheTiles(rows, columns)`: a good brute force, the reference solver's (case 2). The points
///   are split between the cores; each core scores `rows × columns` tiles with single-threaded
///   sgemm into one reused buffer that stays in cache, and folds it at once. Same flops, no trip
///   of the scores through memory.
///
/// The argmax is simple but vectorised: the maximum of `s + h` over a row of the tile with 16-wide
/// SIMD, then, only if it beats the running best, a scan for its first position (ties: lowest
/// index, as LatentOT's kernel).
final class BruteForceArgmax {
    enum Layout: Equatable {
        case wholeTiles(bytes: Int)
        case cacheTiles(rows: Int, columns: Int)
    }

    let targetCount: Int
    let dimension: Int
    let layout: Layout
    /// Targets per sgemm call.
    let tileWidth: Int
    /// Points per sgemm call.
    let tileRows: Int
    let maximumPoints: Int
    /// Targets, row-major `M × d`.
    private let targets: UnsafeMutablePointer<Float>
    /// Score buffers: one `maximumPoints × tileWidth` (whole tiles) or one `rows × columns` per core,
    /// touched once at construction so page faults are not timed.
    private let buffers: [UnsafeMutablePointer<Float>]
    private let bestValue: UnsafeMutablePointer<Float>

    static let defaultTileBytes = 1 << 30
    /// The reference solver's layout (the fastest of the tiles measured by `--profile` at d = 32 and 100).
    static let referenceLayout = Layout.cacheTiles(rows: 256, columns: 2048)

    init(targets: [Float], dimension: Int, maximumPoints: Int, layout: Layout = .wholeTiles(bytes: BruteForceArgmax.defaultTileBytes)) {
        precondition(targets.count % dimension == 0 && maximumPoints > 0)
        self.dimension = dimension
        self.layout = layout
        targetCount = targets.count / dimension
        self.maximumPoints = maximumPoints
        let paddedTargets = (targetCount + 15) / 16 * 16
        switch layout {
        case .wholeTiles(let bytes):
            tileWidth = min(max(16, bytes / (4 * maximumPoints)) / 16 * 16, paddedTargets)
            tileRows = maximumPoints
        case .cacheTiles(let rows, let columns):
            tileWidth = min(max(16, columns / 16 * 16), paddedTargets)
            tileRows = min(rows, maximumPoints)
        }
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: targets.count)
        targets.withUnsafeBufferPointer { packed.initialize(from: $0.baseAddress!, count: targets.count) }
        self.targets = packed
        var bufferCount = Parallel.coreCount
        if case .wholeTiles = layout { bufferCount = 1 }
        let bufferSize = tileRows * tileWidth
        buffers = (0..<bufferCount).map { _ in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: bufferSize)
            buffer.initialize(repeating: 0, count: bufferSize)
            return buffer
        }
        bestValue = .allocate(capacity: maximumPoints)
    }

    deinit {
        targets.deallocate()
        for buffer in buffers { buffer.deallocate() }
        bestValue.deallocate()
    }

    /// Bytes of the score buffers.
    var scoreBytes: Int { buffers.count * tileRows * tileWidth * 4 }

    /// A description for the JSON lines.
    var layoutDescription: String {
        switch layout {
        case .wholeTiles:
            return "one \(Parallel.coreCount)-thread sgemm per tile of \(tileRows) points × \(tileWidth) targets (\(scoreBytes >> 20) MiB of scores; the full N×M matrix would take \((maximumPoints * targetCount * 4) >> 20) MiB)"
        case .cacheTiles:
            return "single-threaded sgemm per core on \(tileRows) × \(tileWidth) tiles (\((tileRows * tileWidth * 4) >> 10) KiB each, reused)"
        }
    }

    /// One sgemm: scores of `count` points against targets `start ..< start + width` into `buffer`.
    private func scoreTile(points: UnsafePointer<Float>, count: Int, start: Int, width: Int,
                           into buffer: UnsafeMutablePointer<Float>) {
        BLAS.sgemm(.none, .transpose, m: count, n: width, k: dimension,
                   a: points, lda: dimension, b: targets + start * dimension, ldb: dimension,
                   c: buffer, ldc: width)
    }

    /// The sgemm calls alone (every tile), no argmax: the GEMM's own throughput on this shape.
    func scoresOnly(points: UnsafePointer<Float>, count: Int) {
        sweep(points: points, count: count, heights: nil, best: nil)
    }

    /// `best[p] = argmax_i <x_p, y_i> + h_i` (lowest index on ties).
    func argmax(points: UnsafePointer<Float>, count: Int, heights: UnsafePointer<Float>,
                best: UnsafeMutablePointer<Int32>) {
        sweep(points: points, count: count, heights: heights, best: best)
    }

    /// Every tile's sgemm, folded into the running argmax when `heights` and `best` are given.
    private func sweep(points: UnsafePointer<Float>, count: Int, heights: UnsafePointer<Float>?,
                       best: UnsafeMutablePointer<Int32>?) {
        precondition(count <= maximumPoints)
        let bestValue = self.bestValue
        if best != nil { for p in 0..<count { bestValue[p] = -.infinity; best![p] = -1 } }
        let saved = BLAS.threadCount
        defer { BLAS.threadCount = saved }
        switch layout {
        case .wholeTiles:
            BLAS.threadCount = Parallel.coreCount
            let chunks = Parallel.ranges(count, maxChunks: Parallel.coreCount * 4)
            let scores = buffers[0]
            var start = 0
            while start < targetCount {
                let width = min(tileWidth, targetCount - start)
                scoreTile(points: points, count: count, start: start, width: width, into: scores)
                if let heights, let best {
                    Parallel.forEach(chunks.count) { chunk in
                        for p in chunks[chunk] {
                            BruteForceArgmax.foldRow(scores + p * width, heights + start, width: width, offset: start,
                                                     best: &bestValue[p], bestIndex: &best[p])
                        }
                    }
                }
                start += width
            }
        case .cacheTiles:
            BLAS.threadCount = 1
            let blocks = (count + tileRows - 1) / tileRows
            let chunks = Parallel.ranges(blocks, maxChunks: buffers.count)
            Parallel.forEach(chunks.count) { chunk in
                let scores = buffers[chunk]
                for block in chunks[chunk] {
                    let first = block * tileRows, rows = min(tileRows, count - first)
                    var start = 0
                    while start < targetCount {
                        let width = min(tileWidth, targetCount - start)
                        scoreTile(points: points + first * dimension, count: rows, start: start, width: width, into: scores)
                        if let heights, let best {
                            for r in 0..<rows {
                                BruteForceArgmax.foldRow(scores + r * width, heights + start, width: width, offset: start,
                                                         best: &bestValue[first + r], bestIndex: &best[first + r])
                            }
                        }
                        start += width
                    }
                }
            }
        }
    }

    /// Folds `max_t row[t] + h[t]` of one row into the running best: 16 scores at a time are
    /// compared with the best so far, and only a group holding a higher score is examined lane by
    /// lane (strict comparisons in index order: the lowest index wins ties).
    @inline(__always)
    static func foldRow(_ row: UnsafePointer<Float>, _ heights: UnsafePointer<Float>, width: Int, offset: Int,
                        best: inout Float, bestIndex: inout Int32) {
        var value = best, index = bestIndex
        let rowBytes = UnsafeRawPointer(row), heightBytes = UnsafeRawPointer(heights)
        var t = 0
        while t + 16 <= width {
            let s = rowBytes.loadUnaligned(fromByteOffset: t &* 4, as: SIMD16<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: t &* 4, as: SIMD16<Float>.self)
            if any(s .> SIMD16<Float>(repeating: value)) {
                for lane in 0..<16 where s[lane] > value {
                    value = s[lane]; index = Int32(truncatingIfNeeded: offset &+ t &+ lane)
                }
            }
            t &+= 16
        }
        while t < width {
            let s = row[t] + heights[t]
            if s > value { value = s; index = Int32(truncatingIfNeeded: offset &+ t) }
            t &+= 1
        }
        best = value; bestIndex = index
    }
}
