import Foundation
import TensorModule
import Transport

/// Case 2: time for LatentOT's default `SemiDiscreteSolver` to reach a tolerance, against the
/// reference algorithm (`ReferenceSolver`) on the same problem.
///
/// - Codes at M = 60,000, d = 32: noise-corrected RMS relative cell error ≤ 0.16 on 2^20 fresh
///   points; the reference with lr 5e-2 (its CelebA setting) on 2^15 points. Running it to the
///   tolerance takes minutes, so by default it runs `baselineSteps` steps for its time per step, and
///   the steps it needs come from `bench/baseline-steps.json`, written by `--full`.
/// - Eight Gaussians at M = 256, d = 2: maximum relative cell error ≤ 0.5 on 2^20 fresh points;
///   the reference with lr 2e-5 on 10,000 points. Cheap enough to run to the tolerance every time.
///
/// Both solvers solve the same `SemiDiscreteProblem` (codes normalised to `[-1,1]^d`, source
/// uniform on `[-1/2,1/2]^d`). LatentOT's time is its whole `solve` call, its own evaluations
/// included; the reference's is the sum of its steps, while the bench's evaluations of its heights
/// (the oracle that stops it) are not counted. LatentOT's answer is re-measured independently on
/// 2^20 fresh points of another seed.
struct SolverCase {
    enum Criterion {
        case rms(Double)
        case maximum(Double)

        func error(_ estimate: CellErrorEstimate) -> Double {
            switch self {
            case .rms: return estimate.rmsRelativeError
            case .maximum: return estimate.maxRelativeError
            }
        }
        var bound: Double {
            switch self { case .rms(let b), .maximum(let b): return b }
        }
        var tolerance: Tolerance {
            switch self {
            case .rms(let b): return .rmsRelativeError(b)
            case .maximum(let b): return .maxRelativeError(b)
            }
        }
        var name: String {
            switch self {
            case .rms(let b): return "noise-corrected RMS relative cell error ≤ \(b)"
            case .maximum(let b): return "max relative cell error ≤ \(b)"
            }
        }
        var short: String {
            switch self {
            case .rms(let b): return "RMS ≤ \(b)"
            case .maximum(let b): return "max ≤ \(b)"
            }
        }
    }

    /// When the reference is evaluated on fresh points (the oracle stop).
    struct EvaluationSchedule {
        var interval: Int
        var fineInterval: Int
        /// Evaluate every `fineInterval` steps once the error is within this factor of the bound.
        var nearFactor: Double
        var screenPoints: Int
        var confirmPoints: Int
    }

    var codes: BenchData.Codes
    var evaluationPoints = 1 << 20
    var timeBudget: Double
    var toyTimeBudget: Double
    var baselineSteps: Int
    var full: Bool
    var recordURL: URL
    var baselineMaxSeconds: Double
    var seed: UInt64 = 1
    var runCodes = true
    var runToy = true
    /// False: only the reference runs (`--baseline-only`, e.g. to record its steps).
    var runLatentOT = true
    /// Where `--full` leaves the reference's final heights (for `--profile`'s pruning estimate).
    static var heightsFolder: URL { BenchEnvironment.projectFolder.appendingPathComponent("bench-out") }

    static let evaluationSeed: UInt64 = 0xE7A1_5EED
    static let checkSeed: UInt64 = 0xC4EC_5EED

