import Foundation
import TensorModule

let debugNewton = ProcessInfo.processInfo.environment["DEBUG_NEWTON"] != nil

extension SemiDiscreteSolver {
    /// How a run of Newton iterations ended.
    struct NewtonOutcome {
        var heights: [Double]
        var sample: CellCounts
        var stopReason: StopReason?
        var points: Int
        var alpha: Double
    }

    /// Damped stochastic Newton iterations on one level (the final problem or a coarse level).
    ///
    /// Each state `h` comes with a sample of fresh points (cell counts, each point's best and
    /// second target and gap). The direction solves `(L + λD) Δ = ν - w` with `L` the
    /// `FacetHessian` of that sample, by preconditioned conjugate gradients; the right side is made
    /// to sum to zero on each connected component of the facet graph (`λ = 1e-6` keeps it
    /// definite); cells that no point saw as best or second are raised just past their nearest win
    /// (`PowerCells.deficits`).
    ///
    /// Damping (Kitagawa, Mérigot & Thibert 2019, with sampled masses): the trial `h + αΔ` (first
    /// `α` = twice the last accepted step, at most the ceiling `newtonStep`) is counted on fresh
    /// points and accepted when its noise-corrected RMS² error is at most `(1 - α/2)²` times the
    /// current one, plus three standard deviations of the counting noise; otherwise `α` halves. At
    /// `α = ceiling/64` the trial is accepted anyway (the error is then at the noise level).
    ///
    /// Growth: a full Newton step leaves an error of about the counting noise of its points,
    /// `sqrt(M/N)`; when the error has not improved by `stallImprovement` for `newtonPatience`
    /// accepted steps, the points per step grow by `growthFactor` (up to `maximumPointsPerStep`),
    /// and at the maximum the ceiling shrinks by `learningRateDecay`, which averages successive
    /// estimates.
    ///
    /// `finished(estimate, heights, record)` is asked at every accepted state before a direction is
    /// computed; a non-nil reason ends the run there (it may attach an evaluation to the record).
    func newtonIterations(session: SolveSession, cells: PowerCells, weights: [Double], start: [Double],
                          points initialPoints: Int, maximumPoints: Int, steps: inout Int,
                          finished: (CellErrorEstimate, [Double], inout SolverRecord) -> StopReason?) -> NewtonOutcome {
        let count = weights.count
        var points = initialPoints
        var heights = start
        var ceiling = newtonStep
        var alpha = newtonStep / 2
        func measure(_ h: [Double], _ rate: Double) -> (CellCounts, CellErrorEstimate, SolverRecord) {
            steps += 1
            let sample = session.trainingSample(count: points, heights: h, keepAssignments: true, cells: cells)
            let estimate = CellErrorEstimate(counts: sample.counts, sampleCount: points, weights: weights)
            let record = session.record(step: steps, sample: sample, estimate: estimate, heights: h,
                                        learningRate: rate, weights: weights)
            return (sample, estimate, record)
        }
        var (sample, estimate, record) = measure(heights, 0)
        var best = Double.infinity, stalls = 0
        while true {
            if let reason = finished(estimate, heights, &record) {
                session.append(record, isFinal: true)
                return NewtonOutcome(heights: heights, sample: sample, stopReason: reason, points: points, alpha: alpha)
            }
            var limit: StopReason? = nil
            if steps >= maxIterations { limit = .iterationLimit } else if session.isOverTime { limit = .timeBudget }
            session.append(record, isFinal: limit != nil)
            if let limit {
                return NewtonOutcome(heights: heights, sample: sample, stopReason: limit, points: points, alpha: alpha)
            }
            let error = SemiDiscreteSolver.squaredError(estimate)
            if error < best * (1 - stallImprovement) * (1 - stallImprovement) {
                best = error; stalls = 0
            } else {
                stalls += 1
                if stalls >= newtonPatience {
                    if points < maximumPoints { points = min(maximumPoints, points * growthFactor) }
                    else { ceiling = max(ceiling * learningRateDecay, newtonStep / 64) }
                    stalls = 0; best = error
                }
            }
            var trial = min(ceiling, alpha * 2)
            let direction = newtonDirection(session: session, cells: cells, sample: sample, weights: weights,
                                            heights: heights, alpha: trial)
            let margin = 3 * (2 / Double(count)).squareRoot() * estimate.noiseFloor * estimate.noiseFloor
            while true {
                var candidate = heights
                for i in 0..<count { candidate[i] += trial * direction[i] }
                candidate = SemiDiscreteSolver.centred(candidate)
                let (trialSample, trialEstimate, trialRecord) = measure(candidate, trial)
                let trialError = SemiDiscreteSolver.squaredError(trialEstimate)
                let accepted = trialError <= (1 - trial / 2) * (1 - trial / 2) * error + margin
                if accepted || trial <= ceiling / 64 || steps >= maxIterations || session.isOverTime {
                    heights = candidate; sample = trialSample; estimate = trialEstimate; record = trialRecord
                    alpha = trial
                    break
                }
                session.append(trialRecord, isFinal: false)
                trial /= 2
            }
        }
    }

