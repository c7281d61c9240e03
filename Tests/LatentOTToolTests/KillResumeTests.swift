import Testing
import Foundation

/// `kill -9` at many moments of `latentot train` (autoencoder epochs, checkpoints, the OT solve, the
/// baselines), each time re-running the same command: the finished folder holds the same weights,
/// codes and heights, byte for byte, as an uninterrupted run. Not timed: the kill moments are spread
/// over the measured length of the uninterrupted run, whatever the machine's speed.
@Suite(.serialized) struct KillResumeTests {
    static let fashionMNIST = "/usr/share/datasets/fashion-mnist"

    /// Deterministic stops only (step limits, no time budget), so two complete runs give equal bytes.
    static func trainArguments(out: String) -> [String] {
        ["train", "--data", "fashion-mnist", "--limit", "3000", "--architecture", "mlp", "--latent-dimension", "8",
         "--epochs", "3", "--batch-size", "64", "--max-iterations", "25", "--tolerance", "0.0001",
         "--baselines", "vae,neural-potential", "--vae-epochs", "2", "--neural-potential-steps", "100",
         "--seed", "2", "--no-evaluate", "--out", out]
    }

    /// The files that must not depend on interruptions (reports hold timings and are left out).
    static let comparedFiles = [
        "autoencoder/autoencoder.safetensors", "autoencoder/autoencoder.json", "transport/codes.npy",
        "transport/heights.npy", "transport/normalization.json", "vae/autoencoder.safetensors",
        "neural-potential/potential.safetensors", "model.json",
    ]

    /// Starts the tool and SIGKILLs it after `seconds` (or lets it finish first); true when it was killed.
    static func runAndKill(_ arguments: [String], after seconds: Double) throws -> Bool {
        let process = Process()
        process.executableURL = try #require(ToolRunner.binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        guard process.isRunning else { return false }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return true
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: fashionMNIST)))
    func killedTrainingResumesToTheSameBytes() throws {
        let folder = try ToolRunner.temporaryFolder()
        let reference = folder.appendingPathComponent("reference").path
        let start = Date()
        let complete = try ToolRunner.run(Self.trainArguments(out: reference))
        let length = Date().timeIntervalSince(start)
        #expect(complete.status == 0, "\(complete.error)")

        // Kill moments over the whole run: early (data, first epochs), middle (checkpoints, the
        // solve), late (baselines); each restart resumes the folder the last one left.
        let interrupted = folder.appendingPathComponent("interrupted").path
        var kills = 0
        for fraction in [0.15, 0.3, 0.5, 0.7, 0.9] {
            if try Self.runAndKill(Self.trainArguments(out: interrupted), after: fraction * length) { kills += 1 }
        }
        #expect(kills >= 3, "the run kept finishing before the kill (\(kills) kills)")
        let finish = try ToolRunner.run(Self.trainArguments(out: interrupted))
        #expect(finish.status == 0, "\(finish.error)")
        for name in Self.comparedFiles {
            let a = try Data(contentsOf: URL(fileURLWithPath: reference).appendingPathComponent(name))
            let b = try Data(contentsOf: URL(fileURLWithPath: interrupted).appendingPathComponent(name))
            #expect(a == b, "\(name) differs after \(kills) kills")
        }
        // No temporary file is left behind.
        let leftovers = FileManager.default.enumerator(atPath: interrupted)?.compactMap { $0 as? String }
            .filter { ($0 as NSString).lastPathComponent.contains(".tmp-") } ?? []
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")

        // `transport solve` killed mid-solve (or mid-write) and re-run: the same solution.
        let codes = URL(fileURLWithPath: reference).appendingPathComponent("transport/codes.npy").path
        func solve(_ out: String) -> [String] {
            ["transport", "solve", "--codes", codes, "--max-iterations", "40", "--tolerance", "0.0001", "--seed", "4", "--out", out]
        }
        let solved = folder.appendingPathComponent("solved").path, resolved = folder.appendingPathComponent("resolved").path
        let solveStart = Date()
        #expect(try ToolRunner.run(solve(solved)).status == 0)
        let solveLength = Date().timeIntervalSince(solveStart)
        for fraction in [0.4, 0.8] { _ = try Self.runAndKill(solve(resolved), after: fraction * solveLength) }
        #expect(try ToolRunner.run(solve(resolved)).status == 0)
        for name in ["heights.npy", "codes.npy", "normalization.json"] {
            let a = try Data(contentsOf: URL(fileURLWithPath: solved).appendingPathComponent(name))
            let b = try Data(contentsOf: URL(fileURLWithPath: resolved).appendingPathComponent(name))
            #expect(a == b, "transport solve: \(name) differs after kills")
        }
    }
}
