import Foundation
import Testing
import TensorModule
import Datasets

/// End to end under `mpirun`: the built `latentot` solves a small problem (M = 1200, d = 4: three
/// kernel tiles) on 1, 2 and 3 ranks and on one process without MPI; heights and sampled codes
/// must be equal to the bit. `train --distributed` must write the single-process model. Skipped, with a message, when `mpirun` or the binary is absent.
/// Every run is wrapped in `timeout`, so a hang fails the test instead of blocking it.
///
/// The binary: `LATENTOT_BINARY`, else `latentot` next to the test bundle (`swift build
/// --build-tests` builds both into the same folder).
@Suite(.serialized, .enabled(if: MPIRun.skipReason == nil, Comment(rawValue: MPIRun.skipReason ?? "")))
struct MPIRunTests {
    static let solveArguments = ["--max-iterations", "40", "--points-per-step", "4096", "--evaluation-points", "16384",
                                 "--seed", "3", "--ot-learning-rate", "0.02", "--time-budget", "100"]

    @Test func heightsAndSamplesMatchAcrossRankCounts() throws {
        let folder = try MPIRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let codes = try MPIRun.writeCodes(in: folder, count: 1200, dimension: 4)

        let single = folder.appendingPathComponent("single").path
        let reference = try MPIRun.run([MPIRun.binary, "transport", "solve", "--codes", codes, "--out", single,
                                        "--method", "adam", "--initial-heights", "voronoi", "--normalization", "maximum"] + Self.solveArguments)
        try #require(reference.status == 0, "single process: \(reference.output)")
        let expectedHeights = try NumpyArray.read(URL(fileURLWithPath: single + "/heights.npy")).doubleValues
        let expectedSamples = try MPIRun.sample(single, in: folder)

        for ranks in 1...3 {
            let out = folder.appendingPathComponent("ranks\(ranks)").path
            let result = try MPIRun.mpirun(ranks: ranks, [MPIRun.binary, "transport", "solve", "--distributed", "--codes", codes,
                                                          "--out", out] + Self.solveArguments)
            try #require(result.status == 0, "K = \(ranks): \(result.output)")
            let heights = try NumpyArray.read(URL(fileURLWithPath: out + "/heights.npy")).doubleValues
            #expect(heights.map(\.bitPattern) == expectedHeights.map(\.bitPattern),
                    "K = \(ranks): heights differ from the single process (largest difference \(zip(heights, expectedHeights).map { abs($0 - $1) }.max() ?? 0))")
            #expect(try MPIRun.sample(out, in: folder) == expectedSamples, "K = \(ranks): sampled codes differ")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as? [String: Any]
            let section = report?["distributed"] as? [String: Any]
            #expect(section?["ranks"] as? Int == ranks)
            #expect((section?["bytesPerStep"] as? Double ?? 0) >= 4096 * 8, "K = \(ranks): \(section ?? [:])")
            for name in ["codes.npy", "normalization.json", "convergence.png"] {
                #expect(FileManager.default.fileExists(atPath: out + "/" + name), "K = \(ranks): \(name) missing")
            }
        }
    }

    /// `train --distributed` on 2 ranks (rank 0 trains the autoencoder and encodes, both solve the
    /// OT stage) writes the model of a single-process `train --method adam --initial-heights
    /// voronoi`: the same model files, codes, normalisation and heights, byte for byte. Only the
    /// reports and the checkpoint differ, by their timings (as between two single-process runs).
    @Test func distributedTrainWritesTheSingleProcessModel() throws {
        let folder = try MPIRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let images = try MPIRun.writeImages(in: folder, count: 700, side: 16) // 630 training images: M = 630, two tiles
        let arguments = [MPIRun.binary, "train", "--data", images, "--channels", "1", "--architecture", "mlp",
                         "--latent-dimension", "4", "--epochs", "1", "--batch-size", "64", "--baselines", "none", "--no-evaluate",
                         "--seed", "5", "--max-iterations", "20", "--points-per-step", "4096", "--evaluation-points", "16384",
                         "--ot-learning-rate", "0.02", "--tolerance", "0"]
        let single = folder.appendingPathComponent("single").path, distributed = folder.appendingPathComponent("distributed").path
        let reference = try MPIRun.run(arguments + ["--method", "adam", "--initial-heights", "voronoi", "--out", single])
        try #require(reference.status == 0, "single process: \(reference.output)")
        let result = try MPIRun.mpirun(ranks: 2, arguments + ["--distributed", "--out", distributed])
        try #require(result.status == 0, "K = 2: \(result.output)")

        for name in ["model.json", "autoencoder/autoencoder.json", "autoencoder/autoencoder.safetensors",
                     "transport/codes.npy", "transport/normalization.json", "transport/heights.npy"] {
            let expected = try Data(contentsOf: URL(fileURLWithPath: single + "/" + name))
            #expect(try Data(contentsOf: URL(fileURLWithPath: distributed + "/" + name)) == expected, "\(name) differs")
        }
        let expectedHeights = try NumpyArray.read(URL(fileURLWithPath: single + "/transport/heights.npy")).doubleValues
        let heights = try NumpyArray.read(URL(fileURLWithPath: distributed + "/transport/heights.npy")).doubleValues
        #expect(heights.count == 630)
        #expect(heights.map(\.bitPattern) == expectedHeights.map(\.bitPattern),
                "largest difference \(zip(heights, expectedHeights).map { abs($0 - $1) }.max() ?? 0)")
        let report = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: distributed + "/transport/report.json"))) as? [String: Any]
        let section = report?["distributed"] as? [String: Any]
        #expect(section?["ranks"] as? Int == 2)
        #expect(section?["targetsPerRank"] as? [Int] == [512, 118], "\(section ?? [:])")
    }

    /// A failure on rank 0 while the others wait for it (here: no such dataset) stops every rank
    /// with rank 0's message and status 1.
    @Test func trainFailureOnRankZeroStopsEveryRank() throws {
        let folder = try MPIRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try MPIRun.mpirun(ranks: 2, [MPIRun.binary, "train", "--data", "/nonexistent/images.npy", "--distributed",
                                                  "--out", folder.appendingPathComponent("out").path], timeout: 60)
        #expect(result.status == 1, "\(result.output)")
        for rank in 0..<2 {
            #expect(result.output.contains("rank \(rank) of 2: rank 0 failed: /nonexistent/images.npy"), "\(result.output)")
        }
    }

    /// `transport mpi-check`: MAXLOC, the top-two user operation and the fold under real MPI.
    @Test(arguments: [2, 3])
    func collectivesCheckPasses(ranks: Int) throws {
        let result = try MPIRun.mpirun(ranks: ranks, [MPIRun.binary, "transport", "mpi-check", "--points", "4096",
                                                      "--repetitions", "10"], timeout: 60)
        #expect(result.status == 0 && result.output.contains("\(ranks) ranks; collectives correct"), "\(result.output)")
    }

    /// A rank that exits mid-solve: the job ends within seconds with a non-zero status, the failing
    /// rank's message and a message from every other rank.
    @Test(arguments: [3, 0])
    func aDyingRankEndsTheJob(failStep: Int) throws {
        let folder = try MPIRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let codes = try MPIRun.writeCodes(in: folder, count: 1200, dimension: 4)
        let began = Date()
        let result = try MPIRun.mpirun(ranks: 3, [MPIRun.binary, "transport", "solve", "--distributed", "--codes", codes,
                                                  "--out", folder.appendingPathComponent("out").path,
                                                  "--max-iterations", "100000", "--points-per-step", "65536",
                                                  "--tolerance", "0", "--time-budget", "600"],
                                       environment: ["LATENTOT_MPI_FAIL_RANK": "1", "LATENTOT_MPI_FAIL_STEP": "\(failStep)"],
                                       timeout: 60)
        let seconds = Date().timeIntervalSince(began)
        #expect(result.status != 0 && result.status != 124, "status \(result.status) (124 = timed out): \(result.output)")
        #expect(seconds < 30, "the job took \(seconds) s to end")
        #expect(result.output.contains("failing on purpose"), "\(result.output)")
        #expect(result.output.contains("exited with non-zero status") || result.output.contains("aborted"),
                "no message from mpirun: \(result.output)")
        if failStep > 0 {
            // Each other rank prints from its SIGTERM handler; on a heavily loaded machine mpirun's
            // SIGKILL (or the end of its output forwarding) can come first, so this one may not hold.
            withKnownIssue("a rank may be killed before its SIGTERM message is forwarded", isIntermittent: true) {
                for rank in [0, 2] {
                    #expect(result.output.contains("rank \(rank) of 3: stopped by mpirun"), "rank \(rank) said nothing: \(result.output)")
                }
            }
        }
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("out/heights.npy").path))
    }

    /// Bad input seen by the ranks: every rank stops with the same message, status 1.
    @Test func missingCodesStopEveryRank() throws {
        let result = try MPIRun.mpirun(ranks: 2, [MPIRun.binary, "transport", "solve", "--distributed",
                                                  "--codes", "/nonexistent/codes.npy", "--out", "/tmp/unused"], timeout: 60)
        #expect(result.status == 1, "\(result.output)")
        for rank in 0..<2 {
            #expect(result.output.contains("rank \(rank) of 2: rank 0 failed: --codes /nonexistent/codes.npy"), "\(result.output)")
        }
    }

    /// More ranks than kernel tiles: a clear message, not a crash.
    @Test func tooManyRanksIsExplained() throws {
        let folder = try MPIRun.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let codes = try MPIRun.writeCodes(in: folder, count: 300, dimension: 4)
        let result = try MPIRun.mpirun(ranks: 2, [MPIRun.binary, "transport", "solve", "--distributed", "--codes", codes,
                                                  "--out", folder.appendingPathComponent("out").path], timeout: 60)
        #expect(result.status == 1)
        #expect(result.output.contains("2 ranks for 300 targets"), "\(result.output)")
    }
}

