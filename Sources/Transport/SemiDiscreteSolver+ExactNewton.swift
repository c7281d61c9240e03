import TensorModule

extension SemiDiscreteSolver {
    /// Targets up to which `.automatic` takes the exact planar method (its cells cost O(M²) per
    /// evaluation: about 10 ms at M = 1024).
    public static let exactNewtonTargetLimit = 4096

    /// Relative cell error (`max_i |μ(W_i)/ν_i - 1|`) at which the exact method stops: far below any
    /// tolerance an evaluation on fresh points can confirm.
    static let exactNewtonPrecision = 1e-9

    /// Whether `SolverMethod.exactNewton` applies: targets in the plane, source uniform on a square.
    public static func supportsExactNewton(_ problem: SemiDiscreteProblem) -> Bool {
        guard problem.dimension == 2, case .uniformBox = problem.source else { return false }
        return true
    }

    /// Damped Newton on exact cells (Kitagawa, Mérigot & Thibert 2019, Algorithm 1), for planar
    /// targets and the uniform square source (`PowerDiagram2D`: masses, facet weights and energy
    /// with no sampling).
    ///
    /// The direction solves `L Δ = ν - μ(W(h))` (`L` the Laplacian of the facet weights, by
    /// conjugate gradients); the step `τ ∈ {1, ½, ¼, …}` is the first that keeps every cell's mass
    /// above `ε = ½ min(min_i μ(W_i(h₀)), min_i ν_i)` and shrinks `|μ - ν|` by the factor `1 - τ/2`.
    /// Convergence is global from any start with no empty cell, and quadratic near the solution: a
    /// handful of steps reaches `exactNewtonPrecision`. A start with empty cells (targets outside
    /// the square) is replaced by `scaledVoronoiHeights`, whose cells are all non-empty; should one
    /// still be empty (rounding), the sampled Newton method takes over.
    ///
    /// The tolerance is judged on the exact cell errors (`CellErrorEstimate(exactMasses:)`, which is
    /// also the solution's evaluation: no fresh points are drawn). With no tolerance the run ends at
    /// `exactNewtonPrecision`, or when rounding stops the line search (`.stalled`).
    func runExactNewton(_ session: SolveSession, start: [Double], stepsSoFar: Int) -> SemiDiscreteSolution {
        let problem = session.problem
        guard case .uniformBox(let halfWidth) = problem.source, problem.dimension == 2 else {
            preconditionFailure("runExactNewton: needs a planar problem with a uniform square source")
        }
        let weights = problem.targetWeights, count = problem.targetCount
        func diagram(_ h: [Double]) -> PowerDiagram2D {
            PowerDiagram2D(targets: problem.targets, heights: h, halfWidth: halfWidth)
        }
        var heights = start
        var current = diagram(heights)
        if current.masses.contains(0) {
            heights = Self.scaledVoronoiHeights(targets: problem.targets, halfWidth: halfWidth)
            current = diagram(heights)
        }
        if current.masses.contains(0) {
            session.methodUsed = .newton
            return runNewton(session, start: start, stepsSoFar: stepsSoFar, restartIfEmpty: true)
        }

        let floor = 0.5 * min(current.masses.min() ?? 0, weights.min() ?? 0)
        var step = stepsSoFar
        var stopReason: StopReason = .iterationLimit
        var converged = false
        var tau = 1.0
        var exact = CellErrorEstimate(exactMasses: current.masses, weights: weights)
        while step < maxIterations {
            if session.isOverTime { stopReason = .timeBudget; break }
            step += 1
            var weighted = 0.0
            for i in 0..<count { weighted += weights[i] * heights[i] }
            var record = SolverRecord(step: step, cellCount: count, energy: current.potentialIntegral - weighted,
                                      maxRelativeError: exact.maxRelativeError, meanRelativeError: exact.meanRelativeError,
                                      rmsRelativeError: exact.rmsRelativeError, emptyCells: exact.emptyCells, pointsPerStep: 0,
                                      learningRate: tau, seconds: 0, evaluation: nil)
            if tolerance.isSatisfied(by: exact) || exact.maxRelativeError <= Self.exactNewtonPrecision {
                converged = tolerance.isSatisfied(by: exact)
                stopReason = converged ? .toleranceReached : .stalled
                record.evaluation = exact
                session.append(record, isFinal: true)
                break
            }
            // Direction: L Δ = ν - μ (consistent: both sides sum to zero), definite through a tiny shift.
            let hessian = FacetHessian(targetCount: count, edgeLow: current.facets.map(\.low),
                                       edgeHigh: current.facets.map(\.high), edgeWeight: current.facets.map(\.weight))
            let largest = hessian.diagonal.max() ?? 1
            let shift = [Double](repeating: 1e-12 * largest, count: count)
            var rightSide = [Double](repeating: 0, count: count)
            for i in 0..<count { rightSide[i] = weights[i] - current.masses[i] }
            let direction = hessian.solve(rightSide, shift: shift, tolerance: 1e-12, maxIterations: 10 * count + 100).x
            let norm = Self.gradientNorm(masses: current.masses, weights: weights)
            // Damping: halve τ until every cell keeps its floor and |μ - ν| shrinks by (1 - τ/2).
            tau = 1
            var accepted: (heights: [Double], diagram: PowerDiagram2D)? = nil
            for _ in 0..<40 {
                let trial = SemiDiscreteSolver.centred(zip(heights, direction).map { $0 + tau * $1 })
                let next = diagram(trial)
                if (next.masses.min() ?? 0) >= floor
                    && Self.gradientNorm(masses: next.masses, weights: weights) <= (1 - tau / 2) * norm {
                    accepted = (trial, next)
                    break
                }
                tau /= 2
            }
            session.append(record, isFinal: false)
            guard let accepted else {
                // Rounding: no step shrinks the error any more.
                stopReason = .stalled
                break
            }
            heights = accepted.heights
            current = accepted.diagram
            exact = CellErrorEstimate(exactMasses: current.masses, weights: weights)
        }
        // The exact errors of the returned heights are their evaluation (no fresh points needed).
        session.noteExactEvaluation(exact, step: step)
        return session.finish(heights: heights, converged: converged, stopReason: stopReason, steps: step,
                              pointsPerStep: 0, learningRate: tau)
    }

    /// `|μ - ν|`, the Euclidean norm of the energy's gradient.
    static func gradientNorm(masses: [Double], weights: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<masses.count { sum += (masses[i] - weights[i]) * (masses[i] - weights[i]) }
        return sum.squareRoot()
    }

    /// `h_i = -|y_i|²/(2s)` with `s = max(1, max_ij |y_ij| / a)`: the Voronoi diagram of the targets
    /// seen through `x ↦ s·x`, since `<x, y_i> - |y_i|²/(2s) = (|s x|² - |s x - y_i|²)/(2s)`. The square
    /// scaled by `s` holds every target, and a target lies inside its own Voronoi cell, so every cell
    /// meets the square with positive area (distinct targets): a start for the exact method even
    /// when targets lie outside the square, where the plain Voronoi start leaves cells empty.
    static func scaledVoronoiHeights(targets: [Float], halfWidth a: Double) -> [Double] {
        let largest = targets.reduce(0.0) { max($0, abs(Double($1))) }
        let scale = max(1, largest / a * (1 + 1e-6))
        let count = targets.count / 2
        return SemiDiscreteSolver.centred((0..<count).map { i in
            let x = Double(targets[2 * i]), y = Double(targets[2 * i + 1])
            return -(x * x + y * y) / (2 * scale)
        })
    }
}
