import Foundation
import TensorModule

/// Solves a `SemiDiscreteProblem` by stochastic minimisation of the convex energy
///
///   `E(h) = ∫ max_i (<x, y_i> + h_i) dμ(x) - Σ_i ν_i h_i`,   `∂E/∂h_i = w_i(h) - ν_i`,
///
/// where `w_i(h) = μ(W_i(h))` is the source measure of the power cell of `y_i`. The solver *is* its
/// configuration: set the stored properties, then call `solve`.
///
/// Newton and Adam estimate `w` at every step by counting the cells of fresh quasi-Monte Carlo
/// points: the next block of one scrambled Sobol sequence (aligned to its power-of-two size, so every
/// block is a complete net), so no point is reused and no fixed-set bias builds up; the fixed-set
/// method counts one growing set exactly instead. Heights are kept centred
/// (`Σ h_i = 0`) and accumulated in Double. Three methods turn the estimate into a step
/// (`SolverMethod`; `.automatic` picks Newton up to dimension 3 and the fixed set above):
///
/// - Newton (dimension ≤ 3): damped Newton steps with the Hessian estimated from the same points'
///   best and second-best targets and score gaps (`FacetHessian`), started coarse to fine over a
///   binary hierarchy of the targets (`InitialHeights.multiscale`). Clustered targets, whose
///   Voronoi cells are tiny and which defeat a fixed step size, converge in tens of passes. The
///   points per step start at `newtonPointsPerCell · M` and grow by `newtonGrowthFactor` when the
///   error stops falling (it is then at the counting noise of the step). Details in `newtonIterations`.
///   Under `.automatic`, a Newton solve that stalls (no progress at the most points and the smallest
///   step ceiling) hands over to the fixed-set method for the rest of the budget.
/// - Fixed set (higher dimension): Adam on a fixed point set that grows level by level, each point
///   keeping its best targets so that a step re-scores a few candidates instead of all `M`
///   (`CandidateLists`; details in `runFixedSet`), from the Gaussian-map heights. It trades the
///   fresh points of every step for exact counts of many more points: the error floor of a set of
///   `N` points is about `sqrt(M/N)`.
/// - Adam (the reference's optimiser, on fresh points): bias-corrected Adam on the relative
///   gradient `r_i = (w_i - ν_i)/ν_i` (Adam is invariant to the per-coordinate scale `1/ν_i`, which only keeps its `ε` negligible
///   for any `M`), from the Voronoi heights. Step sizes are relative: the height step is
///   `learningRate · heightScale`, `heightScale = problem.targetSpread · source.coordinateScale`
///   (heights have the units of `<x, y>`), so the defaults hold whatever the scale of the codes.
///   Every `growthPatience` steps the RMS error of those steps' own points (fresh, counted before
///   the update) is averaged; when it has not improved by `stallImprovement` on the best window,
///   the learning rate is multiplied by `learningRateDecay` (Adam's jitter of the heights is
///   proportional to it) and the points per step by `growthFactor` (up to `maximumPointsPerStep`).
///
/// Stopping. When a step's own estimate (Adam: or the counts pooled over a window) meets the
/// tolerance, or every `evaluationInterval` steps, the heights are evaluated on
/// `evaluationPointCount` fresh points of an independent sequence (`CellErrorEstimate`); the solve
/// converges when that evaluation meets `tolerance`. It also stops at `maxIterations` (coarse levels
/// included), after `timeBudget` seconds, or (Adam) when the learning rate falls below
/// `minimumLearningRate` at the maximum point count. The returned heights are always evaluated on
/// fresh points, and `hasConverged` reports whether that evaluation met the tolerance.
///
/// Defaults (measured on this package's toys and synthetic codes, see the module documentation):
/// Newton with 64 points per cell and at least 2^16 points on coarse levels; Adam with
/// `learningRate` 0.01 of the height scale, 2^14 points per step growing to 2^20, patience 20;
/// tolerance: noise-corrected RMS relative error 0.05 judged on 2^18 fresh points.
///
/// - Complexity: per step O(N · M · d) flops in the cell kernel (less in dimension ≤ 2, where it
///   prunes clusters of targets), O(M + N) memory beyond the targets.
public struct SemiDiscreteSolver: Codable, Sendable, Equatable {
    /// How a step is computed from the estimated gradient.
    public var method: SolverMethod = .automatic
    /// The starting heights when no warm start is given.
    public var initialHeights: InitialHeights = .multiscale
    /// When the solve has converged.
    public var tolerance: Tolerance = .rmsRelativeError(0.05)
    /// The largest number of steps (sampling passes, coarse levels included).
    public var maxIterations: Int = 10_000
    /// Wall-clock budget in seconds (nil: none).
    public var timeBudget: Double? = nil
    /// Fresh points per independent evaluation.
    public var evaluationPointCount: Int = 1 << 18
    /// Steps between routine evaluations (0: evaluate only when a step's own counts meet the
    /// tolerance, and at the end).
    public var evaluationInterval: Int = 0
    /// How evaluation points are drawn (training always uses scrambled Sobol points).
    public var evaluationSampling: PointSampling = .scrambledSobol
    /// Source points per step (Adam: at the start; Newton: at least), rounded up to a power of two.
    public var pointsPerStep: Int = 1 << 14
    /// The largest number of points per step the growth rules may reach.
    public var maximumPointsPerStep: Int = 1 << 20
    /// Adam: factor applied to the points per step when progress stalls.
    public var growthFactor: Int = 2
    /// Relative decrease of the error that counts as progress.
    public var stallImprovement: Double = 0.1

