import ArgumentParser
import Foundation
import TensorModule
import Datasets
import Transport
import LatentOT
#if canImport(DistributedTransport)
import DistributedTransport
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

#if canImport(DistributedTransport)

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
        var header: NumpyRows? = nil
        var localError: Error? = nil
        do { header = try NumpyRows(path: codes) } catch { localError = error }
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
                                          solver: solver, seed: seedOption.seed, world: world) { progress in
            let error = progress.latestEvaluation.map { String(format: "rms %.3f max %.3f", $0.rmsRelativeError, $0.maxRelativeError) } ?? ""
            bar?.update(progress.isFinal ? total : progress.record.step, status: error)
        }

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
        let (fields, report) = try run.report(settings: solverOptionsForReport, totalSeconds: totalSeconds)
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
        if DistributedTermination.message == nil { DistributedTermination.install(rank: rank, size: size) }
        do {
            try body(world)
        } catch let error as MPIError {
            // The job is broken (a peer is gone): say so, then end every rank rather than wait.
            FileHandle.standardError.write("rank \(rank) of \(size): \(error)\n".data(using: .utf8)!)
            MPIEnvironment.abort(code: 1)
        } catch {
            // One write per message, so that mpirun's merged output keeps each rank's line whole.
            FileHandle.standardError.write("Error: \(RankError(rank: rank, size: size, underlying: error))\n".data(using: .utf8)!)
            MPIEnvironment.finish()
            throw ExitCode.failure
        }
        MPIEnvironment.finish()
    }
}

/// One distributed solve as every rank runs it on its slice of the codes: the problem (normalised
/// collectively), the solve, the heights gathered on rank 0 and each rank's CPU time. Shared by
/// `transport solve --distributed` and `train --distributed`.
struct DistributedSolveRun {
    var problem: DistributedProblem
    var solution: DistributedSolution
    /// All `M` heights on rank 0, nil on the others.
    var heights: [Double]?
    /// Payload bytes of the setup (normalisation, duplicate check) on this rank.
    var setupBytes: Int
    /// Mean CPU seconds per step of every rank (the same array on every rank).
    var cpuByRank: [Double]

    /// - Parameters:
    ///   - slice: this rank's raw codes (`partition.localRange`, row-major); emptied once the
    ///     normalised targets exist, so the slice is not held twice during the solve.
    ///   - progress: called on every rank after every step (after the failure hook of the tests).
    init(slice: inout [Float], dimension: Int, partition: TargetPartition, weights: [Double]?, source: SourceDistribution,
         scaling: DistributedProblem.Scaling, solver: DistributedSolver, seed: UInt64, world: MPICommunicator,
         progress: @escaping (DistributedProgress) -> Void) throws {
        let rank = world.rank, size = world.size
        let setupStartBytes = world.bytesCommunicated
        problem = try DistributedProblem(codes: slice, dimension: dimension, partition: partition, weights: weights,
                                         source: source, scaling: scaling, communicator: world)
        slice = []
        setupBytes = world.bytesCommunicated - setupStartBytes

        let failure = DistributedTermination.failureHook()
        solution = try solver.solve(problem, seed: seed, communicator: world) { step in
            if let failure, failure.rank == rank, step.record.step == failure.step {
                FileHandle.standardError.write("rank \(rank) of \(size): failing on purpose after step \(failure.step) (LATENTOT_MPI_FAIL_RANK/STEP)\n".data(using: .utf8)!)
                Foundation.exit(1)
            }
            progress(step)
        }
        heights = try gatherHeights(solution.localHeights, partition: partition, communicator: world)
        var cpu = [Double](repeating: 0, count: size) // one rank per entry: an exact gather
        cpu[rank] = solution.cpuSecondsPerStep
        try cpu.withUnsafeMutableBufferPointer { try world.allreduce($0, .sum) }
        cpuByRank = cpu
    }

