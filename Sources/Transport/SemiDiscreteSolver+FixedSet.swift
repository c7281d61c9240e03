import TensorModule

extension SemiDiscreteSolver {
    /// Adam on a growing fixed point set with candidate lists (`SolverMethod.fixedSet`).
    ///
    /// Level by level: the set holds `N` points (`fixedSetInitialPointsPerCell · M` first); Adam steps
    /// (`fixedSetLearningRate`, each height's step scaled by `min(1, |r_i|)`) on the relative gradient
    /// `r_i = c_i/(N ν_i) - 1` of the set's exact counts until the set is fit
    /// to `fixedSetFitFraction` of its sampling floor `sqrt(M/N)` (or the stall rule has decayed the
    /// step to `minimumLearningRate`); then the set grows by `fixedSetGrowthFactor` (or by 2), up to
    /// `fixedSetMaximumPoints` (and `fixedSetMemoryLimit`), if the time budget can pay for scoring the new points (with the final
    /// evaluation kept back); if it cannot, the last level goes on until the budget is spent. An independent
    /// evaluation on fresh points is made when a level ends with its floor below the tolerance, and
    /// at the end: the last level ending is a `.stalled` stop unless that evaluation meets the tolerance.
    func runFixedSet(_ session: SolveSession, start: [Double], stepsSoFar: Int) -> SemiDiscreteSolution {
        let problem = session.problem
        let targetCount = problem.targetCount, weights = problem.targetWeights
        let heightScale = SemiDiscreteSolver.heightScale(of: problem)
        var heights = start
        var rate = fixedSetLearningRate
        var adam = Adam(parameterCount: targetCount, learningRate: rate * heightScale, beta1: beta1, beta2: beta2)
        let affordable = fixedSetMemoryLimit / CandidateLists.bytesPerPoint(dimension: problem.dimension, k: candidateCount)
        let maximumPoints = SemiDiscreteSolver.powerOfTwo(atMost: max(1, min(fixedSetMaximumPoints, affordable)))
        var size = min(maximumPoints, SemiDiscreteSolver.powerOfTwo(
            atLeast: max(pointsPerStep, fixedSetInitialPointsPerCell * targetCount)))
        let lists = session.makeCandidateLists(k: candidateCount, riserCount: riserCount)
        var began = session.elapsed()
        lists.grow(to: size, heights: heights)
        session.noteFullScoring(points: size, seconds: session.elapsed() - began)

        var stopReason: StopReason = .iterationLimit
        var converged = false
        var step = stepsSoFar
        var windowSquares = 0.0, windowSteps = 0, bestWindow = Double.infinity
        var gradient = [Double](repeating: 0, count: targetCount)
        var growthClosed = false
        var stepScale = [Double](repeating: 1, count: targetCount)

        while step < maxIterations {
            if session.isOverTime { stopReason = .timeBudget; break }
            step += 1
            // (The rate of full scoring is measured on the growths alone: a step's time is mostly its
            // candidate pass when few points are re-scored.)
            let measured = lists.measure(heights: heights)
            let estimate = CellErrorEstimate(counts: measured.counts, sampleCount: size, weights: weights)
            let fit = estimate.rawRmsRelativeError
            let floor = estimate.noiseFloor
            let energy = measured.potentialSum / Double(size) - zip(weights, heights).reduce(0) { $0 + $1.0 * $1.1 }
            var record = SolverRecord(step: step, cellCount: targetCount, energy: energy,
                                      maxRelativeError: estimate.maxRelativeError,
                                      meanRelativeError: estimate.meanRelativeError, rmsRelativeError: fit,
                                      emptyCells: estimate.emptyCells, pointsPerStep: size, learningRate: rate,
                                      seconds: 0, evaluation: nil)

            // Stall rule on the window's mean squared fit.
            var levelDone = fit <= fixedSetFitFraction * floor
            windowSquares += fit * fit
            windowSteps += 1
            if windowSteps >= growthPatience {
                let windowMean = windowSquares / Double(windowSteps)
                if windowMean < bestWindow * (1 - stallImprovement) * (1 - stallImprovement) {
                    bestWindow = windowMean
                } else if rate * learningRateDecay < minimumLearningRate {
                    levelDone = true
                } else {
                    rate *= learningRateDecay
                    bestWindow = windowMean
                }
                windowSquares = 0; windowSteps = 0
            }

            if levelDone && !growthClosed {
                // The heights before this step's update are the ones the counts describe. Grow by the
                // full factor, or by 2 when only that fits in the time left (the final evaluation kept back).
                var grown = min(maximumPoints, size * fixedSetGrowthFactor)
                if grown > size && session.projectedSeconds(points: grown - size) >= session.secondsLeft {
                    grown = min(grown, size * 2)
                }
                let canGrow = grown > size && session.projectedSeconds(points: grown - size) < session.secondsLeft
                if !canGrow || floor * 1.25 <= (tolerance.rmsRelativeError ?? 0) {
                    let evaluation = session.evaluate(heights, step: step)
                    record.evaluation = evaluation
                    if tolerance.isSatisfied(by: evaluation) {
                        converged = true
                        stopReason = .toleranceReached
                        session.append(record, isFinal: true)
                        break
                    }
                }
                if !canGrow && grown <= size {
                    // At the largest set: its sampling floor is reached.
                    stopReason = .stalled
                    session.append(record, isFinal: true)
                    break
                }
                if !canGrow {
                    // The budget cannot pay for more points: keep fitting this set until it runs out.
                    growthClosed = true
                } else {
                    began = session.elapsed()
                    lists.grow(to: grown, heights: heights)
                    session.noteFullScoring(points: grown - size, seconds: session.elapsed() - began)
                    size = grown
                    bestWindow = .infinity
                    windowSquares = 0; windowSteps = 0
                    session.append(record, isFinal: false)
                    continue
                }
            }

            let n = Double(size)
            for i in 0..<targetCount { gradient[i] = Double(measured.counts[i]) / (n * weights[i]) - 1 }
            // Each height's step shrinks with its own relative error (capped at the full step), so
            // balanced cells stop jittering: fewer points need re-scoring and the fit keeps falling.
            for i in 0..<targetCount { stepScale[i] = min(1, abs(gradient[i])) }
            adam.learningRate = rate * heightScale
            adam.update(&heights, gradient: gradient, stepScale: stepScale)
            heights = SemiDiscreteSolver.centred(heights)
            session.append(record, isFinal: step >= maxIterations)
        }
        return session.finish(heights: heights, converged: converged, stopReason: stopReason, steps: step,
                              pointsPerStep: size, learningRate: rate)
    }
}