    func run(_ reporter: Reporter) throws {
        var problems: [[String: Any]] = []
        // Codes.
        if runCodes {
            let problem = try SemiDiscreteProblem(targets: codes.values, dimension: codes.dimension, source: BenchData.source)
            let criterion = Criterion.rms(0.16)
            let label = "M=\(codes.count) d=\(codes.dimension)"
            log("case 2: \(label), \(codes.origin): LatentOT's solver to \(criterion.short)")
            let latent = runLatentOT ? try latentOTSolve(problem, criterion, label: label, budget: timeBudget) : nil
            let settings = ReferenceSolver.Settings(learningRate: 5e-2, initialPoints: 1 << 15)
            let key = "\(criterion.short) | \(codes.origin)"
            let baseline: [String: Any]
            let baselineSeconds: Double?
            let baselineText: String
            var baselineIsEstimate = false
            if full {
                let schedule = EvaluationSchedule(interval: 10, fineInterval: 2, nearFactor: 1.25,
                                                  screenPoints: min(1 << 18, evaluationPoints), confirmPoints: evaluationPoints)
                let outcome = referenceRun(problem, settings, criterion, schedule: schedule, maxSteps: settings.maxSteps,
                                           maxSeconds: baselineMaxSeconds, label: label)
                let record = outcome.record(key: key, problem: codes.origin, criterion: criterion, settings: settings)
                try BaselineRecordFile.upsert(record, at: recordURL)
                SolverCase.saveHeights(outcome.heights, name: "reference-heights-\(codes.origin.hasPrefix("synthetic") ? "synthetic" : "codes-file")-M\(codes.count)-d\(codes.dimension).json")
                log("case 2: recorded \(record.steps) steps (\(format(record.stepEquivalents)) first-step equivalents) in \(recordURL.path)")
                baselineSeconds = outcome.reached ? outcome.seconds : nil
                baseline = outcome.json(mode: "measured to the tolerance (--full)", settings: settings)
                baselineText = outcome.reached ? "\(format(outcome.seconds)) s (\(outcome.steps) steps, measured)"
                    : "not reached: stopped at step \(outcome.steps), \(format(outcome.finalError)) on fresh points"
            } else {
                let outcome = referenceRun(problem, settings, criterion, schedule: nil, maxSteps: baselineSteps,
                                           maxSeconds: .infinity, label: label)
                let perStep = outcome.secondsPerFirstStep
                var json = outcome.json(mode: "\(outcome.steps) steps timed; steps to the tolerance from the record", settings: settings)
                if let record = BaselineRecordFile.load(recordURL).record(for: key) {
                    let floor = (Double(codes.count) / Double(record.finalPoints)).squareRoot()
                    json["record"] = ["steps": record.steps, "stepEquivalents": record.stepEquivalents, "reached": record.reached,
                                      "date": record.date, "commit": record.commit, "finalError": record.finalError,
                                      "finalPoints": record.finalPoints, "fixedSetFloor": floor,
                                      "measuredSeconds": record.measuredSeconds, "file": recordURL.path]
                    if record.reached {
                        let seconds = record.stepEquivalents * perStep
                        baselineSeconds = seconds
                        json["estimatedSeconds"] = seconds
                        baselineText = "\(format(seconds)) s (\(record.steps) steps recorded \(record.date.prefix(10)) × \(format(perStep)) s per first step, this run)"
                    } else {
                        // Its fixed point set cannot resolve the cells: the error on fresh points stays
                        // at about sqrt(M/N). Estimate: as many steps with the smallest N whose floor
                        // is below the bound.
                        let needed = SemiDiscreteSolver.powerOfTwo(atLeast: Int((Double(codes.count) / (criterion.bound * criterion.bound)).rounded(.up)))
                        let points = max(needed, settings.initialPoints)
                        let seconds = Double(record.steps) * Double(points) / Double(settings.initialPoints) * perStep
                        baselineSeconds = seconds
                        baselineIsEstimate = true
                        json["estimatedSeconds"] = seconds
                        json["estimate"] = "the reference stopped by its own rule (|g| < 2e-3) at step \(record.steps) with N = \(record.finalPoints) fixed points and \(String(format: "%.3f", record.finalError)) on fresh points: a fixed set of N points leaves an error of about sqrt(M/N) = \(String(format: "%.3f", floor)), so it cannot reach \(criterion.bound). Estimate: the same \(record.steps) steps with N = \(points) points (the smallest power of two with sqrt(M/N) below the bound) at this run's time per point."
                        baselineText = "never reaches it (stops at step \(record.steps), \(format(record.finalError)) on fresh points; √(M/N) floor \(format(floor))); estimate \(format(seconds)) s = \(record.steps) steps × N = 2^\(points.trailingZeroBitCount) at \(format(perStep * Double(points) / Double(settings.initialPoints))) s"
                    }
                } else {
                    baselineSeconds = nil
                    json["record"] = "none for this problem in \(recordURL.path): run with --full (the issue's figure for its problem: about 330 steps)"
                    baselineText = "\(format(perStep)) s per step; steps not recorded (run --full)"
                }
                baseline = json
            }
            problems.append(["problem": label, "codes": codes.origin, "criterion": criterion.name,
                             "latentOT": latent?.json ?? "skipped (--baseline-only)", "baseline": baseline,
                             "speedup": SolverCase.speedup(baselineSeconds, latent) as Any,
                             "speedupUpperBound": SolverCase.speedupBound(baselineSeconds, latent) as Any,
                             "speedupIsEstimate": baselineIsEstimate])
            reporter.row(2, "\(label) seconds to \(criterion.short) (2^\(evaluationPoints.trailingZeroBitCount) fresh points)",
                         latentOT: latent?.summary ?? "skipped",
                         baseline: baselineText,
                         ratio: SolverCase.ratioText(baselineSeconds, latent) + (baselineIsEstimate && latent != nil ? " (estimate)" : ""))
        }
        // Eight Gaussians.
        if runToy {
            let toy = BenchData.eightGaussians()
            let problem = try SemiDiscreteProblem(targets: toy.values, dimension: 2, source: BenchData.source)
            let criterion = Criterion.maximum(0.5)
            let label = "eight Gaussians M=256 d=2"
            log("case 2: \(label): LatentOT's solver to \(criterion.short)")
            let latent = runLatentOT ? try latentOTSolve(problem, criterion, label: label, budget: toyTimeBudget) : nil
            let settings = ReferenceSolver.Settings(learningRate: 2e-5, initialPoints: 10_000)
            let schedule = EvaluationSchedule(interval: 100, fineInterval: 10, nearFactor: 1.5,
                                              screenPoints: evaluationPoints, confirmPoints: evaluationPoints)
            let outcome = referenceRun(problem, settings, criterion, schedule: schedule, maxSteps: settings.maxSteps,
                                       maxSeconds: baselineMaxSeconds, label: label)
            let key = "\(criterion.short) | \(toy.origin)"
            if full {
                try BaselineRecordFile.upsert(outcome.record(key: key, problem: toy.origin, criterion: criterion, settings: settings),
                                              at: recordURL)
            }
            let baselineSeconds = outcome.reached ? outcome.seconds : nil
            problems.append(["problem": label, "codes": toy.origin, "criterion": criterion.name,
                             "latentOT": latent?.json ?? "skipped (--baseline-only)",
                             "baseline": outcome.json(mode: "measured to the tolerance", settings: settings),
                             "speedup": SolverCase.speedup(baselineSeconds, latent) as Any,
                             "speedupUpperBound": SolverCase.speedupBound(baselineSeconds, latent) as Any])
            reporter.row(2, "\(label) seconds to \(criterion.short)",
                         latentOT: latent?.summary ?? "skipped",
                         baseline: "\(format(outcome.seconds)) s (\(outcome.steps) steps\(outcome.reached ? "" : ", not reached"))",
                         ratio: SolverCase.ratioText(baselineSeconds, latent))
        }
        reporter.emit(case: 2, name: "solver", ["problems": problems, "evaluationPoints": evaluationPoints,
                                                "timeBudget": timeBudget, "toyTimeBudget": toyTimeBudget])
    }