    /// Newton: the largest fraction of the Newton step (the line search halves it from there).
    public var newtonStep: Double = 1
    /// Newton: points per step on the final level, per target (the Hessian estimate needs tens of
    /// points per cell).
    public var newtonPointsPerCell: Int = 64
    /// Newton: accepted steps without progress before the point count grows.
    public var newtonPatience: Int = 2
    /// Newton: factor applied to the points per step when progress stalls (4: one Newton step
    /// takes the error to the counting noise, so the points must grow fast to pay; measured 30 %
    /// fewer passes than 2 on the 2-D toys).
    public var newtonGrowthFactor: Int = 4
    /// Multiscale start: points per site when sampling a coarse level.
    public var multiscalePointsPerCell: Int = 64
    /// Multiscale start: the fewest points per step on a coarse level.
    public var multiscaleMinimumPoints: Int = 1 << 16
    /// Multiscale start: a coarse level is done at this RMS relative error of its groups' cells
    /// (or when its error stops falling, or after `multiscaleMaxSteps` accepted steps).
    public var multiscaleTolerance: Double = 0.05
    /// Multiscale start: the most accepted Newton steps per coarse level.
    public var multiscaleMaxSteps: Int = 12

    /// Fixed set: points on the first level, per target (measured on Fashion-MNIST codes, M = 60,000,
    /// 90 s: RMS 0.36 from 2 per target, 0.38 from 1, 0.48 from 4, whose first level never ended).
    public var fixedSetInitialPointsPerCell: Int = 2
    /// Fixed set: factor applied to the set's size from one level to the next.
    public var fixedSetGrowthFactor: Int = 4
    /// Fixed set: a level is done when the RMS relative error of its own counts is below this
    /// fraction of its sampling floor `sqrt(M/N)` (fitting the set better than it samples the
    /// source does not lower the true error).
    public var fixedSetFitFraction: Double = 0.5
    /// Fixed set: the candidate targets kept per point (measured at M = 10,000, d = 32: 16 re-scores
    /// 17 % of the points per step, 64 about 9 %).
    public var candidateCount: Int = 32
    /// Fixed set: targets whose heights rose most, scored explicitly for every point (see `CandidateLists`).
    public var riserCount: Int = 64
    /// Fixed set: Adam's step relative to the height scale.
    public var fixedSetLearningRate: Double = 0.02
    /// Fixed set: the most points the set may grow to (rounded down to a power of two). Its error
    /// floor is about `sqrt(M/N)`: at M = 60,000 an RMS of 0.16 needs N ≈ 2^22.
    public var fixedSetMaximumPoints: Int = 1 << 22
    /// Fixed set: the most bytes its points and candidate lists may take (`CandidateLists.bytesPerPoint`
    /// each); the set stops growing below that, whatever `fixedSetMaximumPoints` says.
    public var fixedSetMemoryLimit: Int = 2 << 30

