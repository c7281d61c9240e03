import Foundation
import TensorModule

/// Two-dimensional toy distributions for mode-collapse experiments (VEEGAN, PacGAN, AE-OT).
///
/// | case | definition |
/// |---|---|
/// | `eight-gaussians` | 8 equally weighted modes at radius 2, angles kπ/4 (k = 0…7), std 0.02 |
/// | `twenty-five-gaussians` | 25 modes on the grid {−4, −2, 0, 2, 4}², std 0.05 |
/// | `ring` | uniform angle, radius 2 + N(0, 0.05²) |
/// | `two-moons` | scikit-learn's `make_moons` with noise 0.05, centred and scaled by 4/3 to x ∈ [−2, 2] |
/// | `swiss-roll` | (t cos t, t sin t)/7 with t = 1.5π(1 + 2u), u uniform, plus N(0, 0.05²) noise: about [−1.6, 2]² |
///
/// The mixtures report `modes` and `standardDeviation`, from which the mode-collapse metrics count
/// "high-quality" samples (within 3 standard deviations of the nearest mode: 98.9% of true
/// samples, as P(χ²₂ ≤ 9) = 1 − e^(−4.5)) and "modes covered".
public enum ToyDistribution: String, CaseIterable, Codable, Sendable {
    case eightGaussians = "eight-gaussians"
    case twentyFiveGaussians = "twenty-five-gaussians"
    case ring = "ring"
    case twoMoons = "two-moons"
    case swissRoll = "swiss-roll"

    /// The points are in the plane.
    public static let dimension = 2

    /// The mixture's mode centres, or nil for the continuous shapes.
    public var modes: [[Double]]? {
        switch self {
        case .eightGaussians:
            return (0..<8).map { k in
                let angle = Double(k) * Double.pi / 4
                return [2 * cos(angle), 2 * sin(angle)]
            }
        case .twentyFiveGaussians:
            let grid: [Double] = [-4, -2, 0, 2, 4]
            return grid.flatMap { x in grid.map { y in [x, y] } }
        case .ring, .twoMoons, .swissRoll:
            return nil
        }
    }

    /// The standard deviation of each mixture component (per coordinate), or nil for the
    /// continuous shapes.
    public var standardDeviation: Double? {
        switch self {
        case .eightGaussians: return 0.02
        case .twentyFiveGaussians: return 0.05
        case .ring, .twoMoons, .swissRoll: return nil
        }
    }

    /// `count` points, flat row-major [count × 2] (x₀, y₀, x₁, y₁, …).
    /// Deterministic for a given generator state.
    public func sample(count: Int, using generator: inout some RandomNumberGenerator) -> [Float] {
        precondition(count >= 0, "ToyDistribution.sample: count must be non-negative, got \(count)")
        var points = [Float]()
        points.reserveCapacity(2 * count)
        for _ in 0..<count {
            let (x, y) = samplePoint(using: &generator)
            points.append(Float(x))
            points.append(Float(y))
        }
        return points
    }

    /// `count` points as a tensor [count, 2].
    /// `count` points with every mixture mode drawn equally often (mode `i mod K` for point i), in a
    /// seeded random order: the same distribution as `sample`, without the multinomial imbalance of the
    /// mode counts (a variance reduction for targets; distributions without modes sample as usual).
    public func sampleStratified(count: Int, using generator: inout some RandomNumberGenerator) -> [Float] {
        guard let modes, let deviation = standardDeviation else { return sample(count: count, using: &generator) }
        let order = Shuffle.permutation(count: count, using: &generator)
        var points = [Float](repeating: 0, count: 2 * count)
        for (i, slot) in order.enumerated() {
            let mode = modes[i % modes.count]
            points[2 * slot] = Float(mode[0] + deviation * generator.nextGaussian())
            points[2 * slot + 1] = Float(mode[1] + deviation * generator.nextGaussian())
        }
        return points
    }

    public func sampleTensor(count: Int, using generator: inout some RandomNumberGenerator) -> Tensor {
        Tensor(shape: [count, 2], scalars: sample(count: count, using: &generator))
    }

    private func samplePoint(using generator: inout some RandomNumberGenerator) -> (Double, Double) {
        switch self {
        case .eightGaussians, .twentyFiveGaussians:
            let modes = self.modes!, deviation = standardDeviation!
            let mode = modes[Shuffle.uniformIndex(below: modes.count, using: &generator)]
            return (mode[0] + deviation * generator.nextGaussian(), mode[1] + deviation * generator.nextGaussian())
        case .ring:
            let angle = 2 * Double.pi * generator.nextUnitDouble()
            let radius = 2 + 0.05 * generator.nextGaussian()
            return (radius * cos(angle), radius * sin(angle))
        case .twoMoons:
            let angle = Double.pi * generator.nextUnitDouble()
            let upper = generator.next() & 1 == 0
            var x = upper ? cos(angle) : 1 - cos(angle)
            var y = upper ? sin(angle) : 0.5 - sin(angle)
            x += 0.05 * generator.nextGaussian()
            y += 0.05 * generator.nextGaussian()
            // Moons span x ∈ [−1, 2], y ∈ [−0.5, 1]: centre at (0.5, 0.25), scale by 4/3.
            return ((x - 0.5) * 4 / 3, (y - 0.25) * 4 / 3)
        case .swissRoll:
            let t = 1.5 * Double.pi * (1 + 2 * generator.nextUnitDouble())
            return (t * cos(t) / 7 + 0.05 * generator.nextGaussian(),
                    t * sin(t) / 7 + 0.05 * generator.nextGaussian())
        }
    }
}
