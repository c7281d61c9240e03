import ArgumentParser
import Foundation
import TensorModule
import Datasets
import Transport
import LatentOT
import DistributedTransport
#if canImport(MPIWrapper)
import MPIWrapper
#endif

// `latentot transport solve --distributed`: the same files as the single-process command, from an
// MPI job whose ranks each hold a slice of the codes (docs/distributed.md).
//
// Input: every rank reads only its own rows of the codes file (the header, then one seek), so no
// rank ever holds all M·d values during the solve and nothing of size M·d crosses the network.
// This needs the file at the same path on every machine (a shared or copied folder, the usual MPI
// setup); a rank that cannot read it stops every rank with its message. Rank 0 reads the whole
// file once more at the end, to write codes.npy (the same memory `transport sample` needs).
//
// Failures: every rank checks its input and the ranks agree before any collective call, so bad
// input ends every rank with the same message and status 1. A rank that dies mid-solve makes
// mpirun end the job (non-zero status, its message, then SIGTERM to the others, which print why
// they stop). `LATENTOT_MPI_FAIL_RANK=r LATENTOT_MPI_FAIL_STEP=s` makes rank r exit(1) after step
// s (before MPI_Init when s = 0: a rank that cannot start), to test exactly that.

#if canImport(MPIWrapper)

extension TransportSolveCommand {
    func runDistributed() throws {
        let solver = DistributedSolver(settings: solverOptionsForReport)
        try solver.validate()
        try MPIJob.run { world in try solveDistributed(solver: solver, world: world) }
    }

    private func solveDistributed(solver: DistributedSolver, world: MPICommunicator) throws {
        let rank = world.rank, size = world.size
        let started = Date()

        // Every rank reads the header, then its own rows; any failure stops every rank.
        var header: NumpyRowFile? = nil
        var localError: Error? = nil
        do { header = try NumpyRowFile(path: codes) } catch {
            if case .unreadable(_, let reason) = error {
                localError = LatentOTError.invalidValue(field: "--codes \(codes)",
                                                        expected: "a readable .npy file at this path on every machine of the job",
                                                        found: reason)
            } else {
                localError = error
            }
        }
        try world.agree(localError)
        let rows = header!.rows, dimension = header!.columns
        let partition = try TargetPartition(totalCount: rows, rankCount: size, rank: rank)
        var slice: [Float] = []
        var targetWeights: [Double]? = nil
        do {
            slice = try header!.read(rows: partition.localRange)
            targetWeights = try weights.map { try WeightsFile.read($0, count: rows) }
        } catch { localError = error }
        try world.agree(localError)

        let total = solver.settings.maxIterations
        let bar = rank == 0 ? ProgressReporter("solve M=\(rows) d=\(dimension) on \(size) ranks", total: total, unit: "step",
                                                     budget: solver.settings.timeBudget, totalIsLimit: true) : nil
        let run = try DistributedSolveRun(slice: &slice, dimension: dimension, partition: partition, weights: targetWeights,
                                          source: solverOptions.source.distribution, scaling: .maximumCoordinate,
                                          solver: solver, seed: seedOption.seed, communicator: world,
                                          progress: MPIJob.stepHook(rank: rank, size: size, bar: bar, total: total))

        // Only rank 0 writes, then every rank learns whether it worked.
        localError = nil
        if rank == 0, let heights = run.heights {
            do {
                try writeSolution(heights: heights, run: run, weights: targetWeights, totalSeconds: Date().timeIntervalSince(started))
            } catch { localError = error }
        }
        try world.agree(localError)
    }

