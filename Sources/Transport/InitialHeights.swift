/// Where the solver starts.
public enum InitialHeights: String, Codable, Sendable, CaseIterable {
    /// `h = 0`: the cells of `<x, y_i>` alone (the reference PyTorch code's start).
    case zero
    /// `h_i = -|y_i|²/2` (centred): the Voronoi diagram of the targets, where each cell holds the
    /// source mass nearest to its target (the reference CUDA code's start; usually much closer).
    case voronoi
    /// Coarse to fine (after Mérigot 2011): the targets are split into a binary hierarchy of groups;
    /// each level is sampled (and, if needed, improved by Newton steps) and every group's cell is
    /// handed to its two halves along the hyperplane that gives each its share of the mass (see
    /// `SemiDiscreteSolver.multiscaleStart`). Robust for clustered targets, whose Voronoi cells are
    /// tiny inside the clusters. Used by Newton; Adam (and `heights(for:)`) start from the Voronoi
    /// heights instead.
    case multiscale

    /// The centred heights for `problem`.
    public func heights(for problem: SemiDiscreteProblem) -> [Double] {
        switch self {
        case .zero:
            return [Double](repeating: 0, count: problem.targetCount)
        case .voronoi, .multiscale:
            let d = problem.dimension
            var heights = [Double](repeating: 0, count: problem.targetCount)
            for i in 0..<problem.targetCount {
                var squared = 0.0
                for j in 0..<d { let v = Double(problem.targets[i * d + j]); squared += v * v }
                heights[i] = -squared / 2
            }
            return SemiDiscreteSolver.centred(heights)
        }
    }
}
