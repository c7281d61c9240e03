import Foundation
import TensorModule

extension SemiDiscreteSolver {
    /// Adam in the coordinates of a `HierarchicalBasis` (see `SolverMethod.hierarchicalAdam`).
    func runHierarchicalAdam(_ session: SolveSession, start: [Double], stepsSoFar: Int,
                             hierarchy: TargetHierarchy) -> SemiDiscreteSolution {
        let problem = session.problem
        let targetCount = problem.targetCount, weights = problem.targetWeights
        let basis = HierarchicalBasis(hierarchy: hierarchy)
        let exponent = 1 / Double(problem.dimension)
        let scale = (0..<basis.coordinateCount).map {
            basis.separation[$0] * problem.source.coordinateScale * pow(basis.groupWeight[$0], exponent)
        }
        var coordinates = basis.coordinates(ofHeights: start, weights: weights)
        var heights = SemiDiscreteSolver.centred(basis.heights(from: coordinates))
        var rate = learningRate
        var adam = Adam(parameterCount: basis.coordinateCount, learningRate: 1, beta1: beta1, beta2: beta2)
        var points = min(SemiDiscreteSolver.powerOfTwo(atLeast: pointsPerStep), 1 << 30)
        let maximumPoints = max(points, SemiDiscreteSolver.powerOfTwo(atMost: maximumPointsPerStep))

        var stopReason: StopReason = .iterationLimit
        var converged = false
        var windowSquares = 0.0, windowSteps = 0
        var pooledCounts = [Int](repeating: 0, count: targetCount), pooledPoints = 0
        var bestWindow = Double.infinity
        var step = stepsSoFar
        var gradient = [Double](repeating: 0, count: targetCount)
        var direction = [Double](repeating: 0, count: basis.coordinateCount)

        while step < maxIterations {
            if session.isOverTime { stopReason = .timeBudget; break }
            step += 1
            let sample = session.trainingSample(count: points, heights: heights, keepAssignments: false)
            let estimate = CellErrorEstimate(counts: sample.counts, sampleCount: points, weights: weights)
            var record = session.record(step: step, sample: sample, estimate: estimate, heights: heights,
                                        learningRate: rate)
            windowSquares += estimate.rawRmsRelativeError * estimate.rawRmsRelativeError
            windowSteps += 1
            for i in 0..<targetCount { pooledCounts[i] += sample.counts[i] }
            pooledPoints += points
            var shouldEvaluate = evaluationInterval > 0 && step % evaluationInterval == 0
            if tolerance.isSatisfied(by: estimate) { shouldEvaluate = true }
            var stalledOut = false
            if windowSteps >= growthPatience {
                let pooled = CellErrorEstimate(counts: pooledCounts, sampleCount: pooledPoints, weights: weights)
                if tolerance.isSatisfied(by: pooled) { shouldEvaluate = true }
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
            // Gradient in the basis, relative to each group's weight (Adam is invariant to it but
            // for its ε), then a step of `rate × scale_n` per coordinate.
            let n = Double(points)
            for i in 0..<targetCount { gradient[i] = Double(sample.counts[i]) / n - weights[i] }
            var coordinateGradient = basis.coordinates(ofGradient: gradient)
            for k in 0..<basis.coordinateCount { coordinateGradient[k] /= basis.groupWeight[k] }
            for k in 0..<basis.coordinateCount { direction[k] = 0 }
            adam.update(&direction, gradient: coordinateGradient)
            for k in 0..<basis.coordinateCount { coordinates[k] += rate * scale[k] * direction[k] }
            heights = SemiDiscreteSolver.centred(basis.heights(from: coordinates))
            session.append(record, isFinal: step >= maxIterations)
        }
        return session.finish(heights: heights, converged: converged, stopReason: stopReason, steps: step,
                              pointsPerStep: points, learningRate: rate)
    }
}