    /// Adam: step relative to the height scale (see above).
    public var learningRate: Double = 0.01
    /// Adam: first-moment decay β1.
    public var beta1: Double = 0.9
    /// Adam: second-moment decay β2.
    public var beta2: Double = 0.999
    /// Adam: steps per progress window of the stall rule.
    public var growthPatience: Int = 20
    /// Factor applied to the step on a stall: Adam's learning rate; Newton's step ceiling once the
    /// points per step are at their maximum (successive estimates are then averaged).
    public var learningRateDecay: Double = 0.5
    /// Adam: below this learning rate, at the maximum point count, the solve stops as `.stalled`.
    public var minimumLearningRate: Double = 1e-7

    public init() {}

    /// Throws `TransportError.invalidArgument` naming the first setting out of range.
    public func validate() throws {
        func check(_ ok: Bool, _ field: String, _ expected: String, _ found: Any) throws {
            if !ok { throw TransportError.invalidArgument(field: field, expected: expected, found: "\(found)") }
        }
        try check(learningRate > 0 && learningRate.isFinite, "learningRate", "a finite number > 0", learningRate)
        try check(newtonStep > 0 && newtonStep <= 1, "newtonStep", "a number in (0, 1]", newtonStep)
        try check(fixedSetInitialPointsPerCell >= 1, "fixedSetInitialPointsPerCell", "≥ 1", fixedSetInitialPointsPerCell)
        try check(fixedSetGrowthFactor >= 2, "fixedSetGrowthFactor", "≥ 2", fixedSetGrowthFactor)
        try check(fixedSetFitFraction > 0 && fixedSetFitFraction.isFinite, "fixedSetFitFraction", "a finite number > 0",
                  fixedSetFitFraction)
        try check(candidateCount >= 1 && candidateCount <= 1024, "candidateCount", "1...1024", candidateCount)
        try check(riserCount >= 0, "riserCount", "≥ 0", riserCount)
        try check(fixedSetLearningRate > 0 && fixedSetLearningRate.isFinite, "fixedSetLearningRate", "a finite number > 0",
                  fixedSetLearningRate)
        try check((1...(1 << 30)).contains(fixedSetMaximumPoints), "fixedSetMaximumPoints", "1...2^30", fixedSetMaximumPoints)
        try check(fixedSetMemoryLimit >= 1 << 20, "fixedSetMemoryLimit", "≥ 2^20 bytes", fixedSetMemoryLimit)
        try check(newtonPointsPerCell >= 1, "newtonPointsPerCell", "≥ 1", newtonPointsPerCell)
        try check(newtonPatience >= 1, "newtonPatience", "≥ 1", newtonPatience)
        try check(multiscalePointsPerCell >= 1, "multiscalePointsPerCell", "≥ 1", multiscalePointsPerCell)
        try check(multiscaleMinimumPoints >= 1, "multiscaleMinimumPoints", "≥ 1", multiscaleMinimumPoints)
        try check(multiscaleTolerance > 0, "multiscaleTolerance", "> 0", multiscaleTolerance)
        try check(multiscaleMaxSteps >= 1, "multiscaleMaxSteps", "≥ 1", multiscaleMaxSteps)
        try check((0..<1).contains(beta1), "beta1", "a number in [0, 1)", beta1)
        try check((0..<1).contains(beta2), "beta2", "a number in [0, 1)", beta2)
        try check(pointsPerStep >= 1 && pointsPerStep <= 1 << 30, "pointsPerStep", "1...2^30", pointsPerStep)
        try check(maximumPointsPerStep >= pointsPerStep && maximumPointsPerStep <= 1 << 30, "maximumPointsPerStep",
                  "pointsPerStep...2^30", maximumPointsPerStep)
        try check(growthPatience >= 1, "growthPatience", "≥ 1", growthPatience)
        try check(growthFactor >= 1, "growthFactor", "≥ 1", growthFactor)
        try check(newtonGrowthFactor >= 1, "newtonGrowthFactor", "≥ 1", newtonGrowthFactor)
        try check(learningRateDecay > 0 && learningRateDecay <= 1, "learningRateDecay", "a number in (0, 1]", learningRateDecay)
        try check(stallImprovement >= 0 && stallImprovement < 1, "stallImprovement", "a number in [0, 1)", stallImprovement)
        try check(minimumLearningRate >= 0, "minimumLearningRate", "≥ 0", minimumLearningRate)
        try check(maxIterations >= 0, "maxIterations", "≥ 0", maxIterations)
        if let timeBudget { try check(timeBudget > 0, "timeBudget", "a number of seconds > 0", timeBudget) }
        try check(evaluationPointCount >= 1, "evaluationPointCount", "≥ 1", evaluationPointCount)
        try check(evaluationInterval >= 0, "evaluationInterval", "≥ 0", evaluationInterval)
        if let bound = tolerance.maxRelativeError { try check(bound >= 0, "tolerance.maxRelativeError", "≥ 0", bound) }
        if let bound = tolerance.rmsRelativeError { try check(bound >= 0, "tolerance.rmsRelativeError", "≥ 0", bound) }
    }

