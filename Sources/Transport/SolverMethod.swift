/// How `SemiDiscreteSolver` turns the estimated gradient `w - ν` into a step on the heights.
public enum SolverMethod: String, Codable, Sendable, CaseIterable {
    /// `exactNewton` for planar targets and a uniform square source (up to
    /// `SemiDiscreteSolver.exactNewtonTargetLimit` targets), else `newton` in dimension ≤
    /// `SemiDiscreteSolver.newtonDimensionLimit` (3), `fixedSet` above; a Newton solve that stalls
    /// hands over to `fixedSet` (the solution's `method` then says so).
    ///
    /// Measured: on 2-D toys (eight Gaussians, M = 1024) multiscale Newton reaches a maximum relative
    /// cell error of 0.1 in about a hundred sampling passes where Adam needs thousands; in
    /// dimension 32 the sampled Hessian is too inaccurate for Newton to make progress, while Adam
    /// from the Voronoi heights converges in about a hundred steps.
    case automatic
    /// Damped stochastic Newton (Kitagawa, Mérigot & Thibert 2019, with sampled geometry): the
    /// Hessian (the Laplacian of the power diagram's facet masses) is estimated from the same
    /// points' best/second targets and gaps (`FacetHessian`), and `L Δ = ν - w` is solved by
    /// conjugate gradients. With `InitialHeights.multiscale` it starts coarse to fine.
    case newton
    /// Adam on the relative gradient with the stall rule (the AE-OT reference's optimiser, with
    /// bias correction, fresh points each step and a decaying step).
    case adam
    /// Adam on a fixed set of points that grows level by level (`fixedSetInitialPointsPerCell · M`
    /// points, times `fixedSetGrowthFactor` per level up to `maximumPointsPerStep`), each point keeping
    /// its `candidateCount` best targets (`CandidateLists`): a step re-scores a few candidates per point
    /// instead of all `M` targets, so the solver can afford the millions of points that a small
    /// relative error at large `M` needs (about `M / r²`). The fixed set's own sampling error,
    /// about `sqrt(M/N)` per cell, is the floor of what a level can reach.
    case fixedSet = "fixed-set"
    /// Damped Newton on the exact power diagram, for planar targets and a uniform square source
    /// (`PowerDiagram2D`: cell masses, facet lengths and energy without sampling): converges to
    /// rounding in a handful of steps. `.automatic` takes it for such problems up to
    /// `SemiDiscreteSolver.exactNewtonTargetLimit` targets; asked for elsewhere, `.newton` runs.
    case exactNewton = "exact-newton"
}