    /// `report.json`'s fields (the `TransportReport` keys plus the `distributed` section), and the
    /// `TransportReport` they make.
    func report(settings: SemiDiscreteSolver, totalSeconds: Double) throws -> (fields: DistributedReportFile, report: TransportReport) {
        let ranks = cpuByRank.count
        let history = try DistributedRecord.solverRecords(solution.history)
        let evaluation = solution.evaluation
        let fields = DistributedReportFile(
            targetCount: problem.targetCount, dimension: problem.dimension, source: problem.source, method: settings.method.rawValue,
            hasConverged: solution.hasConverged, stopReason: "\(solution.stopReason)", iterations: solution.iterations,
            solveSeconds: solution.seconds, maxRelativeError: evaluation.maxRelativeError,
            rmsRelativeError: evaluation.rmsRelativeError, meanRelativeError: evaluation.meanRelativeError,
            emptyCells: evaluation.emptyCells, noiseFloor: evaluation.noiseFloor, evaluationPointCount: evaluation.sampleCount,
            tolerance: settings.tolerance, normalization: problem.normalization, history: history,
            distributed: DistributedReportFile.Section(
                ranks: ranks, bytesPerStep: solution.bytesPerStep, assignmentBytesPerPoint: MemoryLayout<ScoreIndex>.stride,
                solveBytes: solution.bytesCommunicated, setupBytes: setupBytes,
                secondsPerStep: solution.iterations > 0 ? solution.seconds / Double(solution.iterations) : 0,
                cpuSecondsPerStepByRank: cpuByRank,
                totalSeconds: totalSeconds, targetsPerRank: (0..<ranks).map { problem.partition.range(of: $0).count },
                partitionTile: problem.partition.granularity, mpiLibrary: MPIEnvironment.libraryVersion))
        // TransportReport's initialiser is internal to LatentOT: decode it from the same keys.
        let report = try JSONDecoder().decode(TransportReport.self, from: JSONCoding.encode(fields))
        return (fields, report)
    }
}

/// `report.json` of a distributed solve: `TransportReport`'s keys plus a `distributed` section.
struct DistributedReportFile: Codable {
    var targetCount: Int
    var dimension: Int
    var source: SourceDistribution
    var method: String
    var hasConverged: Bool
    var stopReason: String
    var iterations: Int
    var solveSeconds: Double
    var maxRelativeError: Double
    var rmsRelativeError: Double
    var meanRelativeError: Double
    var emptyCells: Int
    var noiseFloor: Double
    var evaluationPointCount: Int
    var tolerance: Tolerance
    var normalization: CodeNormalization
    var history: [SolverRecord]
    var distributed: Section

    struct Section: Codable {
        /// `K`, the MPI world size.
        var ranks: Int
        /// Mean payload bytes per rank per step handed to MPI (assignment allreduce, folds, broadcasts).
        var bytesPerStep: Double
        /// Bytes per source point of the assignment allreduce (MPI_FLOAT_INT under MPI_MAXLOC).
        var assignmentBytesPerPoint: Int
        /// Payload bytes per rank during the solve, and during setup (normalisation, duplicate check).
        var solveBytes: Int
        var setupBytes: Int
        /// Wall-clock seconds per step on rank 0 (solve seconds / steps, the final evaluation included).
        var secondsPerStep: Double
        /// Mean CPU seconds per step of each rank (all its threads): the compute, whatever else runs.
        var cpuSecondsPerStepByRank: [Double]
        var totalSeconds: Double
        var targetsPerRank: [Int]
        var partitionTile: Int
        var mpiLibrary: String
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
    nonisolated(unsafe) static var message: UnsafeMutablePointer<CChar>? = nil
    nonisolated(unsafe) static var messageLength = 0

