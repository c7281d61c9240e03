import TensorModule

/// Fréchet distance between Gaussians fitted to two feature sets (the FID formula in a feature space
/// of our own): |μ₁ − μ₂|² + tr Σ₁ + tr Σ₂ − 2·tr (Σ₁^½ Σ₂ Σ₁^½)^½.
public enum FrechetDistance {
    public static func compute(_ a: [Float], _ b: [Float], dimension d: Int) -> Double {
        let (meanA, covarianceA) = SymmetricMatrix.meanAndCovariance(a, dimension: d)
        let (meanB, covarianceB) = SymmetricMatrix.meanAndCovariance(b, dimension: d)
        var meanTerm = 0.0
        for j in 0..<d { meanTerm += (meanA[j] - meanB[j]) * (meanA[j] - meanB[j]) }
        var traces = 0.0
        for j in 0..<d { traces += covarianceA[j * d + j] + covarianceB[j * d + j] }
        // S = Σ₁^½ from the eigen-decomposition (negative round-off eigenvalues clamped to 0).
        let (values, vectors) = SymmetricMatrix.eigen(covarianceA, size: d)
        var root = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d {
                var sum = 0.0
                for k in 0..<d { sum += vectors[i * d + k] * max(values[k], 0).squareRoot() * vectors[j * d + k] }
                root[i * d + j] = sum
            }
        }
        var product = [Double](repeating: 0, count: d * d), middle = [Double](repeating: 0, count: d * d)
        BLAS.dgemm(.none, .none, m: d, n: d, k: d, a: root, lda: d, b: covarianceB, ldb: d, c: &product, ldc: d)
        BLAS.dgemm(.none, .none, m: d, n: d, k: d, a: product, lda: d, b: root, ldb: d, c: &middle, ldc: d)
        for i in 0..<d { for j in 0..<i { let s = (middle[i * d + j] + middle[j * d + i]) / 2; middle[i * d + j] = s; middle[j * d + i] = s } }
        let inner = SymmetricMatrix.eigen(middle, size: d).values.reduce(0) { $0 + max($1, 0).squareRoot() }
        return max(0, meanTerm + traces - 2 * inner)
    }
}