    /// "12.3× faster", or an upper bound when LatentOT stopped without meeting the tolerance.
    static func ratioText(_ baselineSeconds: Double?, _ latent: LatentOutcome?) -> String {
        guard let baselineSeconds, let latent else { return "—" }
        let ratio = baselineSeconds / latent.seconds
        return latent.converged ? times(ratio) + " faster" : "< " + times(ratio) + " (LatentOT did not reach the tolerance)"
    }

    static func speedup(_ baselineSeconds: Double?, _ latent: LatentOutcome?) -> Double? {
        guard let baselineSeconds, let latent, latent.converged else { return nil }
        return baselineSeconds / latent.seconds
    }

    static func speedupBound(_ baselineSeconds: Double?, _ latent: LatentOutcome?) -> Double? {
        guard let baselineSeconds, let latent, !latent.converged else { return nil }
        return baselineSeconds / latent.seconds
    }

    static func saveHeights(_ heights: [Double], name: String) {
        do {
            try FileManager.default.createDirectory(at: heightsFolder, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: heights).write(to: heightsFolder.appendingPathComponent(name), options: .atomic)
        } catch {
            log("could not save the reference's heights: \(error)")
        }
    }

    // MARK: - LatentOT

    struct LatentOutcome {
        var seconds: Double
        var steps: Int
        var converged: Bool
        var stopReason: String
        var solverError: Double
        var independentError: Double
        var finalPoints: Int
        /// Σ points counted by the solver's steps, and by its own evaluations: where its time goes.
        var trainingPoints: Int
        var evaluationCount: Int
        var evaluatedPoints: Int
        var summary: String {
            "\(format(seconds)) s (\(steps) steps, \(converged ? "converged" : stopReason), \(format(independentError)) on a check)"
        }
        var json: [String: Any] {
            ["seconds": seconds, "steps": steps, "converged": converged, "stopReason": stopReason,
             "errorOnSolverEvaluation": solverError, "errorOnIndependentCheck": independentError,
             "finalPointsPerStep": finalPoints, "solver": "SemiDiscreteSolver() defaults + tolerance, evaluationPointCount, timeBudget",
             "trainingPoints": trainingPoints, "solverEvaluations": evaluationCount, "solverEvaluatedPoints": evaluatedPoints]
        }
    }

