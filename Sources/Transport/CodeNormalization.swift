/// The affine map that brings autoencoder codes to the scale of the source box:
/// `normalised = (code - centre) / scale`, `code = normalised · scale + centre`.
///
/// Fitted on the codes with `centre` = their mean and one scalar `scale` for all coordinates, so the
/// geometry of the codes (angles, ratios of distances, the power diagram up to a change of heights)
/// is preserved:
///
///   `scale = max_{i,j} |y_ij - centre_j| / halfWidth`
///
/// i.e. after normalisation the largest absolute coordinate equals `halfWidth` (default 1: the codes
/// fill the default source box `[-1, 1]^d`). The maximum rather than a robust quantile is used on
/// purpose: every code then lies in the box, so no cell is pushed outside the support of the source,
/// and the solver's step sizes (given relative to this scale) are predictable. With heavy outliers
/// the bulk of the codes becomes small; a robust scale can be given through `init(centre:scale:)`.
/// Constant codes (zero spread) get `scale = 1`.
public struct CodeNormalization: Codable, Sendable, Equatable {
    /// The mean code, length `dimension`.
    public var centre: [Double]
    /// The divisor applied after centring (> 0).
    public var scale: Double

    public var dimension: Int { centre.count }

    /// The largest code magnitude accepted by `init(fitting:)`.
    public static let largestMagnitude: Float = 1e30

    public init(centre: [Double], scale: Double) {
        precondition(scale > 0 && scale.isFinite, "CodeNormalization: scale must be finite and > 0, got \(scale)")
        self.centre = centre
        self.scale = scale
    }

    /// Fits the centre and scale on flat row-major `codes` (`count × dimension`).
    /// - Throws: `TransportError` when the codes are empty, not a multiple of `dimension` or not finite.
    public init(fitting codes: [Float], dimension: Int, halfWidth: Double = 1) throws {
        guard dimension >= 1 else {
            throw TransportError.invalidDimension(field: "dimension", expected: "≥ 1", found: "\(dimension)")
        }
        guard !codes.isEmpty else {
            throw TransportError.invalidTargets(field: "codes", expected: "at least one code", found: "an empty array")
        }
        guard codes.count % dimension == 0 else {
            throw TransportError.invalidTargets(field: "codes", expected: "a multiple of dimension \(dimension) values",
                                                found: "\(codes.count) values")
        }
        guard halfWidth.isFinite && halfWidth > 0 else {
            throw TransportError.invalidArgument(field: "halfWidth", expected: "a finite number > 0", found: "\(halfWidth)")
        }
        if let bad = codes.firstIndex(where: { !$0.isFinite }) {
            throw TransportError.invalidTargets(field: "codes[\(bad / dimension)][\(bad % dimension)]",
                                                expected: "finite values", found: "\(codes[bad])")
        }
        // Samples leave the codes' hull by up to half a code spacing (the extended sampler) and are
        // mapped back by `invert` in float32: codes of magnitude beyond 1e30 could overflow there.
        if let huge = codes.firstIndex(where: { abs($0) > Self.largestMagnitude }) {
            throw TransportError.invalidTargets(field: "codes[\(huge / dimension)][\(huge % dimension)]",
                                                expected: "magnitudes ≤ 1e30 (samples are mapped back in float32; rescale the codes)",
                                                found: "\(codes[huge])")
        }
        let count = codes.count / dimension
        var mean = [Double](repeating: 0, count: dimension)
        for i in 0..<count { for j in 0..<dimension { mean[j] += Double(codes[i * dimension + j]) } }
        for j in 0..<dimension { mean[j] /= Double(count) }
        var largest = 0.0
        for i in 0..<count {
            for j in 0..<dimension { largest = max(largest, abs(Double(codes[i * dimension + j]) - mean[j])) }
        }
        self.init(centre: mean, scale: largest > 0 ? largest / halfWidth : 1)
    }

    /// `(code - centre) / scale` for flat row-major codes.
    public func apply(_ codes: [Float]) -> [Float] {
        precondition(codes.count % max(1, dimension) == 0,
                     "CodeNormalization.apply: \(codes.count) values is not a multiple of dimension \(dimension)")
        var result = codes
        let inverse = 1 / scale, d = dimension
        for i in 0..<result.count { result[i] = Float((Double(codes[i]) - centre[i % d]) * inverse) }
        return result
    }

    /// `normalised · scale + centre` for flat row-major points: the inverse of `apply`.
    public func invert(_ normalised: [Float]) -> [Float] {
        precondition(normalised.count % max(1, dimension) == 0,
                     "CodeNormalization.invert: \(normalised.count) values is not a multiple of dimension \(dimension)")
        var result = normalised
        let d = dimension
        for i in 0..<result.count { result[i] = Float(Double(normalised[i]) * scale + centre[i % d]) }
        return result
    }
}