enum MPIRun {
    static let environment = ProcessInfo.processInfo.environment

    static let mpirunPath: String? = {
        if let path = environment["MPIRUN"], FileManager.default.isExecutableFile(atPath: path) { return path }
        for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(folder)/mpirun"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    static let binary: String = {
        if let path = environment["LATENTOT_BINARY"] { return path }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        // macOS-style bundles keep the executable deeper (…/X.xctest/Contents/MacOS/X).
        while folder.path != "/" && !FileManager.default.fileExists(atPath: folder.appendingPathComponent("latentot").path) {
            if folder.lastPathComponent == "release" || folder.lastPathComponent == "debug" { break }
            folder = folder.deletingLastPathComponent()
        }
        return folder.appendingPathComponent("latentot").path
    }()

    static let timeoutPath: String? = ["/usr/bin/timeout", "/bin/timeout"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static var skipReason: String? {
        if mpirunPath == nil { return "mpirun not found (install openmpi-bin): the distributed end-to-end tests are skipped" }
        if !FileManager.default.isExecutableFile(atPath: binary) {
            return "no latentot binary at \(binary) (build it, or set LATENTOT_BINARY): the distributed end-to-end tests are skipped"
        }
        if timeoutPath == nil { return "no timeout command: the distributed end-to-end tests are skipped" }
        return nil
    }

    struct Result { var status: Int32; var output: String }

    /// Runs a command under `timeout`, stdout and stderr merged into a file (no pipe to fill up).
    static func run(_ arguments: [String], environment extra: [String: String] = [:], timeout: Int = 120) throws -> Result {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("latentot-mpi-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: timeoutPath!)
        process.arguments = ["--kill-after=10", "\(timeout)"] + arguments
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return Result(status: process.terminationStatus, output: String(decoding: try Data(contentsOf: log), as: UTF8.self))
    }

    /// `mpirun -np K` (as root: --allow-run-as-root; more ranks than cores: --oversubscribe).
    static func mpirun(ranks: Int, _ arguments: [String], environment: [String: String] = [:], timeout: Int = 120) throws -> Result {
        var command = [mpirunPath!, "-np", "\(ranks)", "--oversubscribe"]
        if getuid() == 0 { command.append("--allow-run-as-root") }
        return try run(command + arguments, environment: environment, timeout: timeout)
    }

    static func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("latentot-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Gaussian codes around 5 (float32 .npy).
    static func writeCodes(in folder: URL, count: Int, dimension: Int) throws -> String {
        var generator = SeededGenerator(seed: 21)
        let values = (0..<(count * dimension)).map { _ in Float(5 + generator.nextGaussian()) }
        let url = folder.appendingPathComponent("codes.npy")
        try NumpyArray(shape: [count, dimension], floats: values).encode().write(to: url)
        return url.path
    }

    /// `count` grey images of `side`² pixels (uint8 .npy): five stripe patterns plus seeded noise,
    /// so no two images (and no two codes) are equal.
    static func writeImages(in folder: URL, count: Int, side: Int) throws -> String {
        var generator = SeededGenerator(seed: 17)
        var pixels: [UInt8] = []
        pixels.reserveCapacity(count * side * side)
        for i in 0..<count {
            let pattern = i % 5
            for y in 0..<side {
                for x in 0..<side {
                    let base = (x + y * pattern) % (pattern + 2) == 0 ? 200 : 0
                    let noise = Int(generator.next() % 81) - 40
                    pixels.append(UInt8(max(0, min(255, base + noise))))
                }
            }
        }
        let url = folder.appendingPathComponent("images.npy")
        try NumpyArray(shape: [count, side, side], storage: .uint8(pixels)).encode().write(to: url)
        return url.path
    }

    /// 64 codes sampled through a solution (`transport sample`), as bit patterns.
    static func sample(_ solution: String, in folder: URL) throws -> [UInt32] {
        let out = folder.appendingPathComponent("samples-\(UUID().uuidString).npy").path
        let result = try run([binary, "transport", "sample", "--solution", solution, "--count", "64", "--seed", "8", "--out", out])
        try #require(result.status == 0, "transport sample: \(result.output)")
        return try NumpyArray.read(URL(fileURLWithPath: out)).floatValues().map(\.bitPattern)
    }
}
