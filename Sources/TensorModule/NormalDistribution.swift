import Foundation

@inline(__always) func _cos(_ x: Double) -> Double { cos(x) }

/// The standard normal distribution's quantile function (inverse CDF), for Gaussian QMC points.
public enum NormalDistribution {
    /// Φ⁻¹(p) for p in (0,1): `approximateQuantile` refined by one Halley step on erfc, accurate to
    /// about 1e-15.
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "NormalDistribution.quantile: p must be in (0,1), got \(p)")
        var x = approximateQuantile(p)
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        x -= u / (1 + x * u / 2)
        return x
    }

    /// Φ⁻¹(p) by Acklam's rational approximation alone (relative error below 1.2e-9), without
    /// allocation: for turning Sobol points into Gaussian source points in hot loops, where the
    /// points are stored as Float anyway. `quantile` refines it to about 1e-15.
    @inline(__always)
    public static func approximateQuantile(_ p: Double) -> Double {
        let low = 0.02425
        if p < low {
            let q = (-2 * log(p)).squareRoot()
            return (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                      - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                    + 3.754408661907416e+00) * q + 1)
        }
        if p > 1 - low {
            let q = (-2 * log(1 - p)).squareRoot()
            return -(((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                       - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
                / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                    + 3.754408661907416e+00) * q + 1)
        }
        let q = p - 0.5, r = q * q
        return (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                  + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
            / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                 + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1)
    }

    /// Φ(x), the standard normal CDF.
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
}
