/// When the extended sampler accepts a pair of neighbouring cells `a`, `b`: the angle between
/// the normals `n_i = (y_i, -1)/|(y_i, -1)|` of their planes must be below a threshold.
///
/// `cos θ = (<y_a, y_b> + 1) / sqrt((1 + |y_a|²)(1 + |y_b|²))` depends on the scale and origin of
/// the codes, so a threshold in radians only means something for one normalisation; an acceptance
/// rate is calibrated into radians on pilot points instead.
public enum AngleThreshold: Codable, Sendable, Equatable {
    /// Accept pairs whose angle is below this many radians (π accepts every pair).
    case radians(Double)
    /// Accept this fraction of source points: the threshold is the matching quantile of the
    /// pair angles of pilot points.
    case acceptance(Double)
}
