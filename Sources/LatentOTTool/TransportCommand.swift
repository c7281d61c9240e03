import ArgumentParser
import Foundation
import TensorModule
import Datasets
import Transport
import LatentOT

/// `latentot transport solve|sample`: the OT step alone, on codes from any encoder.
struct TransportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport",
        abstract: "Semi-discrete optimal transport on your own codes (.npy), and sampling through its map.",
        subcommands: [TransportSolveCommand.self, TransportSampleCommand.self, TransportMPICheckCommand.self])
}

enum SourceChoice: String, ExpressibleByArgument, CaseIterable {
    case uniform, gaussian
    var distribution: SourceDistribution { self == .uniform ? .uniformBox(halfWidth: 1) : .gaussian }
}

/// Solver settings shared by `transport solve` and `train`.
struct SolverOptions: ParsableArguments {
    @Option(help: "Source measure: uniform (on [-1,1]^d, codes normalised into it) or gaussian.")
    var source: SourceChoice = .uniform

    @Option(help: "Code normalisation: matched (the codes' RMS coordinate matches the source's) or maximum (largest coordinate = 1; the rule of --distributed).")
    var normalization: TransportJob.NormalizationRule = .matched

    @Option(help: "Stop when the noise-corrected RMS relative cell error (fresh points) is at most this.")
    var tolerance: Double = 0.1

    @Option(help: "Stop when the maximum relative cell error (fresh points) is at most this (meaningful when points per cell are in the thousands).")
    var maxErrorTolerance: Double?

    @Option(help: "Solver: automatic (exact-newton for 2-D codes and the square source up to 4096 codes, newton for d ≤ 3, fixed-set above; the default), exact-newton (damped Newton on the exact power diagram, 2-D), newton (damped Newton on sampled cells), adam (the reference's gradient method on fresh points) or fixed-set (Adam on a growing fixed point set with candidate lists).")
    var method: SolverMethod?

    @Option(help: "Step limit.")
    var maxIterations: Int?

    @Option(help: "Time budget in seconds (the result then depends on the machine's speed; tolerance and --max-iterations stops are reproducible).")
    var timeBudget: Double?

    @Option(name: .customLong("ot-learning-rate"), help: "Adam step of the OT solver (adam and fixed-set methods), relative to the code scale (defaults 0.01 and 0.02).")
    var learningRate: Double?

    @Option(help: "Source points per step at the start (grows when progress stalls).")
    var pointsPerStep: Int?

    @Option(help: "The most source points per step (adam, newton; default 2^20) or in the fixed set (fixed-set; default 2^22, and at most 2 GiB of stored points). The fixed set's error floor is about sqrt(M / this).")
    var maxPoints: Int?

    @Option(help: "Fresh points for the error estimate.")
    var evaluationPoints: Int?

    @Option(help: "Initial heights: multiscale (the default: coarse to fine for newton, gaussian for fixed-set, voronoi for adam), gaussian (the linear OT map to the codes' Gaussian fit), voronoi (-|y|²/2) or zero.")
    var initialHeights: InitialHeights?

