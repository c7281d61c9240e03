import Foundation

/// Mode coverage of 2-D samples against a Gaussian mixture, the VEEGAN / PacGAN protocol:
/// a sample is high-quality when it lies within `3·std` of its nearest mode; a mode is captured when
/// it is the nearest mode of at least one high-quality sample; the Jensen–Shannon divergence (natural
/// log) compares the histogram of high-quality samples over modes with the uniform histogram.
public struct MixtureCoverage: Codable, Equatable, Sendable {
    public var modesCaptured: Int
    public var modeCount: Int
    public var highQualityFraction: Double
    public var jensenShannon: Double
    /// High-quality samples per mode.
    public var modeHistogram: [Int]

    /// - Parameters:
    ///   - samples: flat n×dimension array.
    ///   - modes: mode centres, each of length `dimension`.
    ///   - standardDeviation: the mixture's per-coordinate standard deviation.
    ///   - radiusInDeviations: the high-quality radius in standard deviations (3 in the protocol).
    public init(samples: [Float], dimension: Int, modes: [[Double]], standardDeviation: Double,
                radiusInDeviations: Double = 3) {
        precondition(dimension > 0 && samples.count % dimension == 0 && !modes.isEmpty,
                     "MixtureCoverage: \(samples.count) values for dimension \(dimension), \(modes.count) modes")
        precondition(modes.allSatisfy { $0.count == dimension }, "MixtureCoverage: modes must have dimension \(dimension)")
        let n = samples.count / dimension
        var histogram = [Int](repeating: 0, count: modes.count)
        var highQuality = 0
        let radius = radiusInDeviations * standardDeviation
        for i in 0..<n {
            var bestMode = 0, bestDistance = Double.infinity
            for (m, mode) in modes.enumerated() {
                var squared = 0.0
                for j in 0..<dimension {
                    let difference = Double(samples[i * dimension + j]) - mode[j]
                    squared += difference * difference
                }
                if squared < bestDistance { bestDistance = squared; bestMode = m }
            }
            if bestDistance.squareRoot() <= radius {
                highQuality += 1
                histogram[bestMode] += 1
            }
        }
        modeCount = modes.count
        modeHistogram = histogram
        modesCaptured = histogram.filter { $0 > 0 }.count
        highQualityFraction = n == 0 ? 0 : Double(highQuality) / Double(n)
        let uniform = [Double](repeating: 1 / Double(modes.count), count: modes.count)
        jensenShannon = highQuality == 0
            ? log(2.0)
            : MixtureCoverage.jensenShannonDivergence(histogram.map { Double($0) / Double(highQuality) }, uniform)
    }

    /// JS(p, q) = ½ KL(p‖m) + ½ KL(q‖m), m = (p + q)/2, natural log; 0 ≤ JS ≤ ln 2.
    public static func jensenShannonDivergence(_ p: [Double], _ q: [Double]) -> Double {
        precondition(p.count == q.count, "jensenShannonDivergence: lengths \(p.count) and \(q.count)")
        var result = 0.0
        for i in 0..<p.count {
            let m = (p[i] + q[i]) / 2
            if p[i] > 0 { result += 0.5 * p[i] * log(p[i] / m) }
            if q[i] > 0 { result += 0.5 * q[i] * log(q[i] / m) }
        }
        return max(0, result)
    }
}
