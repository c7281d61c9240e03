/// Codes produced by the pure map `T(x) = y_{argmax_i <x, y_i> + h_i}`.
public struct TransportSample: Sendable, Equatable {
    /// Row-major `count × d`: each row is a target (a training code).
    public var codes: [Float]
    /// The target each source point was mapped to.
    public var targetIndices: [Int]
    public var count: Int { targetIndices.count }
}
