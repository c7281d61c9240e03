import Foundation
import TensorModule
import Transport
import MPIWrapper

/// Adam on the heights of a semi-discrete problem whose targets are split across ranks: the
/// single-process `SemiDiscreteSolver` with `method = .adam` (its settings are this solver's
/// configuration), step for step and bit for bit, for any number of ranks `K`.
///
/// Per step, every rank
/// 1. draws the same `N` training points (the next block of the scrambled Sobol sequence derived
///    from the seed, as the single process);
/// 2. finds each point's best target among its own (`PowerCells` on its slice, with its heights),
///    and one MPI_MAXLOC allreduce of (score, global index) pairs gives the global winner
///    (`DistributedCells`), 8 bytes per point;
/// 3. counts the points of its own cells, and the cell error statistics (and the energy's
///    `Σ ν_i h_i`) are folded left to right across the ranks;
/// 4. takes a bias-corrected Adam step on its own heights, then centres them with the global mean
///    (another left-to-right fold).
/// The stall rule (learning-rate decay and point growth) and the stopping rule see the same numbers
/// on every rank, so every rank takes the same decisions; the time budget, the only input that
/// differs between ranks, is agreed on by an allreduce.
///
/// What is exact: the points (same sequence), the scores (tile-aligned slices, see
/// `TargetPartition`), the winners (MAXLOC selects, ties to the lowest index), the counts
/// (integers), the sums over targets (one left-to-right order, as one process), Adam (element-wise).
///
/// - Complexity: per step O(N·(M/K)·d) flops per rank; 8·N bytes of allreduce, plus two folds
///   of a few Doubles through the `K` ranks (latency O(K)).
public struct DistributedSolver: Sendable {
    /// The settings, as for the single-process solver. `method` must be `.adam`, `initialHeights`
    /// `.zero` or `.voronoi`, `evaluationSampling` `.scrambledSobol`.
    public var settings: SemiDiscreteSolver
    /// Source points per kernel call and allreduce (a multiple of 256, the kernel's point block).
    public var pointsPerBatch: Int = 1 << 14

    public init(settings: SemiDiscreteSolver) {
        self.settings = settings
    }

    /// Throws `TransportError` for out-of-range settings, `DistributedError.unsupported` for
    /// settings the distributed solver does not implement.
    public func validate() throws {
        try settings.validate()
        guard settings.method == .adam else {
            throw DistributedError.unsupported(field: "method", expected: "adam", found: settings.method.rawValue)
        }
        guard settings.initialHeights == .zero || settings.initialHeights == .voronoi else {
            throw DistributedError.unsupported(field: "initialHeights", expected: "zero or voronoi",
                                               found: settings.initialHeights.rawValue)
        }
        guard settings.evaluationSampling == .scrambledSobol else {
            throw DistributedError.unsupported(field: "evaluationSampling", expected: "scrambledSobol",
                                               found: settings.evaluationSampling.rawValue)
        }
        guard pointsPerBatch >= 256 && pointsPerBatch % 256 == 0 else {
            throw DistributedError.unsupported(field: "pointsPerBatch", expected: "a positive multiple of 256",
                                               found: "\(pointsPerBatch)")
        }
    }

    /// Solves collectively: every rank calls it with its own part of the problem, the same seed
    /// and the same settings. Returns this rank's heights.
    /// - Parameter initialHeights: a warm start, this rank's slice (centred globally first).
    public func solve(_ problem: DistributedProblem, seed: UInt64, communicator: any Communicator,
                      initialHeights: [Double]? = nil,
                      progress: ((DistributedProgress) -> Void)? = nil) throws -> DistributedSolution {
        try validate()
        let session = DistributedSession(problem: problem, solver: self, seed: seed, communicator: communicator,
                                         progress: progress)
        let start: [Double]
        if let initialHeights {
            precondition(initialHeights.count == problem.partition.localCount,
                         "DistributedSolver: \(initialHeights.count) initial heights for \(problem.partition.localCount) targets")
            var bad: Error? = nil
            if let i = initialHeights.firstIndex(where: { !$0.isFinite }) {
                bad = TransportError.invalidHeights(field: "initialHeights[\(problem.partition.offset + i)]",
                                                    expected: "finite values", found: "\(initialHeights[i])")
            }
            try communicator.agree(bad)
            start = try session.centred(initialHeights)
        } else if settings.initialHeights == .voronoi {
            let d = problem.dimension
            var heights = [Double](repeating: 0, count: problem.partition.localCount)
            for i in 0..<heights.count {
                var squared = 0.0
                for j in 0..<d { let v = Double(problem.targets[i * d + j]); squared += v * v }
                heights[i] = -squared / 2
            }
            start = try session.centred(heights)
        } else {
            start = [Double](repeating: 0, count: problem.partition.localCount)
        }
        return try runAdam(session, start: start)
    }