    private func writeSolution(heights: [Double], run: DistributedSolveRun, weights: [Double]?, totalSeconds: Double) throws {
        let (values, _) = try CodesFile.read(codes)
        let (fields, report) = run.report(settings: solverOptionsForReport, totalSeconds: totalSeconds,
                                          library: MPIEnvironment.libraryVersion)
        let files = TransportSolutionFiles(codes: values, dimension: run.problem.dimension, weights: weights,
                                           normalization: run.problem.normalization, heights: heights, source: run.problem.source)
        let store = try FolderStore(out, create: true)
        // The report with its "distributed" section; heights last, as always.
        try files.save(to: store, report: report, reportFile: JSONCoding.encode(fields))
        let solution = run.solution, evaluation = solution.evaluation
        print(String(format: "%@ after %d steps (%.2f s, %d ranks, %.0f bytes per step per rank): rms relative cell error %.3f (noise floor %.3f), max %.3f",
                     solution.hasConverged ? "converged" : "stopped (\(solution.stopReason))", solution.iterations, solution.seconds,
                     run.cpuByRank.count, solution.bytesPerStep, evaluation.rmsRelativeError, evaluation.noiseFloor, evaluation.maxRelativeError))
        print("wrote \(store.describe(TransportSolutionFiles.heights)), \(TransportSolutionFiles.normalization), \(TransportSolutionFiles.report)")
    }

    private var solverOptionsForReport: SemiDiscreteSolver {
        var settings = solverOptions.solver
        if solverOptions.method == nil { settings.method = .adam }
        if solverOptions.initialHeights == nil { settings.initialHeights = .voronoi }
        return settings
    }
}

/// The life of one process in an MPI job of the tool: the failure hook of the tests, the SIGTERM
/// message, MPI_Init, the body, and an end that leaves no rank waiting.
enum MPIJob {
    /// Runs `body` with the world communicator on every rank. An `MPIError` (the job is broken: a
    /// peer is gone) ends every rank with MPI_Abort; any other error is printed as this rank's
    /// (`Error: rank r of K: ...`) before MPI_Finalize and exit status 1. The body must make sure
    /// that the other ranks learn of its errors (`Communicator.agree`) before it throws.
    static func run(_ body: (MPICommunicator) throws -> Void) throws {
        if let failure = DistributedTermination.failureHook(), failure.step == 0,
           ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_RANK"] == String(failure.rank) {
            // The hook's step 0: this rank dies before it joins the job (a rank that cannot start).
            FileHandle.standardError.write("rank \(failure.rank): failing on purpose before MPI_Init (LATENTOT_MPI_FAIL_STEP=0)\n".data(using: .utf8)!)
            Foundation.exit(1)
        }
        let environment = ProcessInfo.processInfo.environment
        if let rank = environment["OMPI_COMM_WORLD_RANK"].flatMap(Int.init), let size = environment["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) {
            DistributedTermination.install(rank: rank, size: size) // early, for a job that ends while it starts
        }
        let world = try MPIEnvironment.start()
        let rank = world.rank, size = world.size
        if !DistributedTermination.isInstalled { DistributedTermination.install(rank: rank, size: size) }
        do {
            try body(world)
        } catch let error as MPIError {
            // The job is broken (a peer is gone): say so, then end every rank rather than wait.
            FileHandle.standardError.write("rank \(rank) of \(size): \(error)\n".data(using: .utf8)!)
            MPIEnvironment.abort(code: 1)
        } catch {
            // One write per message, so that mpirun's merged output keeps each rank's line whole.
            FileHandle.standardError.write("Error: \(RankError(rank: rank, size: size, underlying: error))\n".data(using: .utf8)!)
            MPIEnvironment.finish(world)
            throw ExitCode.failure
        }
        MPIEnvironment.finish(world)
    }

    /// What every rank does after each solver step: the failure hook of the tests
    /// (`LATENTOT_MPI_FAIL_RANK/STEP`: exit(1) after that step), then rank 0's progress bar.
    static func stepHook(rank: Int, size: Int, bar: ProgressReporter?, total: Int) -> (DistributedProgress) -> Void {
        let failure = DistributedTermination.failureHook()
        return { progress in
            if let failure, failure.rank == rank, progress.record.record.step == failure.step {
                FileHandle.standardError.write("rank \(rank) of \(size): failing on purpose after step \(failure.step) (LATENTOT_MPI_FAIL_RANK/STEP)\n".data(using: .utf8)!)
                Foundation.exit(1)
            }
            let error = progress.latestEvaluation.map { String(format: "rms %.3f max %.3f", $0.rmsRelativeError, $0.maxRelativeError) } ?? ""
            bar?.update(progress.isFinal ? total : progress.record.record.step, status: error)
        }
    }
}

