import Foundation
import TensorModule


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
    /// `FacetHessian` of that sample, by preconditioned conjugate gradients; cells without a point
    /// are left out of `L` (their measure does not respond to their height until it crosses a
    /// deficit), the right side is made to sum to zero on each connected component of the facet
    /// graph, and `λ = 1e-6` keeps the system definite.
    ///
    /// Empty cells: when at most 5 % of the cells (or one) are empty, each is raised just past its
    /// nearest win on a subsample (`PowerCells.deficits`) plus half the median gap, doubling that
    /// margin on each consecutive round (at most three), so the next steps see and grow it.
    ///
    /// Damping (Kitagawa, Mérigot & Thibert 2019, with sampled masses): the trial `h + αΔ`, first
    /// with `α` = twice the last accepted step (at most the ceiling `newtonStep`), is counted on
    /// fresh points and accepted when its RMS relative error is at most `(1 - α/2)` times the
    /// current one; otherwise `α` halves, at most seven times, and the last trial is taken anyway
    /// (the error is then at the counting noise).
    ///
    /// Growth: a full Newton step leaves an error of about the counting noise of its points,
    /// `sqrt(M/N)`; when the noise-corrected error has not improved by `stallImprovement` for
    /// `newtonPatience` accepted steps, the points per step grow by `newtonGrowthFactor` (up to
    /// `maximumPointsPerStep`), and at the maximum the ceiling shrinks by `learningRateDecay`, which
    /// averages successive estimates.
    ///
    /// `finished(estimate, heights, record)` is asked at every accepted state before a direction is
    /// computed; a non-nil reason ends the run (it may attach an evaluation to the record). On a
    /// coarse level (`finalLevel` false) the state of lowest RMS error is returned rather than the last.
    func newtonIterations(session: SolveSession, cells: PowerCells, weights: [Double], start: [Double],
                          points initialPoints: Int, maximumPoints: Int, steps: inout Int, finalLevel: Bool,
                          stopWhenStalled: Bool = false,
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
        var bestState = (heights: heights, sample: sample, rms: estimate.rawRmsRelativeError)
        var best = Double.infinity, stalls = 0
        func outcome(_ reason: StopReason) -> NewtonOutcome {
            if !finalLevel && bestState.rms < estimate.rawRmsRelativeError {
                return NewtonOutcome(heights: bestState.heights, sample: bestState.sample, stopReason: reason,
                                     points: points, alpha: alpha)
            }
            return NewtonOutcome(heights: heights, sample: sample, stopReason: reason, points: points, alpha: alpha)
        }
        var raiseRounds = 0
        while true {
            if estimate.rawRmsRelativeError < bestState.rms {
                bestState = (heights, sample, estimate.rawRmsRelativeError)
            }
            var limit: StopReason? = nil
            if steps >= maxIterations { limit = .iterationLimit } else if session.isOverTime { limit = .timeBudget }
            // A few empty cells: raise them (see above) before anything else.
            let empty = estimate.emptyCells == 0 ? [] : (0..<count).filter { sample.counts[$0] == 0 }
            if limit == nil && !empty.isEmpty && empty.count * 20 <= max(20, count) && raiseRounds < 3 {
                session.append(record, isFinal: false)
                let deficits = session.deficits(heights: heights, pointCount: min(points, 1 << 16), cells: cells)
                let margin = 0.5 * Double(1 << raiseRounds) * SemiDiscreteSolver.median(of: sample.gap)
                for i in empty where deficits[i].isFinite { heights[i] += -Double(deficits[i]) + margin }
                heights = SemiDiscreteSolver.centred(heights)
                raiseRounds += 1
                (sample, estimate, record) = measure(heights, 0)
                continue
            }
            raiseRounds = 0
            if let reason = finished(estimate, heights, &record) {
                // The solve's last record is reported by `SolveSession.finish`; a coarse level's is not the last.
                session.append(record, isFinal: finalLevel || limit != nil)
                return outcome(reason)
            }
            session.append(record, isFinal: limit != nil)
            if let limit { return outcome(limit) }
            let error = SemiDiscreteSolver.squaredError(estimate)
            if error < best * (1 - stallImprovement) * (1 - stallImprovement) {
                best = error; stalls = 0
            } else {
                stalls += 1
                if stalls >= newtonPatience {
                    if points < maximumPoints { points = min(maximumPoints, points * newtonGrowthFactor) }
                    else if ceiling > newtonStep / 64 { ceiling = max(ceiling * learningRateDecay, newtonStep / 64) }
                    else if finalLevel && stopWhenStalled { return outcome(.stalled) }
                    stalls = 0; best = error
                }
            }
            // Twice the last accepted step, but never below ceiling/16: a step forced at the bottom
            // of a line search (noise) must not ratchet the next one down.
            var trial = min(ceiling, max(alpha * 2, ceiling / 16))
            let direction = newtonDirection(cells: cells, sample: sample, weights: weights)
            let smallest = trial / 128
            while true {
                var candidate = heights
                for i in 0..<count { candidate[i] += trial * direction[i] }
                candidate = SemiDiscreteSolver.centred(candidate)
                let (trialSample, trialEstimate, trialRecord) = measure(candidate, trial)
                let accepted = trialEstimate.rawRmsRelativeError <= (1 - trial / 2) * estimate.rawRmsRelativeError
                if accepted || trial <= smallest * 1.0001 || steps >= maxIterations || session.isOverTime {
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
    func runNewton(_ session: SolveSession, start: [Double], stepsSoFar: Int,
                   restartIfEmpty: Bool) -> SemiDiscreteSolution {
        let problem = session.problem
        let targetCount = problem.targetCount
        if stepsSoFar >= maxIterations || session.isOverTime {
            return session.finish(heights: start, converged: false,
                                  stopReason: stepsSoFar >= maxIterations ? .iterationLimit : .timeBudget,
                                  steps: stepsSoFar, pointsPerStep: pointsPerStep, learningRate: newtonStep)
        }
        var start = start, stepsSoFar = stepsSoFar
        if restartIfEmpty && targetCount > 2 {
            // A start with many empty cells (zero heights, or a bad warm start) is out of Newton's
            // reach: begin coarse to fine instead.
            let probe = session.trainingSample(count: min(1 << 16, max(1 << 12, 16 * targetCount)), heights: start,
                                               keepAssignments: false)
            let empty = probe.counts.filter { $0 == 0 }.count
            if empty * 20 > targetCount {
                start = multiscaleStart(session, steps: &stepsSoFar)
            }
        }
        let maximumPoints = max(SemiDiscreteSolver.powerOfTwo(atLeast: min(pointsPerStep, 1 << 30)),
                                SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep))
        let points = min(maximumPoints, SemiDiscreteSolver.powerOfTwo(
            atLeast: min(1 << 30, max(pointsPerStep, newtonPointsPerCell * targetCount))))
        var steps = stepsSoFar
        var converged = false
        let outcome = newtonIterations(session: session, cells: session.cells, weights: problem.targetWeights,
                                       start: start, points: points, maximumPoints: maximumPoints,
                                       steps: &steps, finalLevel: true, stopWhenStalled: method == .automatic) { estimate, heights, record in
            let due = evaluationInterval > 0 && record.step % evaluationInterval == 0
            guard tolerance.isSatisfied(by: estimate) || due else { return nil }
            let evaluation = session.evaluate(heights, step: record.step)
            record.evaluation = evaluation
            if tolerance.isSatisfied(by: evaluation) { converged = true; return .toleranceReached }
            return nil
        }
        if !converged && outcome.stopReason == .stalled && method == .automatic {
            // Newton stalls on some supports (measured: points on a ring, whose coarse levels fail):
            // the fixed-set method, from its own start, takes over for what is left of the budget.
            session.methodUsed = .fixedSet
            return runFixedSet(session, start: InitialHeights.gaussian.heights(for: problem), stepsSoFar: steps)
        }
        return session.finish(heights: outcome.heights, converged: converged,
                              stopReason: outcome.stopReason ?? .iterationLimit, steps: steps,
                              pointsPerStep: outcome.points, learningRate: outcome.alpha)
    }

    /// The Newton direction `Δ` from a sample with kept assignments (see `newtonIterations`).
    func newtonDirection(cells: PowerCells, sample: CellCounts, weights: [Double]) -> [Double] {
        let targetCount = weights.count
        let hessian = FacetHessian(best: sample.best, second: sample.second, gap: sample.gap,
                                   pointCount: sample.pointCount, targetCount: targetCount,
                                   dimension: cells.dimension, excluded: sample.counts.map { $0 == 0 })
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
        for i in 0..<targetCount {
            if hessian.diagonal[i] > 0 {
                rightSide[i] -= componentSum[component[i]] / Double(componentSize[component[i]])
                shift[i] = 1e-6 * hessian.diagonal[i]
            } else {
                rightSide[i] = 0; shift[i] = 1
            }
        }
        let solution = hessian.solve(rightSide, shift: shift, tolerance: 1e-3, maxIterations: 1000)
        return SemiDiscreteSolver.centred(solution.x)
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
            if steps >= maxIterations || session.isOverTime {
                // Out of budget: the remaining levels inherit their parents' heights unsampled.
                for next in (levelIndex + 1)..<hierarchy.levels.count {
                    let children = hierarchy.levels[next]
                    heights = (0..<children.count).map { heights[Int(children.parent[$0])] }
                }
                return SemiDiscreteSolver.centred(heights)
            }
            let level = hierarchy.levels[levelIndex]
            let cells = PowerCells(targets: level.sites, dimension: d)
            let count = level.count
            let cap = SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep)
            let points = min(cap, SemiDiscreteSolver.powerOfTwo(atLeast: max(multiscaleMinimumPoints, multiscalePointsPerCell * count)))
            var levelSteps = 0, best = Double.infinity, stalls = 0
            let outcome = newtonIterations(session: session, cells: cells, weights: level.weights, start: heights,
                                           points: points, maximumPoints: min(cap, 4 * points),
                                           steps: &steps, finalLevel: false) { estimate, _, _ in
                levelSteps += 1
                let rms = estimate.rawRmsRelativeError
                if rms < 0.9 * best { best = rms; stalls = 0 } else { stalls += 1 }
                if count == 1 || rms <= multiscaleTolerance || stalls >= 2
                    || levelSteps > multiscaleMaxSteps { return .toleranceReached }
                return nil
            }
            heights = SemiDiscreteSolver.expand(heights: outcome.heights, level: level,
                                                children: hierarchy.levels[levelIndex + 1],
                                                sample: outcome.sample, source: problem.source, dimension: d)
        }
        return heights
    }

    /// Children's heights from their parents' (see `multiscaleStart`), on the parent level's sample.
    ///
    /// Rounds of: each point goes to the family (the children of one parent) whose upper envelope
    /// is higher among the families of its best and second-best parents; each family's split
    /// `t_P` is set to the quantile of its points' projections `π = <x, y_a - y_b>` that gives child
    /// `a` the fraction `w_a`; then each family's common shift `s_P` moves by `Δ` solving
    /// `L Δ = ν - m` (`m` the families' point shares, `L` the parent level's `FacetHessian`: a
    /// family's envelope moves its outer facets as its parent's plane would). The shifts undo the
    /// envelopes' bulge above the parent planes, which otherwise hands mass from one family to the
    /// next. Children heights: `h_a = h_P + s_P - w_b t_P`, `h_b = h_P + s_P + w_a t_P`.
    static func expand(heights: [Double], level: TargetHierarchy.Level, children: TargetHierarchy.Level,
                       sample: CellCounts, source: SourceDistribution, dimension d: Int, rounds: Int = 3) -> [Double] {
        let parents = level.count, count = sample.pointCount
        var first = [Int](repeating: -1, count: parents), second = [Int](repeating: -1, count: parents)
        for c in 0..<children.count {
            let p = Int(children.parent[c])
            if first[p] < 0 { first[p] = c } else { second[p] = c }
        }
        var points = [Float](repeating: 0, count: count * d)
        sample.forEachPoint(source: source, dimension: d) { index, x in
            for j in 0..<d { points[index * d + j] = x[j] }
        }
        let hessian = FacetHessian(best: sample.best, second: sample.second, gap: sample.gap, pointCount: count,
                                   targetCount: parents, dimension: d, excluded: sample.counts.map { $0 == 0 })
        var split = [Double](repeating: 0, count: parents)
        var familyShift = [Double](repeating: 0, count: parents)
        var result = [Double](repeating: 0, count: children.count)
        func childHeights() {
            for p in 0..<parents {
                let a = first[p], b = second[p]
                if a < 0 { continue }
                if b < 0 { result[a] = heights[p] + familyShift[p]; continue }
                let total = children.weights[a] + children.weights[b]
                result[a] = heights[p] + familyShift[p] - children.weights[b] / total * split[p]
                result[b] = heights[p] + familyShift[p] + children.weights[a] / total * split[p]
            }
        }
        func score(_ c: Int, _ p: Int) -> Double {
            var value = result[c]
            for j in 0..<d { value += Double(points[p * d + j]) * Double(children.sites[c * d + j]) }
            return value
        }
        func envelope(_ family: Int, _ p: Int) -> Double {
            let b = second[family]
            return b < 0 ? score(first[family], p) : max(score(first[family], p), score(b, p))
        }
        func family(of p: Int) -> Int {
            let f1 = Int(sample.best[p]), f2 = Int(sample.second[p])
            return f2 >= 0 && envelope(f2, p) > envelope(f1, p) ? f2 : f1
        }
        var owner = sample.best.map { Int($0) }
        for round in 0..<max(1, rounds) {
            // Splits at the quantiles of each family's points.
            var projections = [[Double]](repeating: [], count: parents)
            for p in 0..<count {
                let f = owner[p], a = first[f], b = second[f]
                if a < 0 || b < 0 { continue }
                var value = 0.0
                for j in 0..<d {
                    value += Double(points[p * d + j]) * (Double(children.sites[a * d + j]) - Double(children.sites[b * d + j]))
                }
                projections[f].append(value)
            }
            for f in 0..<parents where second[f] >= 0 {
                var values = projections[f]
                let a = first[f], b = second[f]
                if values.isEmpty {
                    if round == 0 {
                        // No point saw the parent: split at the projection of its site.
                        var t = 0.0
                        for j in 0..<d {
                            t += Double(level.sites[f * d + j]) * (Double(children.sites[a * d + j]) - Double(children.sites[b * d + j]))
                        }
                        split[f] = t
                    }
                    continue
                }
                values.sort()
                let wa = children.weights[a] / (children.weights[a] + children.weights[b])
                let index = min(values.count - 1, max(0, Int((1 - wa) * Double(values.count))))
                split[f] = index == 0 ? values[0] - 1e-9 : (values[index - 1] + values[index]) / 2
            }
            childHeights()
            // Family shifts from the families' shares of the points, with a backtracking line
            // search on those same points (the Hessian of a sparsely sampled level is noisy).
            func familyError() -> (Double, [Double]) {
                var mass = [Double](repeating: 0, count: parents)
                for p in 0..<count { owner[p] = family(of: p); mass[owner[p]] += 1 }
                var error = 0.0
                for f in 0..<parents { let r = mass[f] / (Double(count) * level.weights[f]) - 1; error += r * r }
                return (error, mass)
            }
            let (error, mass) = familyError()
            var rightSide = [Double](repeating: 0, count: parents), shift = [Double](repeating: 0, count: parents)
            var total = 0.0, included = 0
            for f in 0..<parents where hessian.diagonal[f] > 0 {
                rightSide[f] = level.weights[f] - mass[f] / Double(count); total += rightSide[f]; included += 1
            }
            if included == 0 { break }
            for f in 0..<parents {
                if hessian.diagonal[f] > 0 {
                    rightSide[f] -= total / Double(included); shift[f] = 1e-6 * hessian.diagonal[f]
                } else {
                    rightSide[f] = 0; shift[f] = 1
                }
            }
            let solution = hessian.solve(rightSide, shift: shift, tolerance: 1e-3, maxIterations: 1000)
            var step = 1.0
            let saved = familyShift
            while step >= 1.0 / 16 {
                for f in 0..<parents { familyShift[f] = saved[f] + step * solution.x[f] }
                childHeights()
                if familyError().0 < error { break }
                step /= 2
            }
            if step < 1.0 / 16 { familyShift = saved; childHeights(); _ = familyError(); break }
        }
        return SemiDiscreteSolver.centred(result)
    }
}