    func validate() throws {
        guard tolerance >= 0 && tolerance.isFinite else { throw ValidationError("--tolerance must be ≥ 0, got \(tolerance)") }
        if let maxErrorTolerance, !(maxErrorTolerance >= 0 && maxErrorTolerance.isFinite) {
            throw ValidationError("--max-error-tolerance must be ≥ 0, got \(maxErrorTolerance)")
        }
        if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) { throw ValidationError("--time-budget must be > 0 seconds, got \(timeBudget)") }
        if let maxIterations, maxIterations < 0 { throw ValidationError("--max-iterations must be ≥ 0, got \(maxIterations)") }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) { throw ValidationError("--ot-learning-rate must be > 0, got \(learningRate)") }
        if let pointsPerStep, !(1...(1 << 26)).contains(pointsPerStep) { throw ValidationError("--points-per-step must be in 1...2^26, got \(pointsPerStep)") }
        if let maxPoints, !(1...(1 << 26)).contains(maxPoints) { throw ValidationError("--max-points must be in 1...2^26, got \(maxPoints)") }
        if let evaluationPoints, !(1...(1 << 26)).contains(evaluationPoints) { throw ValidationError("--evaluation-points must be in 1...2^26, got \(evaluationPoints)") }
    }

    var solver: SemiDiscreteSolver {
        var solver = SemiDiscreteSolver()
        solver.tolerance = Tolerance(maxRelativeError: maxErrorTolerance, rmsRelativeError: tolerance)
        solver.timeBudget = timeBudget
        if let method { solver.method = method }
        if let maxIterations { solver.maxIterations = maxIterations }
        if let learningRate { solver.learningRate = learningRate; solver.fixedSetLearningRate = learningRate }
        if let pointsPerStep { solver.pointsPerStep = pointsPerStep; solver.maximumPointsPerStep = max(solver.maximumPointsPerStep, pointsPerStep) }
        if let maxPoints {
            solver.maximumPointsPerStep = maxPoints
            solver.fixedSetMaximumPoints = maxPoints
            solver.pointsPerStep = min(solver.pointsPerStep, maxPoints)
        }
        if let evaluationPoints { solver.evaluationPointCount = evaluationPoints }
        if let initialHeights { solver.initialHeights = initialHeights }
        return solver
    }
}

extension SolverMethod: ExpressibleByArgument {}
extension TransportJob.NormalizationRule: ExpressibleByArgument {}
extension InitialHeights: ExpressibleByArgument {}

/// Runs a transport job with progress on standard error.
func runTransport(_ job: TransportJob, codes: [Float], dimension: Int, weights: [Double]?, seed: UInt64,
                  label: String) throws -> (solution: TransportSolutionFiles, report: TransportReport) {
    let total = job.solver.maxIterations
    let bar = ProgressReporter(label, total: total, unit: "step", budget: job.solver.timeBudget, totalIsLimit: true)
    return try job.run(codes: codes, dimension: dimension, weights: weights, seed: seed) { progress in
        let error = progress.statusText
        bar.update(progress.isFinal ? total : progress.record.step, status: error)
    }
}

struct TransportSolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve semi-discrete OT from the source to the codes.",
        discussion: "Writes DIR/heights.npy, DIR/normalization.json, DIR/codes.npy, DIR/report.json and DIR/convergence.png.")

    @Option(help: "Codes: .npy, float32 or float64, C order, 2-D (M × d).")
    var codes: String

    @Option(help: "Target weights ν: .npy, 1-D, M positive values summing to 1 (default uniform).")
    var weights: String?

    @OptionGroup var solverOptions: SolverOptions
    @OptionGroup var seedOption: SeedOption

    @Option(help: "Output folder.")
    var out: String

    @Flag(help: "Split the codes across the ranks of an MPI job (run under `mpirun -np K`); Adam only. See docs/distributed.md.")
    var distributed = false

    func run() throws {
        if distributed { return try runDistributed() } // DistributedSolve.swift
        // An --out that names a file fails before the solve (the folder itself is made only once the
        // inputs are read, so a refused input leaves nothing behind).
        try FolderStore.refuseFile(at: out)
        let (values, rows) = try CodesFile.read(codes)
        let dimension = values.count / rows
        let targetWeights = try weights.map { try WeightsFile.read($0, count: rows) }
        let job = TransportJob(solver: solverOptions.solver, source: solverOptions.source.distribution,
                               normalization: solverOptions.normalization)
        let solved: (solution: TransportSolutionFiles, report: TransportReport)
        do {
            solved = try runTransport(job, codes: values, dimension: dimension, weights: targetWeights,
                                      seed: seedOption.seed, label: "solve M=\(rows) d=\(dimension)")
        } catch TransportError.invalidTargets(field: "targets", expected: _, found: let found) where found.hasSuffix("are equal") {
            // Rows are compared after normalisation, in Float: say so, and name the file.
            throw LatentOTError.invalidValue(
                field: codes, expected: "distinct codes (compared in Float after normalisation into the source's range, so rows that differ by less than about 1e-7 of the codes' spread count as equal)",
                found: found)
        }
        let (solution, report) = solved
        let store = try FolderStore(out, create: true)
        try solution.save(to: store, report: report)
        let precision = report.evaluationPointCount == 0 ? "exact cells" : String(format: "noise floor %.3f", report.noiseFloor)
        print(String(format: "%@ after %d steps (%.2f s, %@): rms relative cell error %.3g (%@), max %.3g",
                     report.hasConverged ? "converged" : "stopped (\(report.stopReason))", report.iterations, report.solveSeconds,
                     report.methodUsed ?? report.method, report.rmsRelativeError, precision, report.maxRelativeError))
        print("wrote \(store.describe(TransportSolutionFiles.heights)), \(TransportSolutionFiles.normalization), \(TransportSolutionFiles.report)")
    }
}

