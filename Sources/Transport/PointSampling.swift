/// How source points are drawn for an estimate of the cell measures.
public enum PointSampling: String, Codable, Sendable, CaseIterable {
    /// Scrambled Sobol points (randomised quasi-Monte Carlo): unbiased, and with a lower variance
    /// than independent points, so estimates of the cell measures are sharper for the same cost.
    case scrambledSobol
    /// Independent pseudo-random points: plain Monte Carlo, for which the binomial noise correction
    /// of `CellErrorEstimate.rmsRelativeError` is exact.
    case independentRandom
}
