import TensorModule

/// The baseline way of finding cells, as the reference code does it: for all `N` points at once,
/// a score tile `S = X · Y_tileᵀ` (`N × tileWidth`) by one plain `BLAS.sgemm` (OpenBLAS threads on
/// every core), then `h` added and a running argmax per point across the tiles.
///
/// Tiles: the full `N × M` score matrix of the kernel case (2^15 × 60,000 floats = 7.9 GB) would
/// fit in this machine's RAM but not in a CI machine's, so the targets are cut into tiles of
/// `tileWidth` columns whose score buffer takes at most `tileBytes` (default 1 GiB: 8,192 columns
/// at N = 2^15). Each tile is still a large GEMM whose output streams through memory, as the full
/// matrix would.
///
/// The argmax is simple but vectorised: the maximum of `s + h` over the tile's row with 16-wide
/// SIMD, then, only if it beats the running best, a scan for its first position (ties: lowest
/// index, as LatentOT's kernel).
final class BruteForceArgmax {
    let targetCount: Int
    let dimension: Int
    let tileWidth: Int
    let maximumPoints: Int
    /// Targets, row-major `M × d`.
    private let targets: UnsafeMutablePointer<Float>
    /// `maximumPoints × tileWidth` scores, touched once at construction so page faults are not timed.
    private let scores: UnsafeMutablePointer<Float>
    private let bestValue: UnsafeMutablePointer<Float>

    static let defaultTileBytes = 1 << 30

    init(targets: [Float], dimension: Int, maximumPoints: Int, tileBytes: Int = BruteForceArgmax.defaultTileBytes) {
        precondition(targets.count % dimension == 0 && maximumPoints > 0)
        self.dimension = dimension
        targetCount = targets.count / dimension
        self.maximumPoints = maximumPoints
        let columns = max(16, tileBytes / (4 * maximumPoints)) / 16 * 16
        tileWidth = min(columns, (targetCount + 15) / 16 * 16)
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: targets.count)
        targets.withUnsafeBufferPointer { packed.initialize(from: $0.baseAddress!, count: targets.count) }
        self.targets = packed
        scores = .allocate(capacity: maximumPoints * tileWidth)
        scores.initialize(repeating: 0, count: maximumPoints * tileWidth)
        bestValue = .allocate(capacity: maximumPoints)
    }

    deinit {
        targets.deallocate()
        scores.deallocate()
        bestValue.deallocate()
    }

    /// Bytes of the score buffer.
    var scoreBytes: Int { maximumPoints * tileWidth * 4 }

    /// One sgemm for the score tile of targets `start ..< start + width` (BLAS on all cores).
    private func scoreTile(points: UnsafePointer<Float>, count: Int, start: Int, width: Int) {
        BLAS.sgemm(.none, .transpose, m: count, n: width, k: dimension,
                   a: points, lda: dimension, b: targets + start * dimension, ldb: dimension,
                   c: scores, ldc: width)
    }

    private func withAllCores(_ body: () -> Void) {
        let saved = BLAS.threadCount
        BLAS.threadCount = Parallel.coreCount
        body()
        BLAS.threadCount = saved
    }

    /// The sgemm calls alone (every tile), no argmax: the GEMM's own throughput on this shape.
    func scoresOnly(points: UnsafePointer<Float>, count: Int) {
        precondition(count <= maximumPoints)
        withAllCores {
            var start = 0
            while start < targetCount {
                let width = min(tileWidth, targetCount - start)
                scoreTile(points: points, count: count, start: start, width: width)
                start += width
            }
        }
    }

    /// `best[p] = argmax_i <x_p, y_i> + h_i` (lowest index on ties).
    func argmax(points: UnsafePointer<Float>, count: Int, heights: UnsafePointer<Float>,
                best: UnsafeMutablePointer<Int32>) {
        precondition(count <= maximumPoints)
        for p in 0..<count { bestValue[p] = -.infinity; best[p] = -1 }
        let chunks = Parallel.ranges(count, maxChunks: Parallel.coreCount * 4)
        withAllCores {
            var start = 0
            while start < targetCount {
                let width = min(tileWidth, targetCount - start)
                scoreTile(points: points, count: count, start: start, width: width)
                let scores = self.scores, bestValue = self.bestValue
                Parallel.forEach(chunks.count) { chunk in
                    for p in chunks[chunk] {
                        BruteForceArgmax.foldRow(scores + p * width, heights + start, width: width, offset: start,
                                                 best: &bestValue[p], bestIndex: &best[p])
                    }
                }
                start += width
            }
        }
    }

    /// Folds `max_t row[t] + h[t]` of one row into the running best.
    @inline(__always)
    static func foldRow(_ row: UnsafePointer<Float>, _ heights: UnsafePointer<Float>, width: Int, offset: Int,
                        best: inout Float, bestIndex: inout Int32) {
        var maxima = SIMD16<Float>(repeating: -.infinity)
        let rowBytes = UnsafeRawPointer(row), heightBytes = UnsafeRawPointer(heights)
        var t = 0
        while t + 16 <= width {
            let s = rowBytes.loadUnaligned(fromByteOffset: t &* 4, as: SIMD16<Float>.self)
                + heightBytes.loadUnaligned(fromByteOffset: t &* 4, as: SIMD16<Float>.self)
            maxima.replace(with: s, where: s .> maxima)
            t &+= 16
        }
        var maximum = maxima.max()
        while t < width { maximum = max(maximum, row[t] + heights[t]); t &+= 1 }
        guard maximum > best else { return }
        for u in 0..<width where row[u] + heights[u] == maximum {
            best = maximum
            bestIndex = Int32(truncatingIfNeeded: offset + u)
            return
        }
    }
}
