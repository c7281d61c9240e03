import TensorModule

/// The state shared by the solver's methods during one solve: the kernel, the two point streams
/// (training and independent evaluation), the clock and the history.
final class SolveSession {
    let problem: SemiDiscreteProblem
    let solver: SemiDiscreteSolver
    let cells: PowerCells
    let clock = ContinuousClock()
    let began: ContinuousClock.Instant
    private var trainingStreams: SeededGenerator
    private var training: SobolSequence
    private var nextIndex = 0
    private let evaluationSeed: UInt64
    private var evaluationIndex = 0
    var history: [SolverRecord] = []
    var latest: CellErrorEstimate? = nil
    var lastEvaluatedStep = -1
    let progress: ((SolverProgress) -> Void)?
    let seed: UInt64
    /// Set when a method handed the solve over to another (a stalled Newton under `.automatic` to
    /// the fixed-set method, the exact planar method to `.newton`): the solution's `method`.
    var methodUsed: SolverMethod? = nil

    init(problem: SemiDiscreteProblem, solver: SemiDiscreteSolver, seed: UInt64, progress: ((SolverProgress) -> Void)?) {
        self.problem = problem
        self.solver = solver
        self.progress = progress
        self.seed = seed
        began = clock.now
        cells = PowerCells(targets: problem.targets, dimension: problem.dimension)
        trainingStreams = SeededGenerator.stream(seed: seed, label: 1)
        training = SobolSequence(dimension: problem.dimension, scrambleSeed: trainingStreams.next())
        var evaluationStreams = SeededGenerator.stream(seed: seed, label: 2)
        evaluationSeed = evaluationStreams.next()
        history.reserveCapacity(min(solver.maxIterations, 100_000))
    }

