/// How the extended sampler blends an accepted pair: `z = (1 - λ) y_a + λ y_b`, `a` the best cell.
public enum BlendWeight: Codable, Sendable, Equatable {
    /// `λ ~ U(0, 1)` (the AE-OT toy experiments).
    case uniform
    /// A fixed `λ` (the AE-OT CelebA sampler uses 0.75: `z = 0.25 y_a + 0.75 y_b`).
    case fixed(Double)
}
