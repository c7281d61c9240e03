import TensorModule

extension SemiDiscreteSolver {
    /// Adam on the relative gradient `r_i = w_i/ν_i - 1` with the stall rule (see the type's notes),
    /// in one process.
    func runAdam(_ session: SolveSession, start: [Double], stepsSoFar: Int) -> SemiDiscreteSolution {
        let outcome = adamIterations(session, start: start, stepsSoFar: stepsSoFar)
        return session.finish(heights: outcome.heights, converged: outcome.hasConverged, stopReason: outcome.stopReason,
                              steps: outcome.steps, pointsPerStep: outcome.pointsPerStep,
                              learningRate: outcome.learningRate)
    }

    /// The Adam iterations, for one process or a group of ranks alike (`AdamSolveContext`): per step,
    /// count the cells of fresh training points, keep the stall rule's window (learning-rate decay and
    /// point growth when the window's error stops falling), evaluate on independent points when the
    /// step's (or the window's pooled) counts meet the tolerance, then take a bias-corrected Adam step
    /// of `learningRate · heightScale` on `r_i` and centre. Stops on the tolerance, `maxIterations`,
    /// the time budget, or a stall at the most points and the least learning rate.
    public func adamIterations<Context: AdamSolveContext>(_ context: Context, start: [Double], stepsSoFar: Int = 0)
        throws(Context.Failure) -> AdamOutcome {
        let localCount = start.count, weights = context.localWeights
        let heightScale = context.heightScale
        var heights = start
        var rate = learningRate
        var adam = Adam(parameterCount: localCount, learningRate: rate * heightScale, beta1: beta1, beta2: beta2)
        var points = min(SemiDiscreteSolver.powerOfTwo(atLeast: pointsPerStep), 1 << 30)
        let maximumPoints = max(points, SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep))

        var stopReason: StopReason = .iterationLimit
        var converged = false
        var windowSquares = 0.0, windowSteps = 0
        var pooledCounts = [Int](repeating: 0, count: localCount), pooledPoints = 0
        var bestWindow = Double.infinity
        var step = stepsSoFar
        var gradient = [Double](repeating: 0, count: localCount)

        while step < maxIterations {
            if try context.timeIsUp() { stopReason = .timeBudget; break }
            step += 1
            context.beginStep()
            let sample = try context.trainingStep(count: points, heights: heights)
            let estimate = sample.estimate
            var record = SolverRecord(step: step, cellCount: context.targetCount, energy: sample.energy,
                                      maxRelativeError: estimate.maxRelativeError,
                                      meanRelativeError: estimate.meanRelativeError,
                                      rmsRelativeError: estimate.rmsRelativeError, emptyCells: estimate.emptyCells,
                                      pointsPerStep: sample.pointCount, learningRate: rate, seconds: 0, evaluation: nil)

            // Window statistics: stall rule and the pre-screen for an independent evaluation.
            windowSquares += estimate.rmsRelativeError * estimate.rmsRelativeError
            windowSteps += 1
            for i in 0..<localCount { pooledCounts[i] += sample.counts[i] }
            pooledPoints += points
            var shouldEvaluate = evaluationInterval > 0 && step % evaluationInterval == 0
            var stalledOut = false
            if windowSteps >= growthPatience {
                let pooled = try context.estimate(counts: pooledCounts, sampleCount: pooledPoints)
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
                for i in 0..<localCount { pooledCounts[i] = 0 }
                pooledPoints = 0
            }
            // The counts describe the heights before the update: those are the ones evaluated.
            if shouldEvaluate {
                let evaluation = try context.evaluate(heights, step: step)
                record.evaluation = evaluation
                if tolerance.isSatisfied(by: evaluation) {
                    converged = true
                    context.append(record, isFinal: true)
                    stopReason = .toleranceReached
                    break
                }
            }
            if stalledOut {
                context.append(record, isFinal: true)
                stopReason = .stalled
                break
            }

            // Adam on the relative gradient, then centre.
            let n = Double(points)
            for i in 0..<localCount { gradient[i] = Double(sample.counts[i]) / (n * weights[i]) - 1 }
            adam.learningRate = record.learningRate * heightScale
            adam.update(&heights, gradient: gradient)
            heights = try context.centred(heights)
            context.append(record, isFinal: step >= maxIterations)
        }
        return AdamOutcome(heights: heights, hasConverged: converged, stopReason: stopReason, steps: step,
                           pointsPerStep: points, learningRate: rate)
    }
}