    /// Solves `problem` from `initialHeights`. Same `seed`, same settings → identical heights.
    /// - Precondition: the settings are valid (`validate()`).
    public func solve(_ problem: SemiDiscreteProblem, seed: UInt64,
                      progress: ((SolverProgress) -> Void)? = nil) -> SemiDiscreteSolution {
        run(problem, seed: seed, start: nil, progress: progress)
    }

    /// Warm start: solves `problem` from the given heights (e.g. an earlier solution's), centred first.
    /// - Throws: `TransportError.invalidHeights` if they are not `M` finite values.
    public func solve(_ problem: SemiDiscreteProblem, seed: UInt64, initialHeights heights: [Double],
                      progress: ((SolverProgress) -> Void)? = nil) throws -> SemiDiscreteSolution {
        try CellErrorEstimate.validate(heights: heights, targetCount: problem.targetCount, field: "initialHeights")
        return run(problem, seed: seed, start: SemiDiscreteSolver.centred(heights), progress: progress)
    }

    /// Dimensions up to which `.automatic` means Newton.
    public static let newtonDimensionLimit = 3

    /// The method actually used for `problem` (`.automatic` resolved by its dimension).
    public func resolvedMethod(for problem: SemiDiscreteProblem) -> SolverMethod {
        let exactApplies = SemiDiscreteSolver.supportsExactNewton(problem)
        switch method {
        case .exactNewton where !exactApplies:
            return problem.dimension <= SemiDiscreteSolver.newtonDimensionLimit ? .newton : .fixedSet
        case .automatic:
            if exactApplies && problem.targetCount <= SemiDiscreteSolver.exactNewtonTargetLimit { return .exactNewton }
            return problem.dimension <= SemiDiscreteSolver.newtonDimensionLimit ? .newton : .fixedSet
        default:
            return method
        }
    }

    /// `h - mean(h)`.
    public static func centred(_ heights: [Double]) -> [Double] {
        if heights.isEmpty { return heights }
        var mean = 0.0
        for h in heights { mean += h }
        mean /= Double(heights.count)
        return heights.map { $0 - mean }
    }

    /// The height scale `targetSpread · source.coordinateScale` that `learningRate` is relative to.
    public static func heightScale(of problem: SemiDiscreteProblem) -> Double {
        problem.targetSpread * problem.source.coordinateScale
    }

    // MARK: - Dispatch