    /// The noise-corrected mean squared relative error of an estimate.
    static func squaredError(_ estimate: CellErrorEstimate) -> Double {
        estimate.rmsRelativeError * estimate.rmsRelativeError
    }

    /// Newton on the final level, from `start` (see `newtonIterations`).
    func runNewton(_ session: SolveSession, start: [Double], stepsSoFar: Int) -> SemiDiscreteSolution {
        let problem = session.problem
        let targetCount = problem.targetCount
        let maximumPoints = max(SemiDiscreteSolver.powerOfTwo(atLeast: min(pointsPerStep, 1 << 30)),
                                SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep))
        let points = min(maximumPoints, SemiDiscreteSolver.powerOfTwo(
            atLeast: min(1 << 30, max(pointsPerStep, newtonPointsPerCell * targetCount))))
        var steps = stepsSoFar
        var converged = false
        let outcome = newtonIterations(session: session, cells: session.cells, weights: problem.targetWeights,
                                       start: start, points: points, maximumPoints: maximumPoints,
                                       steps: &steps) { estimate, heights, record in
            let due = evaluationInterval > 0 && record.step % evaluationInterval == 0
            guard tolerance.isSatisfied(by: estimate) || due else { return nil }
            let evaluation = session.evaluate(heights, step: record.step)
            record.evaluation = evaluation
            if tolerance.isSatisfied(by: evaluation) { converged = true; return .toleranceReached }
            return nil
        }
        return session.finish(heights: outcome.heights, converged: converged,
                              stopReason: outcome.stopReason ?? .iterationLimit, steps: steps,
                              pointsPerStep: outcome.points, learningRate: outcome.alpha)
    }

    /// The Newton direction `Δ` at `heights` from a sample with kept assignments (see `runNewton`).
    func newtonDirection(session: SolveSession, cells: PowerCells, sample: CellCounts, weights: [Double],
                         heights: [Double], alpha: Double) -> [Double] {
        let targetCount = weights.count
        let hessian = FacetHessian(best: sample.best, second: sample.second, gap: sample.gap,
                                   pointCount: sample.pointCount, targetCount: targetCount,
                                   dimension: cells.dimension)
        let n = Double(sample.pointCount)
        var rightSide = [Double](repeating: 0, count: targetCount)
        for i in 0..<targetCount { rightSide[i] = weights[i] - Double(sample.counts[i]) / n }
        let component = hessian.components()
        var componentSum = [Double](repeating: 0, count: targetCount)
        var componentSize = [Int](repeating: 0, count: targetCount)
        for i in 0..<targetCount where hessian.diagonal[i] > 0 {
            componentSum[component[i]] += rightSide[i]; componentSize[component[i]] += 1
        }
        var shift = [Double](repeating: 0, count: targetCount)
        var isolated: [Int] = []
        for i in 0..<targetCount {
            if hessian.diagonal[i] > 0 {
                rightSide[i] -= componentSum[component[i]] / Double(componentSize[component[i]])
                shift[i] = 1e-6 * hessian.diagonal[i]
            } else {
                rightSide[i] = 0; shift[i] = 1
                isolated.append(i)
            }
        }
        let solution = hessian.solve(rightSide, shift: shift, tolerance: 1e-3, maxIterations: 1000)
        var direction = solution.x
        // Cells that no point saw as best or second: raise each just past its nearest win on a
        // subsample, so the next step sees them.
        if !isolated.isEmpty {
            var trial = heights
            for i in 0..<targetCount { trial[i] += alpha * direction[i] }
            let deficits = session.deficits(heights: trial, pointCount: min(sample.pointCount, 1 << 16), cells: cells)
            let medianGap = SemiDiscreteSolver.median(of: sample.gap)
            for i in isolated {
                let deficit = -Double(deficits[i])
                direction[i] = (deficit * 1.01 + 1e-3 * medianGap) / max(alpha, 1e-12)
            }
        }
        if debugNewton {
            let maxStep = direction.map { abs($0) }.max() ?? 0
            print("  newton M=\(targetCount): isolated \(isolated.count) nnz \(hessian.nonzeroCount) cg \(solution.iterations) res \(solution.residual) max|Δ| \(maxStep) comps \(Set(component).count)")
        }
        return SemiDiscreteSolver.centred(direction)
    }

    /// The median of the finite values (0 if none).
    static func median(of values: [Float]) -> Double {
        let finite = values.filter { $0.isFinite }.sorted()
        return finite.isEmpty ? 0 : Double(finite[finite.count / 2])
    }

    // MARK: - Multiscale start

    /// Solves the coarse levels of a binary `TargetHierarchy` of the targets, coarsest first, and
    /// returns heights for the final level; `steps` counts the steps taken.
    ///
    /// Each level is sampled with `multiscalePointsPerCell` points per site; if its RMS relative
    /// error is above `multiscaleTolerance` (and twice its counting noise), Newton steps follow, at
    /// most `multiscaleMaxSteps`. Then every parent `P` with children `a`, `b` (weights `w_a`,
    /// `w_b` normalised to sum 1, so `y_P = w_a y_a + w_b y_b`) hands its cell over to them: the
    /// children's facet is the hyperplane `<x, y_a - y_b> = t` with `t` the quantile of the
    /// projections of the points of `P`'s cell that leaves the fraction `w_a` of them on `a`'s side, i.e.
    ///
    ///   `h_a = h_P - β - w_b t`,   `h_b = h_P - β + w_a t`   (`h_a - h_b = -t`, `w_a h_a + w_b h_b = h_P - β`),
    ///
    /// where `β` is the mean over those points of `max(s_a, s_b) - s_P` (`w_b (π - t)` or
    /// `w_a (t - π)`), so the pair's upper envelope sits on the parent's plane on average and the
    /// family keeps about the parent's mass. A single child inherits its parent's height.
    func multiscaleStart(_ session: SolveSession, steps: inout Int) -> [Double] {
        let problem = session.problem
        let hierarchy = TargetHierarchy(targets: problem.targets, weights: problem.targetWeights,
                                        dimension: problem.dimension)
        let d = problem.dimension
        var heights = [Double](repeating: 0, count: hierarchy.levels[0].count)
        for levelIndex in 0..<(hierarchy.levels.count - 1) {
            let level = hierarchy.levels[levelIndex]
            let cells = PowerCells(targets: level.sites, dimension: d)
            let count = level.count
            let cap = SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep)
            let points = min(cap, SemiDiscreteSolver.powerOfTwo(atLeast: max(1 << 12, multiscalePointsPerCell * count)))
            var levelSteps = 0
            let outcome = newtonIterations(session: session, cells: cells, weights: level.weights, start: heights,
                                           points: points, maximumPoints: min(cap, 4 * points),
                                           steps: &steps) { estimate, _, _ in
                levelSteps += 1
                let rms = estimate.rawRmsRelativeError
                if count == 1 || rms <= max(multiscaleTolerance, 2 * estimate.noiseFloor)
                    || levelSteps > multiscaleMaxSteps { return .toleranceReached }
                return nil
            }
            heights = SemiDiscreteSolver.expand(heights: outcome.heights, level: level,
                                                children: hierarchy.levels[levelIndex + 1],
                                                sample: outcome.sample, source: problem.source, dimension: d)
            // Past the step or time budget each remaining level is only sampled once and expanded,
            // so the final level still gets heights derived from everything solved so far.
        }
        return heights
    }

    /// Children's heights from their parents' (see `multiscaleStart`).
    static func expand(heights: [Double], level: TargetHierarchy.Level, children: TargetHierarchy.Level,
                       sample: CellCounts, source: SourceDistribution, dimension d: Int) -> [Double] {
        // Each parent's children (one or two).
        var first = [Int](repeating: -1, count: level.count), second = [Int](repeating: -1, count: level.count)
        for c in 0..<children.count {
            let p = Int(children.parent[c])
            if first[p] < 0 { first[p] = c } else { second[p] = c }
        }
        // Projections π(x) = <x, y_a - y_b> of the points in each split parent's cell.
        var projections = [[Float]](repeating: [], count: level.count)
        sample.forEachPoint(source: source, dimension: d) { index, x in
            let p = Int(sample.best[index])
            let a = first[p], b = second[p]
            if b < 0 { return }
            var value: Float = 0
            for j in 0..<d { value += x[j] * (children.sites[a * d + j] - children.sites[b * d + j]) }
            projections[p].append(value)
        }
        var result = [Double](repeating: 0, count: children.count)
        for p in 0..<level.count {
            let a = first[p], b = second[p]
            if a < 0 { continue }
            if b < 0 { result[a] = heights[p]; continue }
            let total = children.weights[a] + children.weights[b]
            let wa = children.weights[a] / total, wb = children.weights[b] / total
            var values = projections[p]
            var t = 0.0, beta = 0.0
            if !values.isEmpty {
                values.sort()
                // A fraction wa of the points has π > t.
                let index = min(values.count - 1, max(0, Int((1 - wa) * Double(values.count))))
                t = index == 0 ? Double(values[0]) - 1e-6 : (Double(values[index - 1]) + Double(values[index])) / 2
                for v in values {
                    let pi = Double(v)
                    beta += pi > t ? wb * (pi - t) : wa * (t - pi)
                }
                beta /= Double(values.count)
            } else {
                // No point saw the parent: split at the projection of its site.
                for j in 0..<d {
                    t += Double(level.sites[p * d + j]) * Double(children.sites[a * d + j] - children.sites[b * d + j])
                }
            }
            result[a] = heights[p] - beta - wb * t
            result[b] = heights[p] - beta + wa * t
        }
        return SemiDiscreteSolver.centred(result)
    }
}
