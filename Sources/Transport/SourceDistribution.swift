import TensorModule

/// The source measure `μ` of the semi-discrete problem, on R^d.
///
/// - `uniformBox(halfWidth: a)`: uniform on the cube `[-a, a]^d`, density `(2a)^-d` (the AE-OT
///   default, with `a = 1` after the codes are normalised by `CodeNormalization`).
/// - `gaussian`: the standard normal `N(0, I_d)`.
///
/// Points are produced from a Sobol sequence point `u ∈ (0,1)^d` coordinate by coordinate:
/// `x_j = a (2 u_j - 1)` for the box, `x_j = Φ⁻¹(u_j)` for the Gaussian. With a scrambled sequence
/// every block of points is an unbiased quasi-Monte Carlo sample of `μ`.
public enum SourceDistribution: Codable, Sendable, Equatable, CustomStringConvertible {
    case uniformBox(halfWidth: Double = 1)
    case gaussian

    /// Typical length of a source point per coordinate: `a` for the box, 1 for the Gaussian.
    /// Heights have units of `<x, y>`, so the solver scales its step with it.
    public var coordinateScale: Double {
        switch self {
        case .uniformBox(let halfWidth): return halfWidth
        case .gaussian: return 1
        }
    }

    /// Standard deviation of one coordinate: `a/√3` for the box, 1 for the Gaussian.
    public var coordinateStandardDeviation: Double {
        switch self {
        case .uniformBox(let halfWidth): return halfWidth / 3.0.squareRoot()
        case .gaussian: return 1
        }
    }

    public var description: String {
        switch self {
        case .uniformBox(let halfWidth): return "uniform on [-\(halfWidth), \(halfWidth)]^d"
        case .gaussian: return "standard normal"
        }
    }

    /// Throws `TransportError.invalidSource` unless the half-width is finite and positive.
    public func validate() throws {
        if case .uniformBox(let halfWidth) = self, !(halfWidth.isFinite && halfWidth > 0) {
            throw TransportError.invalidSource(field: "source.halfWidth", expected: "a finite number > 0",
                                               found: "\(halfWidth)")
        }
    }

    /// Writes source points `start..<start+count` of `sequence` as a row-major `count × dimension`
    /// Float array.
    /// - Precondition: `sequence.dimension == dimension`.
    /// - Complexity: O(count · dimension).
    public func fill(points: UnsafeMutablePointer<Float>, start: Int, count: Int, dimension: Int,
                     sequence: SobolSequence) {
        precondition(sequence.dimension == dimension,
                     "SourceDistribution.fill: sequence dimension \(sequence.dimension) ≠ dimension \(dimension)")
        if count <= 0 { return }
        let total = count * dimension
        let unit = UnsafeMutablePointer<Double>.allocate(capacity: total)
        defer { unit.deallocate() }
        sequence.fill(start: start, count: count, into: unit)
        switch self {
        case .uniformBox(let halfWidth):
            let a = 2 * halfWidth
            for i in 0..<total { points[i] = Float(a * unit[i] - halfWidth) }
        case .gaussian:
            for i in 0..<total { points[i] = Float(NormalDistribution.approximateQuantile(unit[i])) }
        }
    }

    /// Writes `count` independent pseudo-random source points (row-major `count × dimension`).
    /// Used where plain Monte Carlo is wanted, e.g. a noise correction that assumes independent points.
    public func fill(points: UnsafeMutablePointer<Float>, count: Int, dimension: Int,
                     using generator: inout some RandomNumberGenerator) {
        let total = max(0, count * dimension)
        switch self {
        case .uniformBox(let halfWidth):
            let a = 2 * halfWidth
            for i in 0..<total { points[i] = Float(a * generator.nextUnitDouble() - halfWidth) }
        case .gaussian:
            for i in 0..<total { points[i] = Float(generator.nextGaussian()) }
        }
    }

    /// Convenience: `count` quasi-random points from index `start` of `sequence`, as a flat array.
    public func points(start: Int, count: Int, dimension: Int, sequence: SobolSequence) -> [Float] {
        var result = [Float](repeating: 0, count: count * dimension)
        result.withUnsafeMutableBufferPointer {
            fill(points: $0.baseAddress!, start: start, count: count, dimension: dimension, sequence: sequence)
        }
        return result
    }

    /// Convenience: `count` independent pseudo-random points as a flat array.
    public func points(count: Int, dimension: Int, using generator: inout some RandomNumberGenerator) -> [Float] {
        var result = [Float](repeating: 0, count: count * dimension)
        result.withUnsafeMutableBufferPointer {
            fill(points: $0.baseAddress!, count: count, dimension: dimension, using: &generator)
        }
        return result
    }
}
