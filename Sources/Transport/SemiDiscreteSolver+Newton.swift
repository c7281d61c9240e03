import TensorModule

import Foundation
let debugNewton = ProcessInfo.processInfo.environment["DEBUG_NEWTON"] != nil
extension SemiDiscreteSolver {
    /// Damped stochastic Newton.
    ///
    /// Each step counts the cells of fresh points at `h`, keeping each point's best and second
    /// target and gap; builds `FacetHessian` `L` from them; solves `(L + λD) Δ = ν - w` by
    /// preconditioned conjugate gradients (`λ = 1e-6` keeps it definite; a cell that no point saw
    /// gets the median diagonal, so an empty cell is raised by about one typical step); and moves
    /// `h ← h + α Δ`, centred.
    ///
    /// Damping (the stochastic version of Kitagawa–Mérigot–Thibert's rule): when the next step's
    /// fresh points show a clearly larger error than before the last move (noise-corrected RMS²
    /// worse by half, beyond three standard deviations of its estimate), that move is halved
    /// (`α ← α/2`, from the same start) before a new direction is taken; `α` doubles back towards
    /// `newtonStep` after each accepted step.
    ///
    /// Growth: a full Newton step leaves an error of about the counting noise of its points,
    /// `sqrt(M/N)`; when the error has not improved by `stallImprovement` for `newtonPatience`
    /// steps, the points per step grow by `growthFactor` (up to `maximumPointsPerStep`), and at the
    /// maximum the step `α` shrinks by `learningRateDecay`, which averages successive estimates.
    /// The median of the finite values (0 if none).
    static func median(of values: [Float]) -> Double {
        let finite = values.filter { $0.isFinite }.sorted()
        return finite.isEmpty ? 0 : Double(finite[finite.count / 2])
    }

    var raiseMargin: Double { Double(ProcessInfo.processInfo.environment["RAISE"] ?? "0.01")! }
    func runNewton(_ session: SolveSession, start: [Double]) -> SemiDiscreteSolution {
        let problem = session.problem
        let targetCount = problem.targetCount, weights = problem.targetWeights
        var heights = start
        let maximumPoints = max(SemiDiscreteSolver.powerOfTwo(atLeast: min(pointsPerStep, 1 << 30)),
                                SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep))
        var points = min(maximumPoints, SemiDiscreteSolver.powerOfTwo(
            atLeast: min(1 << 30, max(pointsPerStep, newtonPointsPerCell * targetCount))))
        var stepCeiling = newtonStep
        var alpha = newtonStep

        var previousHeights: [Double]? = nil
        var previousDirection = [Double](repeating: 0, count: targetCount)
        var previousError = Double.infinity
        var bestError = Double.infinity
        var stalls = 0
        var stopReason: StopReason = .iterationLimit
        var converged = false
        var step = 0

        while step < maxIterations {
            if session.isOverTime { stopReason = .timeBudget; break }
            step += 1
            let sample = session.trainingSample(count: points, heights: heights, keepAssignments: true)
            let estimate = CellErrorEstimate(counts: sample.counts, sampleCount: points, weights: weights)
            var record = session.record(step: step, sample: sample, estimate: estimate, heights: heights,
                                        learningRate: alpha)
            if tolerance.isSatisfied(by: estimate) || (evaluationInterval > 0 && step % evaluationInterval == 0) {
                let evaluation = session.evaluate(heights, step: step)
                record.evaluation = evaluation
                if tolerance.isSatisfied(by: evaluation) {
                    converged = true
                    session.append(record, isFinal: true)
                    stopReason = .toleranceReached
                    break
                }
            }

            let error = estimate.rmsRelativeError * estimate.rmsRelativeError
            // Standard deviation of the RMS² estimate from counting noise alone: √(2/M)·floor².
            let margin = 3 * (2 / Double(targetCount)).squareRoot() * estimate.noiseFloor * estimate.noiseFloor
            if let previous = previousHeights, error > previousError * 1.5 + margin, alpha > newtonStep / 64 {
                alpha /= 2
                for i in 0..<targetCount { heights[i] = previous[i] + alpha * previousDirection[i] }
                heights = SemiDiscreteSolver.centred(heights)
                session.append(record, isFinal: step >= maxIterations)
                continue
            }

            // Progress and growth of the point count.
            if error < bestError * (1 - stallImprovement) * (1 - stallImprovement) {
                bestError = error
                stalls = 0
            } else {
                stalls += 1
                if stalls >= newtonPatience {
                    if points < maximumPoints {
                        points = min(maximumPoints, points * growthFactor)
                    } else {
                        stepCeiling = max(stepCeiling * learningRateDecay, newtonStep / 64)
                    }
                    stalls = 0
                    bestError = error
                }
            }

            alpha = min(stepCeiling, alpha * 2)
            record.learningRate = alpha

            // Newton direction on the cells the facet graph reaches, the right side made to sum to
            // zero on each connected component (mass cannot cross between components).
            let hessian = FacetHessian(best: sample.best, second: sample.second, gap: sample.gap, pointCount: points,
                                       targetCount: targetCount, dimension: problem.dimension)
            let n = Double(points)
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
            // Cells that no point saw as best or second: raise each just past the nearest win
            // (its deficit on a subsample) plus half the median gap, so the next step sees them.
            if !isolated.isEmpty {
                var trial = heights
                for i in 0..<targetCount { trial[i] += alpha * direction[i] }
                let deficits = session.deficits(heights: trial, pointCount: min(points, 1 << 16))
                let medianGap = SemiDiscreteSolver.median(of: sample.gap)
                for i in isolated {
                    let deficit = -Double(deficits[i])
                    direction[i] = (deficit * (1 + raiseMargin) + 1e-3 * medianGap) / max(alpha, 1e-12)
                }
            }
            direction = SemiDiscreteSolver.centred(direction)
            if debugNewton {
                let maxStep = direction.map { abs($0) }.max() ?? 0
                print("  newton: isolated \(isolated.count) nnz \(hessian.nonzeroCount) cg \(solution.iterations) res \(solution.residual) max|Δ| \(maxStep) comps \(Set(component).count)")
            }

            previousHeights = heights
            previousDirection = direction
            previousError = error
            for i in 0..<targetCount { heights[i] += alpha * direction[i] }
            heights = SemiDiscreteSolver.centred(heights)
            session.append(record, isFinal: step >= maxIterations)
        }
        return session.finish(heights: heights, converged: converged, stopReason: stopReason, steps: step,
                              pointsPerStep: points, learningRate: alpha)
    }
}
