/// Dense symmetric-matrix algorithms in Double (small matrices: covariances of codes and features).
public enum SymmetricMatrix {
    /// Eigen-decomposition A = V·diag(λ)·Vᵀ by cyclic Jacobi rotations.
    /// - Parameter matrix: row-major n×n symmetric.
    /// - Returns: eigenvalues (ascending) and eigenvectors as the columns of a row-major n×n matrix.
    /// - Complexity: O(n³) per sweep, usually under 10 sweeps.
    public static func eigen(_ matrix: [Double], size n: Int) -> (values: [Double], vectors: [Double]) {
        precondition(matrix.count == n * n, "SymmetricMatrix.eigen: \(matrix.count) values for \(n)×\(n)")
        var a = matrix
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        for _ in 0..<100 {
            var off = 0.0, diagonal = 0.0
            for i in 0..<n {
                diagonal += a[i * n + i] * a[i * n + i]
                for j in (i + 1)..<max(i + 1, n) { off += a[i * n + j] * a[i * n + j] }
            }
            if off <= 1e-30 * max(diagonal, 1e-300) { break }
            for p in 0..<n {
                for q in (p + 1)..<max(p + 1, n) {
                    let apq = a[p * n + q]
                    if abs(apq) < 1e-300 { continue }
                    let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = a[k * n + p], akq = a[k * n + q]
                        a[k * n + p] = c * akp - s * akq
                        a[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = a[p * n + k], aqk = a[q * n + k]
                        a[p * n + k] = c * apk - s * aqk
                        a[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] < a[$1 * n + $1] }
        var values = [Double](repeating: 0, count: n), vectors = [Double](repeating: 0, count: n * n)
        for (column, index) in order.enumerated() {
            values[column] = a[index * n + index]
            for k in 0..<n { vectors[k * n + column] = v[k * n + index] }
        }
        return (values, vectors)
    }

    /// Lower-triangular L with A = L·Lᵀ, or nil when A is not positive definite.
    public static func cholesky(_ matrix: [Double], size n: Int) -> [Double]? {
        precondition(matrix.count == n * n, "SymmetricMatrix.cholesky: \(matrix.count) values for \(n)×\(n)")
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = matrix[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard sum > 0 else { return nil }
                    l[i * n + i] = sum.squareRoot()
                } else {
                    l[i * n + j] = sum / l[j * n + j]
                }
            }
        }
        return l
    }

    /// Mean (length d) and covariance (d×d, divisor n−1) of the rows of a flat n×d array.
    public static func meanAndCovariance(_ rows: [Float], dimension d: Int) -> (mean: [Double], covariance: [Double]) {
        precondition(d > 0 && rows.count % d == 0 && rows.count / d >= 2,
                     "meanAndCovariance: needs ≥ 2 rows of dimension \(d), got \(rows.count) values")
        let n = rows.count / d
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { mean[j] += Double(rows[i * d + j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var centred = [Double](repeating: 0, count: n * d)
        for i in 0..<n { for j in 0..<d { centred[i * d + j] = Double(rows[i * d + j]) - mean[j] } }
        var covariance = [Double](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { x in
            covariance.withUnsafeMutableBufferPointer { c in
                BLAS.dgemm(.transpose, .none, m: d, n: d, k: n, alpha: 1 / Double(n - 1),
                           a: x.baseAddress!, lda: d, b: x.baseAddress!, ldb: d, c: c.baseAddress!, ldc: d)
            }
        }
        return (mean, covariance)
    }
}