    /// Progress lines at most every 5 s.
    final class Throttle: @unchecked Sendable {
        var last = -Double.infinity
    }

    func latentOTSolve(_ problem: SemiDiscreteProblem, _ criterion: Criterion, label: String, budget: Double) throws -> LatentOutcome {
        var solver = SemiDiscreteSolver()
        solver.tolerance = criterion.tolerance
        solver.evaluationPointCount = evaluationPoints
        solver.timeBudget = budget
        let throttle = Throttle()
        let (seconds, solution) = Stopwatch.time {
            solver.solve(problem, seed: seed) { progress in
                let r = progress.record
                if r.seconds - throttle.last >= 5 || progress.isFinal {
                    throttle.last = r.seconds
                    log(String(format: "  LatentOT %@: step %d, %.1f s, N=%d, cells %d, RMS %.3f, max %.3f%@", label, r.step, r.seconds,
                               r.pointsPerStep, r.cellCount, r.rmsRelativeError, r.maxRelativeError,
                               progress.latestEvaluation.map { String(format: ", last evaluation RMS %.3f max %.3f", $0.rmsRelativeError, $0.maxRelativeError) } ?? ""))
                }
            }
        }
        let check = try CellErrorEstimate.measure(problem: problem, heights: solution.heights, pointCount: evaluationPoints,
                                                  seed: SolverCase.checkSeed)
        let outcome = LatentOutcome(seconds: seconds, steps: solution.iterations, converged: solution.hasConverged,
                                    stopReason: solution.stopReason.rawValue, solverError: criterion.error(solution.evaluation),
                                    independentError: criterion.error(check), finalPoints: solution.finalPointsPerStep,
                                    trainingPoints: solution.history.reduce(0) { $0 + $1.pointsPerStep },
                                    evaluationCount: solution.evaluations.count,
                                    evaluatedPoints: solution.evaluations.reduce(0) { $0 + $1.estimate.sampleCount })
        log(String(format: "case 2: LatentOT %@: %.2f s, %d steps, %@, error %.4f (independent check %.4f); %d training points, %d evaluations of %d points",
                   label, seconds, outcome.steps, outcome.stopReason, outcome.solverError, outcome.independentError,
                   outcome.trainingPoints, outcome.evaluationCount, outcome.evaluatedPoints))
        return outcome
    }

    // MARK: - Reference

    struct ReferenceOutcome {
        var steps: Int
        var stepEquivalents: Double
        var seconds: Double
        var secondsPerFirstStep: Double
        var initialPoints: Int
        var finalPoints: Int
        var reached: Bool
        var finalError: Double?
        var stoppedOnGradient: Bool
        var evaluations: [[Double]]
        var heights: [Double]

        func json(mode: String, settings: ReferenceSolver.Settings) -> [String: Any] {
            ["mode": mode, "steps": steps, "stepEquivalents": stepEquivalents, "seconds": seconds,
             "secondsPerFirstStep": secondsPerFirstStep, "initialPoints": initialPoints, "finalPoints": finalPoints,
             "reached": reached, "finalError": finalError as Any, "stoppedOnGradient": stoppedOnGradient,
             "evaluations": evaluations.count, "learningRate": settings.learningRate,
             "algorithm": "reference (METHOD.md §2): h=0, first N Sobol points fixed, plain sgemm+argmax each step, Adam without bias correction, centred, N doubled after 30 steps without improvement of |g|"]
        }

