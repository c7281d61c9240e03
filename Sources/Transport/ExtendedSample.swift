/// Codes produced by the extended sampler: blends `z = (1 - λ) y_a + λ y_b` of neighbouring cells.
public struct ExtendedSample: Sendable, Equatable {
    /// Row-major `count × d`.
    public var codes: [Float]
    /// The best cell `a` of each accepted source point.
    public var firstIndices: [Int]
    /// The partner `b` (among its top-k cells) the blend moved towards.
    public var secondIndices: [Int]
    /// `λ` of each blend.
    public var blendWeights: [Double]
    /// The angle threshold used, in radians (calibrated when given as an acceptance rate).
    public var angleThreshold: Double
    /// Source points drawn, accepted or not.
    public var attempts: Int
    /// `count / attempts`: the acceptance rate achieved.
    public var acceptanceRate: Double { attempts > 0 ? Double(count) / Double(attempts) : 0 }
    public var count: Int { firstIndices.count }
}
