import TensorModule

/// Baseline generator: a full-covariance Gaussian N(μ, Σ) fitted to the codes, sampled as μ + L·z
/// with Σ = L·Lᵀ (a small ridge is added when Σ is singular). What a VAE's prior assumes, fitted
/// after the fact: it covers the codes' bulk but fills the gaps between clusters.
public struct GaussianCodeModel: Codable, Equatable, Sendable {
    public var mean: [Double]
    /// Lower-triangular Cholesky factor of the covariance, row-major d×d.
    public var choleskyFactor: [Double]
    public var dimension: Int { mean.count }

    /// Fits mean and covariance to flat row-major n×d codes (n ≥ 2).
    public init(codes: [Float], dimension d: Int) {
        let (mean, covariance) = SymmetricMatrix.meanAndCovariance(codes, dimension: d)
        self.mean = mean
        let scale = max((0..<d).map { covariance[$0 * d + $0] }.max() ?? 1, 1e-12)
        var ridge = 0.0
        var factor: [Double]? = nil
        while factor == nil {
            var regularised = covariance
            for j in 0..<d { regularised[j * d + j] += ridge }
            factor = SymmetricMatrix.cholesky(regularised, size: d)
            ridge = ridge == 0 ? 1e-10 * scale : ridge * 10
        }
        choleskyFactor = factor!
    }

    /// `count` codes, flat row-major count×d.
    public func sample(count: Int, using rng: inout some RandomNumberGenerator) -> [Float] {
        let d = dimension
        var out = [Float](repeating: 0, count: count * d)
        var z = [Double](repeating: 0, count: d)
        for i in 0..<count {
            for j in 0..<d { z[j] = rng.nextGaussian() }
            for r in 0..<d {
                var value = mean[r]
                for c in 0...r { value += choleskyFactor[r * d + c] * z[c] }
                out[i * d + r] = Float(value)
            }
        }
        return out
    }
}
