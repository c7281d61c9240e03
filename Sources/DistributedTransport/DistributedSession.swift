import Foundation
import TensorModule
import Transport

/// The state of one distributed solve on one rank (the counterpart of Transport's `SolveSession`):
/// the reduced kernel, the two point streams (derived from the seed exactly as the single process
/// derives them), the clock, the history.
final class DistributedSession {
    let problem: DistributedProblem
    let solver: DistributedSolver
    let communicator: any Communicator
    let cells: DistributedCells
    let clock = ContinuousClock()
    let began: ContinuousClock.Instant
    private var trainingStreams: SeededGenerator
    private var training: SobolSequence
    private var nextIndex = 0
    private let evaluationSequence: SobolSequence
    private var evaluationIndex = 0
    var history: [DistributedRecord] = []
    var latest: CellErrorEstimate? = nil
    var lastEvaluatedStep = -1
    var stepStartBytes = 0
    var stepStartCPU = 0.0
    let progress: ((DistributedProgress) -> Void)?

    // Scratch of one batch.
    private let batch: Int
    private var points: [Float]
    private var winners: [ScoreIndex]
    private var localBest: [Int32]
    private var localScore: [Float]

    init(problem: DistributedProblem, solver: DistributedSolver, seed: UInt64, communicator: any Communicator,
         progress: ((DistributedProgress) -> Void)?) {
        self.problem = problem
        self.solver = solver
        self.communicator = communicator
        self.progress = progress
        began = clock.now
        cells = DistributedCells(targets: problem.targets, dimension: problem.dimension, partition: problem.partition,
                                 communicator: communicator)
        trainingStreams = SeededGenerator.stream(seed: seed, label: 1)
        training = SobolSequence(dimension: problem.dimension, scrambleSeed: trainingStreams.next())
        var evaluationStreams = SeededGenerator.stream(seed: seed, label: 2)
        evaluationSequence = SobolSequence(dimension: problem.dimension, scrambleSeed: evaluationStreams.next())
        batch = solver.pointsPerBatch
        points = [Float](repeating: 0, count: batch * problem.dimension)
        winners = [ScoreIndex](repeating: .none, count: batch)
        localBest = [Int32](repeating: 0, count: batch)
        localScore = [Float](repeating: 0, count: batch)
        history.reserveCapacity(min(solver.settings.maxIterations, 100_000))
    }