    static func install(rank: Int, size: Int) {
        let text = "rank \(rank) of \(size): stopped by mpirun (another rank failed or the job was interrupted); see the first error above\n"
        let bytes = Array(text.utf8CString)
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count)
        buffer.initialize(from: bytes, count: bytes.count)
        message = buffer
        messageLength = bytes.count - 1
        signal(SIGTERM) { _ in
            // Only async-signal-safe calls here.
            if let message = DistributedTermination.message { _ = write(2, message, DistributedTermination.messageLength) }
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
        defer { MPIEnvironment.finish() }
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

/// The rows of a 2-D `.npy` of float32 or float64 (C order, uncompressed) read by range, without
/// reading the rest of the file.
struct NumpyRows {
    let path: String
    let rows: Int
    let columns: Int
    let elementSize: Int
    let dataOffset: UInt64

    init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LatentOTError.invalidValue(field: "--codes \(path)", expected: "a readable .npy file at this path on every machine of the job",
                                             found: FileManager.default.fileExists(atPath: path) ? "a file this rank cannot read" : "no such file")
        }
        defer { try? handle.close() }
        let prefix = [UInt8](try handle.read(upToCount: 12) ?? Data())
        func bad(_ expected: String, _ found: String) -> Error {
            LatentOTError.invalidValue(field: "\(path)", expected: expected, found: found)
        }
        if prefix.starts(with: [0x1F, 0x8B]) {
            throw bad("an uncompressed .npy (--distributed reads rows in place)", "a gzip-compressed file: decompress it first")
        }
        guard prefix.count >= 10, prefix.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) else {
            throw bad("a .npy file (magic \\x93NUMPY)", "\(prefix.prefix(6).map { String(format: "%02x", $0) }.joined(separator: " "))")
        }
        let major = prefix[6]
        let headerLength: Int, headerStart: Int
        switch major {
        case 1: headerLength = Int(prefix[8]) | Int(prefix[9]) << 8; headerStart = 10
        case 2, 3:
            guard prefix.count >= 12 else { throw bad("a complete .npy header", "\(prefix.count) bytes") }
            headerLength = Int(prefix[8]) | Int(prefix[9]) << 8 | Int(prefix[10]) << 16 | Int(prefix[11]) << 24; headerStart = 12
        default: throw bad(".npy version 1, 2 or 3", "version \(major)")
        }
        try handle.seek(toOffset: UInt64(headerStart))
        let headerData = try handle.read(upToCount: headerLength) ?? Data()
        guard headerData.count == headerLength else { throw bad("a header of \(headerLength) bytes", "\(headerData.count) bytes") }
        let header = String(decoding: headerData, as: UTF8.self)
        func value(after key: String) -> Substring? {
            guard let range = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\"") else { return nil }
            var rest = header[range.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { return nil }
            rest = rest.dropFirst().drop { $0 == " " }
            return rest
        }
        guard let descrPart = value(after: "descr"), let quote = descrPart.first, quote == "'" || quote == "\"",
              let end = descrPart.dropFirst().firstIndex(of: quote) else { throw bad("a 'descr' entry in the header", header) }
        let descr = String(descrPart.dropFirst()[..<end])
        switch descr {
        case "<f4", "=f4", "|f4": elementSize = 4
        case "<f8", "=f8", "|f8": elementSize = 8
        default: throw bad("float32 (<f4) or float64 (<f8) codes", "'\(descr)'")
        }
        guard let fortran = value(after: "fortran_order") else { throw bad("a 'fortran_order' entry", header) }
        guard fortran.hasPrefix("False") else { throw bad("C order (fortran_order False)", "Fortran order") }
        guard let shapePart = value(after: "shape"), shapePart.first == "(", let close = shapePart.firstIndex(of: ")") else {
            throw bad("a 'shape' entry", header)
        }
        let dims = shapePart.dropFirst()[..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.map { Int($0.hasSuffix("L") ? String($0.dropLast()) : $0) }
        guard dims.count == 2, let r = dims[0], let c = dims[1], r > 0, c > 0 else {
            throw bad("a 2-D array with at least one row and one column (n × d)", "shape (\(dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", ")))")
        }
        rows = r
        columns = c
        dataOffset = UInt64(headerStart + headerLength)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64 ?? 0
        let expected = dataOffset + UInt64(r * c * elementSize)
        guard size == expected else { throw bad("\(expected) bytes for shape (\(r), \(c))", "\(size) bytes") }
    }

    /// Rows `range` as Float (row-major).
    func read(rows range: Range<Int>) throws -> [Float] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw LatentOTError.missingFile(path) }
        defer { try? handle.close() }
        try handle.seek(toOffset: dataOffset + UInt64(range.lowerBound * columns * elementSize))
        let count = range.count * columns
        let data = try handle.read(upToCount: count * elementSize) ?? Data()
        guard data.count == count * elementSize else {
            throw LatentOTError.invalidValue(field: path, expected: "\(count * elementSize) bytes of rows \(range)", found: "\(data.count) bytes")
        }
        return data.withUnsafeBytes { raw in
            if elementSize == 4 {
                return (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
            return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
        }
    }
}