        func record(key: String, problem: String, criterion: Criterion, settings: ReferenceSolver.Settings) -> BaselineRecord {
            BaselineRecord(key: key, problem: problem, tolerance: criterion.name + " on fresh points", steps: steps,
                           stepEquivalents: stepEquivalents, initialPoints: initialPoints, finalPoints: finalPoints,
                           finalError: finalError ?? .nan, reached: reached, measuredSeconds: seconds,
                           secondsPerFirstStep: secondsPerFirstStep, stoppedOnGradient: stoppedOnGradient,
                           date: BenchEnvironment.timestamp,
                           commit: BenchEnvironment.commit, cpu: "\(BenchEnvironment.cpuModel), \(Parallel.coreCount) cores",
                           evaluations: evaluations)
        }
    }

    /// Runs the reference for at most `maxSteps` steps (and `maxSeconds` of steps); with a schedule,
    /// evaluates its heights on fresh points and stops when the criterion holds.
    func referenceRun(_ problem: SemiDiscreteProblem, _ settings: ReferenceSolver.Settings, _ criterion: Criterion,
                      schedule: EvaluationSchedule?, maxSteps: Int, maxSeconds: Double, label: String) -> ReferenceOutcome {
        let reference = ReferenceSolver(problem: problem, settings: settings)
        var evaluations: [[Double]] = []
        var reached = false, finalError: Double? = nil
        var nextEvaluation = schedule?.interval ?? Int.max
        var stepSeconds = 0.0, lastLog = 0.0
        let clock = ContinuousClock(), began = clock.now
        func evaluate(_ points: Int) -> Double {
            let estimate = try! CellErrorEstimate.measure(problem: problem, heights: reference.heights, pointCount: points,
                                                          seed: SolverCase.evaluationSeed)
            let error = criterion.error(estimate)
            evaluations.append([Double(reference.steps.count), Double(points), error])
            return error
        }
        while reference.steps.count < maxSteps {
            let more = reference.step()
            let last = reference.steps.last!
            stepSeconds += last.seconds
            let elapsed = Stopwatch.seconds(clock.now - began)
            if elapsed - lastLog >= 10 || last.step <= 2 {
                lastLog = elapsed
                log(String(format: "  reference %@: step %d, N=%d, |g| %.2e, %.3f s/step, %.0f s of steps, %.0f s elapsed%@", label,
                           last.step, last.points, last.gradientNorm, last.seconds, stepSeconds, elapsed,
                           finalError.map { String(format: ", last error %.4f", $0) } ?? ""))
            }
            if let schedule, last.step >= nextEvaluation {
                var error = evaluate(schedule.screenPoints)
                if schedule.confirmPoints != schedule.screenPoints && error <= criterion.bound * 1.05 {
                    error = evaluate(schedule.confirmPoints)
                }
                finalError = error
                log(String(format: "  reference %@: step %d, error %.4f on fresh points", label, last.step, error))
                if error <= criterion.bound { reached = true; break }
                nextEvaluation = last.step + (error <= criterion.bound * schedule.nearFactor ? schedule.fineInterval : schedule.interval)
            }
            if !more || stepSeconds >= maxSeconds { break }
        }
        // Stopped without meeting the bound: the error of the final heights.
        if let schedule, !reached, evaluations.last.map({ Int($0[0]) != reference.steps.count || Int($0[1]) != schedule.confirmPoints }) ?? true {
            finalError = evaluate(schedule.confirmPoints)
            reached = finalError! <= criterion.bound
        }
        // Time per first-step: the median over steps of seconds × (first points / points).
        let normalised = reference.steps.dropFirst(reference.steps.count > 2 ? 1 : 0)
            .map { $0.seconds * Double(settings.initialPoints) / Double($0.points) }.sorted()
        return ReferenceOutcome(steps: reference.steps.count, stepEquivalents: reference.stepEquivalents, seconds: stepSeconds,
                                secondsPerFirstStep: normalised[normalised.count / 2], initialPoints: settings.initialPoints,
                                finalPoints: reference.points, reached: reached, finalError: finalError,
                                stoppedOnGradient: reference.hasStoppedOnGradient, evaluations: evaluations,
                                heights: reference.heights)
    }
}
