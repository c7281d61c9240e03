import ArgumentParser
import Transport
import LatentOT

/// `--sampler pure|extended` with the extended sampler's threshold and blend.
struct SamplerOptions: ParsableArguments {
    @Option(help: "Sampler: pure (T(x), training codes only) or extended (blends of neighbouring cells).")
    var sampler: String = "pure"

    @Option(help: "Extended sampler: target acceptance rate in (0, 1], calibrated into an angle on pilot points.")
    var acceptance: Double?

    @Option(help: "Extended sampler: angle threshold in radians between the planes' normals (instead of --acceptance).")
    var angle: Double?

    @Option(help: "Extended sampler: how many best cells to search for a partner (2 = the toy variant, 20 = CelebA).")
    var neighbours: Int = 2

    @Option(help: "Extended sampler: fixed blend weight λ in [0, 1] ((1-λ) y_i + λ y_j); default λ ~ U(0, 1).")
    var blend: Double?

    @Flag(help: "Extended sampler: blend by the distance to the facet, λ = ½ max(0, 1 - gap/w) (continuous across blended facets; instead of --blend).")
    var facetBlend = false

    @Option(help: "Extended sampler: what to do with a source point whose cells cannot be blended: redraw it (AE-OT) or keep it as a pure sample (every cell keeps its mass).")
    var rejected: RejectionRule = .redraw

    /// The default acceptance rate when neither --acceptance nor --angle is given.
    static let defaultAcceptance = 0.75

    func validate() throws {
        guard sampler == "pure" || sampler == "extended" else { throw ValidationError("--sampler must be pure or extended, got '\(sampler)'") }
        if acceptance != nil && angle != nil { throw ValidationError("give --acceptance or --angle, not both") }
        if let acceptance, !(acceptance > 0 && acceptance <= 1) { throw ValidationError("--acceptance must be in (0, 1], got \(acceptance)") }
        if let angle, !(angle > 0 && angle <= .pi) { throw ValidationError("--angle must be in (0, π] radians, got \(angle)") }
        guard neighbours >= 2 else { throw ValidationError("--neighbours must be ≥ 2, got \(neighbours)") }
        if let blend, !(0...1).contains(blend) { throw ValidationError("--blend must be in [0, 1], got \(blend)") }
        if facetBlend && blend != nil { throw ValidationError("give --blend or --facet-blend, not both") }
        if sampler == "pure" && (acceptance != nil || angle != nil || blend != nil || facetBlend || rejected != .redraw) {
            throw ValidationError("--acceptance, --angle, --blend and --rejected apply to --sampler extended only")
        }
    }

    var choice: SamplerChoice {
        guard sampler == "extended" else { return .pure }
        let threshold: AngleThreshold = angle.map { .radians($0) } ?? .acceptance(acceptance ?? Self.defaultAcceptance)
        return .extended(threshold: threshold, neighbours: neighbours, blend: facetBlend ? .facet : blend.map { .fixed($0) } ?? .uniform, rejected: rejected)
    }
}

extension RejectionRule: ExpressibleByArgument {}
