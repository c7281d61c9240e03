import ArgumentParser
import Transport
import LatentOT

/// How the extended sampler places a blended code on the segment between two cells' codes.
enum BlendRule: String, CaseIterable, ExpressibleByArgument {
    /// `BlendWeight.linearExtension` (the default).
    case linearExtension = "extension"
    /// `BlendWeight.facet`.
    case facet
    /// `BlendWeight.uniform` (AE-OT's toy variant).
    case uniform
}

/// `--sampler pure|extended` with the extended sampler's threshold and blend.
struct SamplerOptions: ParsableArguments {
    @Option(help: "Sampler: pure (T(x), training codes only; the default) or extended (blends of neighbouring cells).")
    var sampler: String?

    @Flag(help: "Use the extended sampler (same as --sampler extended).")
    var extended = false

    /// `--sampler extended` or `--extended`.
    var isExtended: Bool { sampler == "extended" || extended }

    @Option(help: "Extended sampler: target acceptance rate in (0, 1], calibrated into an angle on pilot points.")
    var acceptance: Double?

    @Option(help: "Extended sampler: angle threshold in radians between the planes' normals (instead of --acceptance).")
    var angle: Double?

    @Option(help: "Extended sampler: how many best cells to search for a partner (2 = the toy variant, 20 = CelebA).")
    var neighbours: Int = 2

    @Option(help: ArgumentHelp("Extended sampler: where a blend lies on the segment (1-λ) y_i + λ y_j. extension: λ = clamp(½(1 - gap/w), -½, ½), the piecewise-linear extension of the map (the facet maps to the midpoint, a typical interior point to y_i, deeper points beyond it; default); facet: λ = ½ max(0, 1 - gap/w); uniform: λ ~ U(0, 1) (AE-OT's toy rule). w is the median gap of blended pairs.",
                                valueName: "extension|facet|uniform"))
    var blendRule: BlendRule?

    @Option(help: "Extended sampler: fixed blend weight λ in [0, 1] ((1-λ) y_i + λ y_j), instead of --blend-rule.")
    var blend: Double?

    @Flag(help: "Extended sampler: the same as --blend-rule facet.")
    var facetBlend = false

    @Option(help: "Extended sampler: what to do with a source point whose cells cannot be blended: redraw it (AE-OT) or keep it as a pure sample (every cell keeps its mass). Default: pure with --blend-rule extension or facet, redraw with uniform or --blend.")
    var rejected: RejectionRule?

    /// The default acceptance rate when neither --acceptance nor --angle is given.
    static let defaultAcceptance = 0.75

    func validate() throws {
        if let sampler, sampler != "pure" && sampler != "extended" { throw ValidationError("--sampler must be pure or extended, got '\(sampler)'") }
        if acceptance != nil && angle != nil { throw ValidationError("give --acceptance or --angle, not both") }
        if let acceptance, !(acceptance > 0 && acceptance <= 1) { throw ValidationError("--acceptance must be in (0, 1], got \(acceptance)") }
        if let angle, !(angle > 0 && angle <= .pi) { throw ValidationError("--angle must be in (0, π] radians, got \(angle)") }
        guard neighbours >= 2 else { throw ValidationError("--neighbours must be ≥ 2, got \(neighbours)") }
        if let blend, !(0...1).contains(blend) { throw ValidationError("--blend must be in [0, 1], got \(blend)") }
        if facetBlend && blend != nil { throw ValidationError("give --blend or --facet-blend, not both") }
        if blendRule != nil && blend != nil { throw ValidationError("give --blend or --blend-rule, not both") }
        if facetBlend, let blendRule, blendRule != .facet {
            throw ValidationError("--facet-blend means --blend-rule facet, not \(blendRule.rawValue)")
        }
        if extended && sampler == "pure" {
            throw ValidationError("--extended contradicts --sampler pure")
        }
        if !isExtended && (acceptance != nil || angle != nil || blend != nil || blendRule != nil || facetBlend || rejected != nil) {
            throw ValidationError("--acceptance, --angle, --blend, --blend-rule and --rejected apply to --sampler extended only")
        }
    }

    var choice: SamplerChoice {
        guard isExtended else { return .pure }
        let threshold: AngleThreshold = angle.map { .radians($0) } ?? .acceptance(acceptance ?? Self.defaultAcceptance)
        let weight: BlendWeight
        if let blend {
            weight = .fixed(blend)
        } else {
            switch facetBlend ? .facet : (blendRule ?? .linearExtension) {
            case .linearExtension: weight = .linearExtension
            case .facet: weight = .facet
            case .uniform: weight = .uniform
            }
        }
        let keepsMass = weight == .linearExtension || weight == .facet
        return .extended(threshold: threshold, neighbours: neighbours, blend: weight,
                         rejected: rejected ?? (keepsMass ? .pure : .redraw))
    }
}

extension RejectionRule: ExpressibleByArgument {}