/// An error of one rank, prefixed with the rank so that mpirun's merged output says who said it.
struct RankError: Error, CustomStringConvertible {
    var rank: Int
    var size: Int
    var underlying: Error
    var description: String { "rank \(rank) of \(size): \(underlying)" }
}

/// What every rank says when mpirun ends it because another rank failed (SIGTERM), and the
/// failure-injection hook of the tests.
enum DistributedTermination {
    /// The SIGTERM message: a fixed buffer, filled before the handler is installed, read by it.
    static let message = SignalMessage()

    /// Whether `install` has run.
    static var isInstalled: Bool { message.bytes[0] != 0 }

    static func install(rank: Int, size: Int) {
        message.set("rank \(rank) of \(size): stopped by mpirun (another rank failed or the job was interrupted); see the first error above\n")
        signal(SIGTERM) { _ in
            // Only async-signal-safe calls here: the length is counted by hand, not by strlen.
            let bytes = DistributedTermination.message.bytes
            var length = 0
            while length < SignalMessage.capacity && bytes[length] != 0 { length += 1 }
            _ = write(2, bytes, length)
            _exit(143)
        }
    }

    /// `LATENTOT_MPI_FAIL_RANK` and `LATENTOT_MPI_FAIL_STEP`, when both are set.
    static func failureHook() -> (rank: Int, step: Int)? {
        let environment = ProcessInfo.processInfo.environment
        guard let rank = environment["LATENTOT_MPI_FAIL_RANK"].flatMap(Int.init),
              let step = environment["LATENTOT_MPI_FAIL_STEP"].flatMap(Int.init) else { return nil }
        return (rank, step)
    }
}

