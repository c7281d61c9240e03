/// How `SemiDiscreteSolver` turns the estimated gradient `w - ν` into a step on the heights.
public enum SolverMethod: String, Codable, Sendable, CaseIterable {
    /// Damped stochastic Newton (Kitagawa, Mérigot & Thibert 2019, with sampled geometry): the
    /// Hessian (the Laplacian of the power diagram's facet masses) is estimated from the same points'
    /// best/second targets and gaps (`FacetHessian`), and `L Δ = ν - w` is solved by conjugate
    /// gradients. Scale-free and multi-scale: converges in tens of steps where Adam needs thousands
    /// on clustered targets.
    case newton
    /// Adam in the coordinates of a binary hierarchy of the targets (`HierarchicalBasis`), each
    /// coordinate stepping on its own natural scale (the separation of the two halves it moves
    /// apart times the radius of their cell): coarse and fine structure converge together.
    case hierarchicalAdam
    /// Adam on the relative gradient with the stall rule (the AE-OT reference's optimiser, bias-corrected).
    case adam
}
