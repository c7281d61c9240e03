import TensorModule

extension SemiDiscreteSolver {
    /// Adam on the relative gradient `r_i = w_i/ν_i - 1` with the stall rule (see the type's notes).
    func runAdam(_ session: SolveSession, start: [Double], stepsSoFar: Int) -> SemiDiscreteSolution {
        let problem = session.problem
        let targetCount = problem.targetCount, weights = problem.targetWeights
        let heightScale = SemiDiscreteSolver.heightScale(of: problem)
        var heights = start
        var rate = learningRate
        var adam = Adam(parameterCount: targetCount, learningRate: rate * heightScale, beta1: beta1, beta2: beta2)
        var points = min(SemiDiscreteSolver.powerOfTwo(atLeast: pointsPerStep), 1 << 30)
        let maximumPoints = max(points, SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep))

        var stopReason: StopReason = .iterationLimit
        var converged = false
        var windowSquares = 0.0, windowSteps = 0
        var pooledCounts = [Int](repeating: 0, count: targetCount), pooledPoints = 0
        var bestWindow = Double.infinity
        var step = stepsSoFar
        var gradient = [Double](repeating: 0, count: targetCount)

        while step < maxIterations {
            if session.isOverTime { stopReason = .timeBudget; break }
            step += 1
            let sample = session.trainingSample(count: points, heights: heights, keepAssignments: false)
            let estimate = CellErrorEstimate(counts: sample.counts, sampleCount: points, weights: weights)
            var record = session.record(step: step, sample: sample, estimate: estimate, heights: heights,
                                        learningRate: rate)

            // Window statistics: stall rule and the pre-screen for an independent evaluation.
            windowSquares += estimate.rmsRelativeError * estimate.rmsRelativeError
            windowSteps += 1
            for i in 0..<targetCount { pooledCounts[i] += sample.counts[i] }
            pooledPoints += points
            var shouldEvaluate = evaluationInterval > 0 && step % evaluationInterval == 0
            var stalledOut = false
            if windowSteps >= growthPatience {
                let pooled = CellErrorEstimate(counts: pooledCounts, sampleCount: pooledPoints, weights: weights)
                // A single step's counts are a usable pre-screen only when their counting noise is
                // well below the tolerance; otherwise the window's pooled counts are.
                let bound = tolerance.rmsRelativeError ?? tolerance.maxRelativeError.map { $0 / 4 } ?? 0
                let precise = estimate.noiseFloor <= bound / 2
                if tolerance.isSatisfied(by: pooled) || (precise && tolerance.isSatisfied(by: estimate)) {
                    shouldEvaluate = true
                }
                let windowMean = windowSquares / Double(windowSteps)
                if windowMean < bestWindow * (1 - stallImprovement) * (1 - stallImprovement) {
                    bestWindow = windowMean
                } else if points >= maximumPoints && rate * learningRateDecay < minimumLearningRate {
                    stalledOut = true
                } else {
                    rate = max(rate * learningRateDecay, minimumLearningRate)
                    points = min(maximumPoints, points * growthFactor)
                    bestWindow = windowMean
                }
                windowSquares = 0; windowSteps = 0
                for i in 0..<targetCount { pooledCounts[i] = 0 }
                pooledPoints = 0
            }
            // The counts describe the heights before the update: those are the ones evaluated.
            if shouldEvaluate {
                let evaluation = session.evaluate(heights, step: step)
                record.evaluation = evaluation
                if tolerance.isSatisfied(by: evaluation) {
                    converged = true
                    session.append(record, isFinal: true)
                    stopReason = .toleranceReached
                    break
                }
            }
            if stalledOut {
                session.append(record, isFinal: true)
                stopReason = .stalled
                break
            }

            // Adam on the relative gradient, then centre.
            let n = Double(points)
            for i in 0..<targetCount { gradient[i] = Double(sample.counts[i]) / (n * weights[i]) - 1 }
            adam.learningRate = record.learningRate * heightScale
            adam.update(&heights, gradient: gradient)
            heights = SemiDiscreteSolver.centred(heights)
            session.append(record, isFinal: step >= maxIterations)
        }
        return session.finish(heights: heights, converged: converged, stopReason: stopReason, steps: step,
                              pointsPerStep: points, learningRate: rate)
    }
}