struct TransportSampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample", abstract: "Sample codes through the solved map (pure or extended), in the codes' own coordinates.")

    @Option(help: "Folder written by `transport solve`.")
    var solution: String

    @Option(help: "Number of samples.")
    var count: Int

    @OptionGroup var samplerOptions: SamplerOptions
    @OptionGroup var seedOption: SeedOption

    @Option(help: "Output .npy (float32, count × d).")
    var out: String

    func validate() throws {
        guard count >= 1 && count <= 100_000_000 else { throw ValidationError("--count must be in 1...100000000, got \(count)") }
        guard out.lowercased().hasSuffix(".npy") else { throw ValidationError("--out must end in .npy, got '\(out)'") }
    }

    func run() throws {
        let store = try FolderStore(solution, create: false)
        let files = try TransportSolutionFiles.load(from: store)
        let samples = try LatentSampler(solution: files).sample(count: count, sampler: samplerOptions.choice, seed: seedOption.seed)
        if let bad = samples.codes.firstIndex(where: { !$0.isFinite }) {
            throw LatentOTError.invalidValue(field: "sample \(bad / files.dimension) of \(solution)", expected: "finite codes (the solution's codes are too large for float32 blends)",
                                             found: "\(samples.codes[bad])")
        }
        try AtomicFile.write(NumpyArray(shape: [samples.count, files.dimension], floats: samples.codes).encode(), to: URL(fileURLWithPath: out))
        print(String(format: "wrote %d codes to %@ (acceptance %.2f)", samples.count, out, samples.acceptanceRate))
    }
}

/// Reads target weights: a 1-D `.npy` of `count` positive finite values summing to 1.
enum WeightsFile {
    static func read(_ path: String, count: Int) throws -> [Double] {
        let array = try NumpyArray.read(URL(fileURLWithPath: path))
        guard array.shape == [count] else {
            throw LatentOTError.invalidValue(field: "\(path): shape", expected: "[\(count)] (one weight per code)", found: "\(array.shape)")
        }
        switch array.storage {
        case .float32, .float64: break
        default: throw LatentOTError.invalidValue(field: "\(path): dtype", expected: "float32 or float64 weights", found: array.dataType.rawValue)
        }
        let weights = array.doubleValues
        if let bad = weights.firstIndex(where: { !$0.isFinite || $0 <= 0 }) {
            throw LatentOTError.invalidValue(field: "\(path): weights[\(bad)]", expected: "a finite value > 0", found: "\(weights[bad])")
        }
        let sum = weights.reduce(0, +)
        guard abs(sum - 1) <= 1e-6 else {
            throw LatentOTError.invalidValue(field: "\(path): sum of weights", expected: "1 (within 1e-6)", found: "\(sum)")
        }
        return weights
    }
}
