import Transport

/// Which sampler turns source points into codes.
public enum SamplerChoice: Codable, Sendable, Equatable {
    /// `T(x)`: every sample is a training code.
    case pure
    /// The AE-OT extended sampler: blends of neighbouring cells, angle-filtered.
    case extended(threshold: AngleThreshold, neighbours: Int, blend: BlendWeight, rejected: RejectionRule = .redraw)

    /// The extended sampler's default: acceptance 0.75 (AE-OT's), the piecewise-linear extension
    /// along the pair (`BlendWeight.linearExtension`), unblendable points kept as pure samples.
    public static let defaultExtended = SamplerChoice.extended(threshold: .acceptance(0.75), neighbours: 2,
                                                               blend: .linearExtension, rejected: .pure)
    /// AE-OT's own rule (the toy variant): acceptance 0.75, `λ ~ U(0, 1)`, unblendable points redrawn.
    public static let aeotExtended = SamplerChoice.extended(threshold: .acceptance(0.75), neighbours: 2,
                                                            blend: .uniform, rejected: .redraw)

    public var name: String {
        switch self {
        case .pure: return "pure"
        case .extended: return "extended"
        }
    }
}