    /// `SemiDiscreteSolver.runAdam`, with the sums over targets folded across ranks.
    func runAdam(_ session: DistributedSession, start: [Double]) throws -> DistributedSolution {
        let s = settings
        let problem = session.problem
        let localCount = problem.partition.localCount, weights = problem.targetWeights
        let heightScale = problem.targetSpread * problem.source.coordinateScale
        var heights = start
        var rate = s.learningRate
        var adam = Adam(parameterCount: localCount, learningRate: rate * heightScale, beta1: s.beta1, beta2: s.beta2)
        var points = min(SemiDiscreteSolver.powerOfTwo(atLeast: s.pointsPerStep), 1 << 30)
        let maximumPoints = max(points, SemiDiscreteSolver.powerOfTwo(atMost: s.maximumPointsPerStep))

        var stopReason: StopReason = .iterationLimit
        var converged = false
        var windowSquares = 0.0, windowSteps = 0
        var pooledCounts = [Int](repeating: 0, count: localCount), pooledPoints = 0
        var bestWindow = Double.infinity
        var step = 0
        var gradient = [Double](repeating: 0, count: localCount)
        let solveStartBytes = session.communicator.bytesCommunicated

        while step < s.maxIterations {
            if try session.isOverTime() { stopReason = .timeBudget; break }
            step += 1
            session.stepStartBytes = session.communicator.bytesCommunicated
            session.stepStartCPU = processCPUSeconds()
            let sample = try session.trainingSample(count: points, heights: heights)
            let (estimate, energy) = try session.estimateWithEnergy(sample, heights: heights)
            var record = DistributedRecord(
                step: step, cellCount: problem.targetCount, energy: energy, maxRelativeError: estimate.maxRelativeError,
                meanRelativeError: estimate.meanRelativeError, rmsRelativeError: estimate.rmsRelativeError,
                emptyCells: estimate.emptyCells, pointsPerStep: sample.pointCount, learningRate: rate, seconds: 0,
                evaluation: nil, bytesCommunicated: 0, cpuSeconds: 0)

            windowSquares += estimate.rmsRelativeError * estimate.rmsRelativeError
            windowSteps += 1
            for i in 0..<localCount { pooledCounts[i] += sample.counts[i] }
            pooledPoints += points
            var shouldEvaluate = s.evaluationInterval > 0 && step % s.evaluationInterval == 0
            var stalledOut = false
            if windowSteps >= s.growthPatience {
                let pooled = try session.estimate(counts: pooledCounts, sampleCount: pooledPoints)
                if s.tolerance.isSatisfied(by: pooled) || s.tolerance.isSatisfied(by: estimate) { shouldEvaluate = true }
                let windowMean = windowSquares / Double(windowSteps)
                if windowMean < bestWindow * (1 - s.stallImprovement) * (1 - s.stallImprovement) {
                    bestWindow = windowMean
                } else if points >= maximumPoints && rate * s.learningRateDecay < s.minimumLearningRate {
                    stalledOut = true
                } else {
                    rate = max(rate * s.learningRateDecay, s.minimumLearningRate)
                    points = min(maximumPoints, points * s.growthFactor)
                    bestWindow = windowMean
                }
                windowSquares = 0; windowSteps = 0
                for i in 0..<localCount { pooledCounts[i] = 0 }
                pooledPoints = 0
            }
            if shouldEvaluate {
                let evaluation = try session.evaluate(heights, step: step)
                record.evaluation = evaluation
                if s.tolerance.isSatisfied(by: evaluation) {
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

            let n = Double(points)
            for i in 0..<localCount { gradient[i] = Double(sample.counts[i]) / (n * weights[i]) - 1 }
            adam.learningRate = record.learningRate * heightScale
            adam.update(&heights, gradient: gradient)
            heights = try session.centred(heights)
            session.append(record, isFinal: step >= s.maxIterations)
        }
        return try session.finish(heights: heights, converged: converged, stopReason: stopReason, steps: step,
                                  pointsPerStep: points, learningRate: rate, startBytes: solveStartBytes)
    }
}

/// Gathers every rank's heights on `root` (in global order); nil on the other ranks.
public func gatherHeights(_ localHeights: [Double], partition: TargetPartition, communicator: any Communicator,
                          root: Int = 0) throws -> [Double]? {
    let tag = 7
    if communicator.rank != root {
        try localHeights.withUnsafeBufferPointer { try communicator.send($0, to: root, tag: tag) }
        return nil
    }
    var all = [Double](repeating: 0, count: partition.totalCount)
    for r in 0..<communicator.size {
        let range = partition.range(of: r)
        if r == root {
            all.replaceSubrange(range, with: localHeights)
        } else {
            try all.withUnsafeMutableBufferPointer { buffer in
                try communicator.receive(UnsafeMutableBufferPointer(rebasing: buffer[range]), from: r, tag: tag)
            }
        }
    }
    return all
}
