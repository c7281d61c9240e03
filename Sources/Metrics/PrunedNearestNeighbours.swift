import TensorModule

/// Exact nearest-neighbour distances between high-dimensional rows (images as pixels), pruned by a
/// lower bound from a principal subspace.
///
/// With Q a k × d matrix of orthonormal rows, m the references' mean, p = Q(x − m) and
/// ρ = |(x − m) − Qᵀp| (the residual's norm):
///
///   |x − t|² = |p_x − p_t|² + |res_x − res_t|² ≥ |p_x − p_t|² + (ρ_x − ρ_t)²,
///
/// a squared distance between the (k + 1)-vectors [p, ρ]. All bounds come from one GEMM d/(k+1)
/// times cheaper than the full one; a reference is compared in full only when its bound is below
/// the best exact distance found so far (with a margin for Float rounding), so the result is the
/// exact nearest distance whatever Q is. Q only decides the speed: the leading principal directions
/// of the references (subspace iteration on their covariance) make the bound tight for images.
public enum PrunedNearestNeighbours {
    /// For each row of `queries`, the Euclidean distance to its nearest row of `references`.
    /// Falls back to the plain scan when `dimension` is not much larger than `rank`.
    public static func distances(queries: [Float], references: [Float], dimension d: Int, rank: Int = 48) -> [Float] {
        precondition(d > 0 && queries.count % d == 0 && references.count % d == 0 && !references.isEmpty,
                     "PrunedNearestNeighbours: sizes \(queries.count), \(references.count) for dimension \(d)")
        let n = queries.count / d, m = references.count / d
        guard d >= 4 * rank, rank >= 1, n > 0 else { return plainDistances(queries, references, dimension: d) }
        let basis = PrincipalBasis(references, dimension: d, rank: rank)
        let a = basis.augmentedCoordinates(references, count: m)
        let b = basis.augmentedCoordinates(queries, count: n)
        let width = rank + 1
        let referenceNorms = squaredNorms(a, count: m, dimension: width)
        let queryNorms = squaredNorms(b, count: n, dimension: width)
        var result = [Float](repeating: 0, count: n)
        let blockSize = 32
        let blockCount = (n + blockSize - 1) / blockSize
        withPointers(queries, references, b, a) { x, y, bq, br in
            result.withUnsafeMutableBufferPointer { out in
                Parallel.forEach(blockCount) { block in
                    let start = block * blockSize, rows = min(blockSize, n - start)
                    let bounds = UnsafeMutablePointer<Float>.allocate(capacity: rows * m)
                    defer { bounds.deallocate() }
                    BLAS.sgemm(.none, .transpose, m: rows, n: m, k: width, a: bq + start * width, lda: width,
                               b: br, ldb: width, c: bounds, ldc: m)
                    for i in 0..<rows {
                        let query = start + i, row = bounds + i * m, point = x + query * d
                        var first = 0
                        for j in 0..<m {
                            row[j] = queryNorms[query] + referenceNorms[j] - 2 * row[j]
                            if row[j] < row[first] { first = j }
                        }
                        var best = squaredDistance(point, y + first * d, d)
                        for j in 0..<m where j != first {
                            let slack = 1e-3 * (queryNorms[query] + referenceNorms[j]) + 1e-4 * best + 1e-6
                            if row[j] <= best + slack {
                                best = min(best, squaredDistance(point, y + j * d, d))
                            }
                        }
                        out[query] = best.squareRoot()
                    }
                }
            }
        }
        return result
    }

    private static func withPointers<R>(_ a: [Float], _ b: [Float], _ c: [Float], _ d: [Float],
                                        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>) -> R) -> R {
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeBufferPointer { c in
            d.withUnsafeBufferPointer { d in body(a.baseAddress!, b.baseAddress!, c.baseAddress!, d.baseAddress!) } } } }
    }

    /// The unpruned scan (small dimensions, where the bound would not save work).
    static func plainDistances(_ queries: [Float], _ references: [Float], dimension d: Int) -> [Float] {
        NearestNeighbours.scan(queries: queries, references: references, dimension: d, initial: Float.infinity) { best, _, _, squared in
            if squared < best { best = squared }
        }.map { $0.squareRoot() }
    }

    /// |x − y|² summed directly (not by the |x|² + |y|² − 2xy expansion), eight lanes at a time.
    @inline(__always)
    static func squaredDistance(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ d: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: 0), k = 0
        while k + 8 <= d {
            let difference = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Float>.self)
            lanes += difference * difference
            k += 8
        }
        var total = lanes.sum()
        while k < d { let difference = x[k] - y[k]; total += difference * difference; k += 1 }
        return total
    }

    static func squaredNorms(_ rows: [Float], count: Int, dimension: Int) -> [Float] {
        (0..<count).map { i in
            var total = 0.0
            for k in 0..<dimension { total += Double(rows[i * dimension + k]) * Double(rows[i * dimension + k]) }
            return Float(total)
        }
    }
}