extension TransportMPICheckCommand {
    func run() throws {
        let world = try MPIEnvironment.start()
        defer { MPIEnvironment.finish(world) }
        let rank = world.rank, size = world.size
        var failures: [String] = []
        // MAXLOC: entry e has score (e mod 7) on rank (e mod K), else lower; ties resolved to the lowest index.
        let count = 1000
        var pairs = (0..<count).map { e -> ScoreIndex in
            ScoreIndex(score: e % size == rank ? Float(e % 7) : -1, index: Int32(rank * count + e))
        }
        try pairs.withUnsafeMutableBufferPointer { try world.allreduceMaxLocation($0) }
        for e in 0..<count where pairs[e].score != Float(e % 7) || pairs[e].index != Int32((e % size) * count + e) {
            failures.append("MAXLOC entry \(e): \(pairs[e])"); break
        }
        // Top two, against the same merge done locally over every rank's list.
        func list(_ r: Int, _ e: Int) -> TopTwo {
            TopTwo(bestScore: Float((e * 31 + r * 17) % 11), best: Int32(2 * (r * count + e)),
                   secondScore: Float((e * 31 + r * 17) % 11) - Float(1 + (e + r) % 3), second: Int32(2 * (r * count + e) + 1))
        }
        var merged = (0..<count).map { list(rank, $0) }
        try merged.withUnsafeMutableBufferPointer { try world.allreduceTopTwo($0) }
        for e in 0..<count {
            var expected = list(0, e)
            for r in 1..<max(1, size) { expected = TopTwo.merge(expected, list(r, e)) }
            let same = (merged[e].best, merged[e].second, merged[e].bestScore, merged[e].secondScore)
                == (expected.best, expected.second, expected.bestScore, expected.secondScore)
            if !same { failures.append("top-two entry \(e): \(merged[e]) instead of \(expected)"); break }
        }
        // Left-to-right fold: rank r appends r, so the state is 0, 1, ..., K-1 in order.
        var state = [Double](repeating: -1, count: size)
        try world.sequentialFold(&state) { $0[rank] = Double(rank) }
        if state != (0..<size).map(Double.init) { failures.append("fold: \(state)") }
        try world.agree(failures.isEmpty ? nil : LatentOTError.invalidValue(field: "MPI collectives", expected: "the known results",
                                                                            found: failures.joined(separator: "; ")))

        // Latency and bandwidth of the solver's allreduce (MAXLOC on 8-byte pairs).
        let clock = ContinuousClock()
        func seconds(_ body: () throws -> Void) rethrows -> Double {
            let start = clock.now
            try body()
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        var small = [ScoreIndex](repeating: .none, count: 1)
        try world.barrier()
        let latency = try seconds { for _ in 0..<repetitions { try small.withUnsafeMutableBufferPointer { try world.allreduceMaxLocation($0) } } }
            / Double(repetitions)
        var large = [ScoreIndex](repeating: ScoreIndex(score: Float(rank), index: Int32(rank)), count: points)
        try world.barrier()
        let bulk = try seconds { for _ in 0..<10 { try large.withUnsafeMutableBufferPointer { try world.allreduceMaxLocation($0) } } } / 10
        let host = ProcessInfo.processInfo.hostName
        var hostBytes = [UInt8](repeating: 0, count: 64)
        if rank == 0 {
            print("MPI: \(MPIEnvironment.libraryVersion)")
            print("\(size) ranks; collectives correct (MAXLOC, top-two merge, left-to-right fold)")
            print(String(format: "allreduce MAXLOC of 1 pair: %.1f µs; of %d pairs (%d bytes): %.2f ms, %.0f MB/s of payload",
                         latency * 1e6, points, points * 8, bulk * 1e3, Double(points * 8) / bulk / 1e6))
        }
        // Where each rank runs.
        for r in 0..<size {
            if r == rank { let bytes = Array(host.utf8.prefix(63)); hostBytes.replaceSubrange(0..<bytes.count, with: bytes) }
            try hostBytes.withUnsafeMutableBytes { try world.broadcast($0, root: r) }
            if rank == 0 { print("rank \(r): \(String(decoding: hostBytes.prefix { $0 != 0 }, as: UTF8.self))") }
            hostBytes = [UInt8](repeating: 0, count: 64)
        }
    }
}

#else

/// The error of the MPI paths in a binary built without MPI.
struct MPIUnavailable: Error, CustomStringConvertible {
    var option: String
    var description: String {
        "\(option) needs a latentot built with Open MPI, and this binary was built without it. Install libopenmpi-dev and "
            + "openmpi-bin (`make deps-mpi` on Debian), then rebuild: `make build`, or `LATENTOT_MPI=1 swift build -c release "
            + "--product latentot`. See docs/distributed.md."
    }
}

extension TransportMPICheckCommand {
    func run() throws { throw MPIUnavailable(option: "transport mpi-check") }
}

extension TransportSolveCommand {
    func runDistributed() throws { throw MPIUnavailable(option: "transport solve --distributed") }
}

extension TrainCommand {
    func runDistributed() throws { throw MPIUnavailable(option: "train --distributed") }
}

#endif

/// `latentot transport mpi-check`: run under `mpirun -np K` to check that the ranks can talk
/// (MAXLOC, the top-two merge and the left-to-right fold give the known results) and to measure
/// the allreduce latency and bandwidth that the scaling model of docs/distributed.md needs.
struct TransportMPICheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpi-check",
        abstract: "Check the MPI collectives of the distributed solver and time its allreduce (run under mpirun).")

    @Option(help: "Pairs (8 bytes each) in the bandwidth measurement.")
    var points: Int = 1 << 20

    @Option(help: "Repetitions of the latency measurement.")
    var repetitions: Int = 1000

    func validate() throws {
        guard (1...(1 << 26)).contains(points) else { throw ValidationError("--points must be in 1...2^26, got \(points)") }
        guard (1...1_000_000).contains(repetitions) else { throw ValidationError("--repetitions must be in 1...1000000, got \(repetitions)") }
    }
}

/// A NUL-terminated message in memory allocated once and never freed, so a signal handler can write
/// it with no allocation and no lock (`write(2)` is async-signal-safe).
final class SignalMessage: @unchecked Sendable {
    static let capacity = 512
    /// Zero-filled until `set`.
    let bytes: UnsafeMutablePointer<CChar>

    init() {
        bytes = .allocate(capacity: Self.capacity + 1)
        bytes.initialize(repeating: 0, count: Self.capacity + 1)
    }

    /// Copies `text` in (truncated to `capacity` bytes). Call before installing the handler.
    func set(_ text: String) {
        let utf8 = Array(text.utf8.prefix(Self.capacity))
        for (i, byte) in utf8.enumerated() { bytes[i] = CChar(bitPattern: byte) }
        bytes[utf8.count] = 0
    }
}