    private func run(_ problem: SemiDiscreteProblem, seed: UInt64, start: [Double]?,
                     progress: ((SolverProgress) -> Void)?) -> SemiDiscreteSolution {
        do { try validate() } catch { preconditionFailure("SemiDiscreteSolver: \(error)") }
        let session = SolveSession(problem: problem, solver: self, seed: seed, progress: progress)
        var steps = 0
        let heights: [Double]
        var multiscale = false
        if let start {
            heights = start
        } else if initialHeights == .multiscale && resolvedMethod(for: problem) == .newton
                    && problem.targetCount > 2 && maxIterations > 0 {
            heights = multiscaleStart(session, steps: &steps)
            multiscale = true
        } else if initialHeights == .multiscale && resolvedMethod(for: problem) == .fixedSet {
            heights = InitialHeights.gaussian.heights(for: problem)
        } else if initialHeights == .multiscale && resolvedMethod(for: problem) == .exactNewton {
            // Exact cells need no coarse levels: the Voronoi cells of targets in the square are all non-empty.
            heights = InitialHeights.voronoi.heights(for: problem)
        } else {
            heights = initialHeights.heights(for: problem)
        }
        switch resolvedMethod(for: problem) {
        case .newton, .automatic:
            return runNewton(session, start: heights, stepsSoFar: steps, restartIfEmpty: !multiscale)
        case .adam: return runAdam(session, start: heights, stepsSoFar: steps)
        case .fixedSet: return runFixedSet(session, start: heights, stepsSoFar: steps)
        case .exactNewton: return runExactNewton(session, start: heights, stepsSoFar: steps)
        }
    }

    /// The largest power of two ≤ `value` (1 when `value` < 2).
    public static func powerOfTwo(atMost value: Int) -> Int {
        var p = 1
        while p * 2 <= value { p <<= 1 }
        return p
    }

    /// The smallest power of two ≥ `value` (1 when `value` < 2).
    public static func powerOfTwo(atLeast value: Int) -> Int {
        var p = 1
        while p < value { p <<= 1 }
        return p
    }
}

extension SemiDiscreteSolver {
    /// Decodes settings written by any earlier version: a setting missing from the file (added
    /// since, e.g. `fixedSetMaximumPoints`) takes its default, so older model folders still load.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var s = SemiDiscreteSolver()
        func read<T: Decodable>(_ key: CodingKeys, into value: inout T) throws {
            if let decoded = try c.decodeIfPresent(T.self, forKey: key) { value = decoded }
        }
        try read(.method, into: &s.method)
        try read(.initialHeights, into: &s.initialHeights)
        try read(.tolerance, into: &s.tolerance)
        try read(.maxIterations, into: &s.maxIterations)
        s.timeBudget = try c.decodeIfPresent(Double.self, forKey: .timeBudget)
        try read(.evaluationPointCount, into: &s.evaluationPointCount)
        try read(.evaluationInterval, into: &s.evaluationInterval)
        try read(.evaluationSampling, into: &s.evaluationSampling)
        try read(.pointsPerStep, into: &s.pointsPerStep)
        try read(.maximumPointsPerStep, into: &s.maximumPointsPerStep)
        try read(.growthFactor, into: &s.growthFactor)
        try read(.stallImprovement, into: &s.stallImprovement)
        try read(.newtonStep, into: &s.newtonStep)
        try read(.newtonPointsPerCell, into: &s.newtonPointsPerCell)
        try read(.newtonPatience, into: &s.newtonPatience)
        try read(.newtonGrowthFactor, into: &s.newtonGrowthFactor)
        try read(.multiscalePointsPerCell, into: &s.multiscalePointsPerCell)
        try read(.multiscaleMinimumPoints, into: &s.multiscaleMinimumPoints)
        try read(.multiscaleTolerance, into: &s.multiscaleTolerance)
        try read(.multiscaleMaxSteps, into: &s.multiscaleMaxSteps)
        try read(.fixedSetInitialPointsPerCell, into: &s.fixedSetInitialPointsPerCell)
        try read(.fixedSetGrowthFactor, into: &s.fixedSetGrowthFactor)
        try read(.fixedSetFitFraction, into: &s.fixedSetFitFraction)
        try read(.candidateCount, into: &s.candidateCount)
        try read(.riserCount, into: &s.riserCount)
        try read(.fixedSetLearningRate, into: &s.fixedSetLearningRate)
        try read(.fixedSetMaximumPoints, into: &s.fixedSetMaximumPoints)
        try read(.fixedSetMemoryLimit, into: &s.fixedSetMemoryLimit)
        try read(.learningRate, into: &s.learningRate)
        try read(.beta1, into: &s.beta1)
        try read(.beta2, into: &s.beta2)
        try read(.growthPatience, into: &s.growthPatience)
        try read(.learningRateDecay, into: &s.learningRateDecay)
        try read(.minimumLearningRate, into: &s.minimumLearningRate)
        self = s
    }
}