/// An orthonormal basis of the references' leading principal subspace (deterministic: a fixed
/// start, eight steps of subspace iteration on the covariance of at most 8192 rows, Gram–Schmidt in
/// Double). Any orthonormal basis keeps `PrunedNearestNeighbours` exact; a better one prunes more.
public struct PrincipalBasis: Sendable {
    public let dimension: Int
    public let rank: Int
    /// The references' mean, [d].
    public let mean: [Float]
    /// Rows of the basis, [rank, d].
    public let rows: [Float]

    public init(_ references: [Float], dimension d: Int, rank k: Int) {
        dimension = d
        rank = k
        let m = references.count / d, used = min(m, 8192)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<m { for j in 0..<d { mean[j] += Double(references[i * d + j]) } }
        self.mean = mean.map { Float($0 / Double(m)) }
        var centred = [Float](repeating: 0, count: used * d)
        for i in 0..<used { for j in 0..<d { centred[i * d + j] = references[i * d + j] - self.mean[j] } }
        var covariance = [Float](repeating: 0, count: d * d)
        BLAS.sgemm(.transpose, .none, m: d, n: d, k: used, a: centred, lda: d, b: centred, ldb: d, c: &covariance, ldc: d)
        var generator = SeededGenerator.stream(seed: 0, label: 0xBA515)
        var basis = (0..<(k * d)).map { _ in Double(generator.nextGaussian()) }
        PrincipalBasis.orthonormalise(&basis, rows: k, columns: d)
        var product = [Float](repeating: 0, count: k * d)
        for _ in 0..<8 {
            let single = basis.map(Float.init)
            BLAS.sgemm(.none, .none, m: k, n: d, k: d, a: single, lda: d, b: covariance, ldb: d, c: &product, ldc: d)
            basis = product.map(Double.init)
            PrincipalBasis.orthonormalise(&basis, rows: k, columns: d)
        }
        rows = basis.map(Float.init)
    }

    /// Modified Gram–Schmidt on the rows, in Double; a row that vanishes is replaced by a unit
    /// vector not yet spanned (so the result always has `rows` orthonormal rows).
    static func orthonormalise(_ a: inout [Double], rows k: Int, columns d: Int) {
        var axis = 0
        for i in 0..<k {
            while true {
                for _ in 0..<2 {
                    for p in 0..<i {
                        var dot = 0.0
                        for j in 0..<d { dot += a[i * d + j] * a[p * d + j] }
                        for j in 0..<d { a[i * d + j] -= dot * a[p * d + j] }
                    }
                }
                var norm = 0.0
                for j in 0..<d { norm += a[i * d + j] * a[i * d + j] }
                norm = norm.squareRoot()
                if norm > 1e-6 {
                    for j in 0..<d { a[i * d + j] /= norm }
                    break
                }
                precondition(axis < d, "PrincipalBasis: rank \(k) exceeds dimension \(d)")
                for j in 0..<d { a[i * d + j] = j == axis ? 1 : 0 }
                axis += 1
            }
        }
    }

    /// [p, ρ] for each row: its coordinates in the basis and the norm of what the basis misses.
    func augmentedCoordinates(_ x: [Float], count n: Int) -> [Float] {
        let d = dimension, k = rank
        var centred = [Float](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { centred[i * d + j] = x[i * d + j] - mean[j] } }
        var coordinates = [Float](repeating: 0, count: n * k)
        BLAS.sgemm(.none, .transpose, m: n, n: k, k: d, a: centred, lda: d, b: rows, ldb: d, c: &coordinates, ldc: k)
        // centred ← centred − coordinates·Q: the residual vectors.
        BLAS.sgemm(.none, .none, m: n, n: d, k: k, alpha: -1, a: coordinates, lda: k, b: rows, ldb: d,
                   beta: 1, c: &centred, ldc: d)
        var augmented = [Float](repeating: 0, count: n * (k + 1))
        for i in 0..<n {
            for j in 0..<k { augmented[i * (k + 1) + j] = coordinates[i * k + j] }
            var residual = 0.0
            for j in 0..<d { residual += Double(centred[i * d + j]) * Double(centred[i * d + j]) }
            augmented[i * (k + 1) + k] = Float(residual.squareRoot())
        }
        return augmented
    }
}