    func elapsed() -> Double {
        let duration = clock.now - began
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    /// Whether the budget is spent, keeping back the time the final evaluation will take (so the
    /// solve ends within `timeBudget`, evaluation included).
    var isOverTime: Bool {
        if let budget = solver.timeBudget { return elapsed() + projectedEvaluationSeconds >= budget }
        return false
    }

    /// Seconds left in the budget after the final evaluation (`.infinity` without a budget).
    var secondsLeft: Double {
        guard let budget = solver.timeBudget else { return .infinity }
        return budget - elapsed() - projectedEvaluationSeconds
    }

    /// Point-target scores per second of the full kernel, measured on this solve (0: not yet).
    private(set) var scoreRate = 0.0

    /// Records that `points` points were scored against every target in `seconds`.
    func noteFullScoring(points: Int, seconds: Double) {
        guard points > 0, seconds > 0 else { return }
        let rate = Double(points) * Double(problem.targetCount) / seconds
        scoreRate = scoreRate == 0 ? rate : 0.5 * (scoreRate + rate)
    }

    /// Seconds to score `points` points against every target, at the measured rate (0 before any).
    func projectedSeconds(points: Int) -> Double {
        scoreRate > 0 ? Double(points) * Double(problem.targetCount) / scoreRate : 0
    }

    /// The time an evaluation takes: measured on the last one, or projected from the kernel's rate.
    private var evaluationSeconds: Double? = nil
    var projectedEvaluationSeconds: Double {
        if lastEvaluatedStep >= 0, let evaluationSeconds { return evaluationSeconds }
        return projectedSeconds(points: solver.evaluationPointCount)
    }

    /// Counts the cells of the next `count` training points (a fresh block of the training sequence,
    /// aligned to its power-of-two size so it is a complete net; re-scrambled when exhausted).
    func trainingSample(count: Int, heights: [Double], keepAssignments: Bool, keepMoments: Bool = false,
                        cells: PowerCells? = nil) -> CellCounts {
        let cells = cells ?? self.cells
        nextIndex = (nextIndex + count - 1) / count * count
        if nextIndex + count > SobolSequence.maximumCount {
            training = SobolSequence(dimension: problem.dimension, scrambleSeed: trainingStreams.next())
            nextIndex = 0
        }
        let padded = cells.paddedHeights(heights)
        defer { padded.deallocate() }
        let began = elapsed()
        defer { if cells === self.cells { noteFullScoring(points: count, seconds: elapsed() - began) } }
        let sample = CellCounts.measure(cells: cells, source: problem.source, points: .sequence(training),
                                        start: nextIndex, count: count, heights: padded,
                                        keepAssignments: keepAssignments, keepMoments: keepMoments)
        nextIndex += count
        return sample
    }

    /// An empty fixed point set on its own scrambled Sobol sequence (drawn from the training streams).
    func makeCandidateLists(k: Int, riserCount: Int) -> CandidateLists {
        let sequence = SobolSequence(dimension: problem.dimension, scrambleSeed: trainingStreams.next())
        return CandidateLists(cells: cells, source: problem.source, sequence: sequence, k: k, riserCount: riserCount)
    }

    /// `PowerCells.deficits` on the first `pointCount` points of the current training block's
    /// sequence (points already used: only the geometry matters here, not an unbiased count).
    func deficits(heights: [Double], pointCount: Int, cells: PowerCells? = nil) -> [Float] {
        let cells = cells ?? self.cells
        var points = [Float](repeating: 0, count: pointCount * problem.dimension)
        points.withUnsafeMutableBufferPointer {
            problem.source.fill(points: $0.baseAddress!, start: 0, count: pointCount, dimension: problem.dimension,
                                sequence: training)
        }
        return points.withUnsafeBufferPointer { cells.deficits(points: $0.baseAddress!, count: pointCount, heights: heights) }
    }

    /// Records `estimate` (exact, not sampled) as the evaluation of step `step`'s heights.
    func noteExactEvaluation(_ estimate: CellErrorEstimate, step: Int) {
        latest = estimate
        lastEvaluatedStep = step
    }

    /// An independent estimate on the next block of fresh evaluation points.
    func evaluate(_ heights: [Double], step: Int) -> CellErrorEstimate {
        let count = solver.evaluationPointCount
        if evaluationIndex + count > SobolSequence.maximumCount { evaluationIndex = 0 }
        let began = elapsed()
        defer { evaluationSeconds = elapsed() - began }
        let estimate = CellErrorEstimate.measure(problem: problem, cells: cells, heights: heights, pointCount: count,
                                                 seed: evaluationSeed, sampling: solver.evaluationSampling,
                                                 start: evaluationIndex)
        evaluationIndex += count
        latest = estimate
        lastEvaluatedStep = step
        return estimate
    }

    /// `E(h)` on a sample: mean potential minus `Σ ν_i h_i`.
    func energy(_ sample: CellCounts, heights: [Double], weights: [Double]? = nil) -> Double {
        let weights = weights ?? problem.targetWeights
        var weighted = 0.0
        for i in 0..<heights.count { weighted += weights[i] * heights[i] }
        return sample.potentialSum / Double(sample.pointCount) - weighted
    }

    func record(step: Int, sample: CellCounts, estimate: CellErrorEstimate, heights: [Double],
                learningRate: Double, weights: [Double]? = nil) -> SolverRecord {
        SolverRecord(step: step, cellCount: heights.count, energy: energy(sample, heights: heights, weights: weights),
                     maxRelativeError: estimate.maxRelativeError, meanRelativeError: estimate.meanRelativeError,
                     rmsRelativeError: estimate.rmsRelativeError, emptyCells: estimate.emptyCells,
                     pointsPerStep: sample.pointCount, learningRate: learningRate, seconds: 0, evaluation: nil)
    }

    func append(_ record: SolverRecord, isFinal: Bool) {
        var record = record
        record.seconds = elapsed()
        history.append(record)
        if !isFinal {
            progress?(SolverProgress(record: record, latestEvaluation: latest, maxIterations: solver.maxIterations,
                                     isFinal: false))
        }
    }

    /// Evaluates the returned heights if that has not been done, reports the final progress and
    /// builds the solution.
    func finish(heights: [Double], converged: Bool, stopReason: StopReason, steps: Int, pointsPerStep: Int,
                learningRate: Double) -> SemiDiscreteSolution {
        var converged = converged, stopReason = stopReason
        if lastEvaluatedStep != steps || latest == nil {
            let evaluation = evaluate(heights, step: steps)
            if !converged && solver.tolerance.isSatisfied(by: evaluation) { converged = true; stopReason = .toleranceReached }
            if !history.isEmpty { history[history.count - 1].evaluation = evaluation }
        }
        let final = latest!
        let seconds = elapsed()
        if !history.isEmpty {
            history[history.count - 1].seconds = seconds
            progress?(SolverProgress(record: history[history.count - 1], latestEvaluation: final,
                                     maxIterations: solver.maxIterations, isFinal: true))
        }
        return SemiDiscreteSolution(heights: heights, hasConverged: converged, stopReason: stopReason,
                                    method: methodUsed ?? solver.resolvedMethod(for: problem),
                                    iterations: steps, seconds: seconds, maxRelativeError: final.maxRelativeError,
                                    rmsRelativeError: final.rmsRelativeError, meanRelativeError: final.meanRelativeError,
                                    evaluation: final, finalPointsPerStep: pointsPerStep, finalLearningRate: learningRate,
                                    history: history)
    }
}

extension SolveSession: AdamSolveContext {
    typealias Failure = Never
    var settings: SemiDiscreteSolver { solver }
    var targetCount: Int { problem.targetCount }
    var localWeights: [Double] { problem.targetWeights }
    var heightScale: Double { SemiDiscreteSolver.heightScale(of: problem) }
    func timeIsUp() -> Bool { isOverTime }
    func beginStep() {}

    func trainingStep(count: Int, heights: [Double]) -> AdamStepSample {
        let sample = trainingSample(count: count, heights: heights, keepAssignments: false)
        let estimate = CellErrorEstimate(counts: sample.counts, sampleCount: count, weights: problem.targetWeights)
        return AdamStepSample(counts: sample.counts, pointCount: sample.pointCount, estimate: estimate,
                              energy: energy(sample, heights: heights))
    }

    func estimate(counts: [Int], sampleCount: Int) -> CellErrorEstimate {
        CellErrorEstimate(counts: counts, sampleCount: sampleCount, weights: problem.targetWeights)
    }

    func centred(_ heights: [Double]) -> [Double] { SemiDiscreteSolver.centred(heights) }
}