    func elapsed() -> Double {
        let duration = clock.now - began
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Whether any rank is over the time budget (an allreduce, so all ranks stop together).
    func timeIsUp() throws -> Bool {
        guard let budget = solver.settings.timeBudget else { return false }
        return try communicator.allreduce(elapsed() >= budget ? 1 : 0, .max) == 1
    }

    /// Cell counts of this rank's targets and the potential sum (all points) for `count` points
    /// of `sequence` from `start`, with the global winners of the reduced kernel.
    func count(sequence: SobolSequence, start: Int, count: Int, heights: [Double]) throws -> (counts: [Int], potentialSum: Double) {
        let d = problem.dimension, offset = problem.partition.offset, localCount = problem.partition.localCount
        let floatHeights = heights.map { Float($0) }
        var counts = [Int](repeating: 0, count: localCount)
        var blockSums: [Double] = []
        let blockSize = 256 // PowerCells' point block: the single process sums the potential per block
        var done = 0
        while done < count {
            let n = min(batch, count - done)
            try points.withUnsafeMutableBufferPointer { p in
                // Every rank generates every point (replicated work, O(N·d)): on all cores, in 256-point pieces.
                let base = p.baseAddress!, first = start + done, source = problem.source
                let pieces = Parallel.ranges((n + 255) / 256, maxChunks: Parallel.coreCount)
                Parallel.forEach(pieces.count) { piece in
                    let lower = pieces[piece].lowerBound * 256, upper = min(n, pieces[piece].upperBound * 256)
                    source.fill(points: base + lower * d, start: first + lower, count: upper - lower, dimension: d, sequence: sequence)
                }
                try winners.withUnsafeMutableBufferPointer { w in
                    try localBest.withUnsafeMutableBufferPointer { b in
                        try localScore.withUnsafeMutableBufferPointer { s in
                            try cells.assignBest(points: p.baseAddress!, count: n, heights: floatHeights, result: w.baseAddress!,
                                                 localBest: b.baseAddress!, localScore: s.baseAddress!)
                        }
                    }
                }
            }
            var p = 0
            while p < n {
                let end = min(n, p + blockSize)
                var sum = 0.0
                for q in p..<end {
                    let winner = Int(winners[q].index) - offset
                    if winner >= 0 && winner < localCount { counts[winner] += 1 }
                    sum += Double(winners[q].score)
                }
                blockSums.append(sum)
                p = end
            }
            done += n
        }
        var potentialSum = 0.0
        for s in blockSums { potentialSum += s }
        return (counts, potentialSum)
    }

    struct Sample {
        var counts: [Int]
        var potentialSum: Double
        var pointCount: Int
    }

    /// The next `count` training points (aligned block of the training sequence, re-scrambled when
    /// exhausted), as `SolveSession.trainingSample`.
    func trainingSample(count: Int, heights: [Double]) throws -> Sample {
        nextIndex = (nextIndex + count - 1) / count * count
        if nextIndex + count > SobolSequence.maximumCount {
            training = SobolSequence(dimension: problem.dimension, scrambleSeed: trainingStreams.next())
            nextIndex = 0
        }
        let (counts, potentialSum) = try self.count(sequence: training, start: nextIndex, count: count, heights: heights)
        nextIndex += count
        return Sample(counts: counts, potentialSum: potentialSum, pointCount: count)
    }

    /// The step's estimate and energy `E(h) = potential mean - Σ ν_i h_i`, in one fold.
    func estimateWithEnergy(_ sample: Sample, heights: [Double]) throws -> (CellErrorEstimate, Double) {
        let weights = problem.targetWeights
        let (estimate, extra) = try DistributedCellError.estimate(
            counts: sample.counts, sampleCount: sample.pointCount, weights: weights, offset: problem.partition.offset,
            totalCount: problem.targetCount, communicator: communicator, extraCount: 1) { state in
                var weighted = state[7]
                for i in 0..<heights.count { weighted += weights[i] * heights[i] }
                state[7] = weighted
            }
        return (estimate, sample.potentialSum / Double(sample.pointCount) - extra[0])
    }

    func estimate(counts: [Int], sampleCount: Int) throws -> CellErrorEstimate {
        try DistributedCellError.estimate(counts: counts, sampleCount: sampleCount, weights: problem.targetWeights,
                                          offset: problem.partition.offset, totalCount: problem.targetCount,
                                          communicator: communicator).0
    }

    /// An independent estimate on the next block of fresh evaluation points.
    func evaluate(_ heights: [Double], step: Int) throws -> CellErrorEstimate {
        let count = solver.settings.evaluationPointCount
        if evaluationIndex + count > SobolSequence.maximumCount { evaluationIndex = 0 }
        let counts = try self.count(sequence: evaluationSequence, start: evaluationIndex, count: count, heights: heights).counts
        let estimate = try self.estimate(counts: counts, sampleCount: count)
        evaluationIndex += count
        latest = estimate
        lastEvaluatedStep = step
        return estimate
    }

    /// `h - mean(h)` with the mean of all ranks' heights summed left to right.
    func centred(_ heights: [Double]) throws -> [Double] {
        var sum = [0.0]
        try communicator.sequentialFold(&sum) { s in
            var total = s[0]
            for h in heights { total += h }
            s[0] = total
        }
        let mean = sum[0] / Double(problem.targetCount)
        return heights.map { $0 - mean }
    }

    func append(_ record: SolverRecord, isFinal: Bool) {
        var record = record
        record.seconds = elapsed()
        let entry = DistributedRecord(record: record, bytesCommunicated: communicator.bytesCommunicated - stepStartBytes,
                                      cpuSeconds: processCPUSeconds() - stepStartCPU)
        history.append(entry)
        if !isFinal {
            progress?(DistributedProgress(record: entry, latestEvaluation: latest,
                                          maxIterations: solver.settings.maxIterations, isFinal: false))
        }
    }

    func finish(heights: [Double], converged: Bool, stopReason: StopReason, steps: Int, pointsPerStep: Int,
                learningRate: Double, startBytes: Int) throws -> DistributedSolution {
        var converged = converged, stopReason = stopReason
        if lastEvaluatedStep != steps || latest == nil {
            let evaluation = try evaluate(heights, step: steps)
            if !converged && solver.settings.tolerance.isSatisfied(by: evaluation) { converged = true; stopReason = .toleranceReached }
            if !history.isEmpty { history[history.count - 1].record.evaluation = evaluation }
        }
        let final = latest!
        let seconds = elapsed()
        if !history.isEmpty {
            history[history.count - 1].record.seconds = seconds
            progress?(DistributedProgress(record: history[history.count - 1], latestEvaluation: final,
                                          maxIterations: solver.settings.maxIterations, isFinal: true))
        }
        return DistributedSolution(localHeights: heights, hasConverged: converged, stopReason: stopReason, iterations: steps,
                                   seconds: seconds, evaluation: final, finalPointsPerStep: pointsPerStep,
                                   finalLearningRate: learningRate, history: history,
                                   bytesCommunicated: communicator.bytesCommunicated - startBytes)
    }
}

extension DistributedSession: AdamSolveContext {
    typealias Failure = any Error
    var settings: SemiDiscreteSolver { solver.settings }
    var targetCount: Int { problem.targetCount }
    var localWeights: [Double] { problem.targetWeights }
    var heightScale: Double { problem.targetSpread * problem.source.coordinateScale }

    func beginStep() {
        stepStartBytes = communicator.bytesCommunicated
        stepStartCPU = processCPUSeconds()
    }

    func trainingStep(count: Int, heights: [Double]) throws -> AdamStepSample {
        let sample = try trainingSample(count: count, heights: heights)
        let (estimate, energy) = try estimateWithEnergy(sample, heights: heights)
        return AdamStepSample(counts: sample.counts, pointCount: sample.pointCount, estimate: estimate, energy: energy)
    }
}
