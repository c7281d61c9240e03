/// How `SemiDiscreteSolver` turns the estimated gradient `w - ν` into a step on the heights.
public enum SolverMethod: String, Codable, Sendable, CaseIterable {
    /// Damped stochastic Newton (Kitagawa, Mérigot & Thibert 2019, with sampled geometry): the
    /// Hessian (the Laplacian of the power diagram's facet masses) is estimated from the same points'
    /// best/second targets and gaps (`FacetHessian`), and `L Δ = ν - w` is solved by conjugate
    /// gradients. Scale-free and multi-scale: converges in tens of steps where Adam needs thousands
    /// on clustered targets.
    case newton
    /// Adam on the relative gradient with the stall rule (the AE-OT reference's optimiser, bias-corrected).
    case adam
}
