import Testing
import Foundation

/// The `transport` commands, run as a user runs them: bad files are refused with a message naming
/// the file and field, nothing is left in `--out`, and the same seed gives the same bytes.
@Suite(.serialized) struct TransportCommandTests {
    /// 60 codes in 3 clusters, d = 3.
    func codes() -> [Float] {
        var values: [Float] = []
        for i in 0..<60 {
            let centre = Float(i % 3) * 2 - 2
            values += [centre + Float(i % 7) * 0.05, Float(i % 5) * 0.05 - 0.1, Float(i % 11) * 0.03]
        }
        return values
    }

    static let badFiles: [(name: String, expected: String)] = [
        ("empty", "shape"), ("one-dimensional", "2-d"), ("nan", "nan"), ("integers", "dtype"), ("truncated", "truncated"),
        ("fortran", "fortran"), ("duplicates", "after normalisation"),
    ]

    @Test(arguments: badFiles)
    func badCodesAreRefusedWithTheFileNamed(name: String, expected: String) throws {
        let folder = try ToolRunner.temporaryFolder()
        let file = folder.appendingPathComponent("\(name).npy")
        let values = codes()
        switch name {
        case "empty": try ToolRunner.writeNumpy(file, descr: "<f4", shape: [0, 3], payload: Data())
        case "one-dimensional": try ToolRunner.writeNumpy(file, descr: "<f4", shape: [180], payload: ToolRunner.float32Payload(values))
        case "nan":
            var bad = values
            bad[7] = .nan
            try ToolRunner.writeNumpy(file, descr: "<f4", shape: [60, 3], payload: ToolRunner.float32Payload(bad))
        case "integers": try ToolRunner.writeNumpy(file, descr: "<i4", shape: [60, 3], payload: Data(count: 720))
        case "duplicates":
            var bad = values
            for k in 0..<3 { bad[9 + k] = bad[k] }
            try ToolRunner.writeNumpy(file, descr: "<f4", shape: [60, 3], payload: ToolRunner.float32Payload(bad))
        case "truncated": try ToolRunner.writeNumpy(file, descr: "<f4", shape: [60, 3], payload: ToolRunner.float32Payload(Array(values.prefix(100))))
        default: try ToolRunner.writeNumpy(file, descr: "<f4", shape: [60, 3], fortran: true, payload: ToolRunner.float32Payload(values))
        }
        let out = folder.appendingPathComponent("solution")
        let result = try ToolRunner.run(["transport", "solve", "--codes", file.path, "--out", out.path])
        #expect(result.status != 0)
        #expect(result.error.contains("\(name).npy"), "message names the file: \(result.error)")
        #expect(result.error.lowercased().contains(expected), "message says what is wrong: \(result.error)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "nothing written to --out")
    }

    /// An --out that names an existing file is refused before the solve starts (it failed only after
    /// the whole solve), and the file is left as it was.
    @Test func outOntoAFileIsRefusedBeforeSolving() throws {
        let folder = try ToolRunner.temporaryFolder()
        let file = folder.appendingPathComponent("codes.npy"), out = folder.appendingPathComponent("taken")
        try ToolRunner.writeNumpy(file, descr: "<f4", shape: [60, 3], payload: ToolRunner.float32Payload(codes()))
        try Data("mine".utf8).write(to: out)
        let result = try ToolRunner.run(["transport", "solve", "--codes", file.path, "--out", out.path])
        #expect(result.status != 0 && result.error.contains(out.path) && result.error.contains("a folder"), "\(result.error)")
        #expect(!result.error.contains("solve M="), "no solve ran: \(result.error)")
        #expect(try Data(contentsOf: out) == Data("mine".utf8))
    }

    static func weights(_ name: String) -> [Double] {
        switch name {
        case "negative":
            var w = [Double](repeating: 1.0 / 58, count: 60)
            w[3] = -1.0 / 58
            w[4] = 1.0 / 58
            return w
        case "sum": return [Double](repeating: 1.0 / 59, count: 60)
        default: return [Double](repeating: 1.0 / 50, count: 50)
        }
    }

    @Test(arguments: ["negative", "sum", "length"])
    func badWeightsAreRefused(name: String) throws {
        let weights = Self.weights(name)
        let folder = try ToolRunner.temporaryFolder()
        let codesFile = folder.appendingPathComponent("codes.npy"), weightsFile = folder.appendingPathComponent("w-\(name).npy")
        try ToolRunner.writeNumpy(codesFile, descr: "<f4", shape: [60, 3], payload: ToolRunner.float32Payload(codes()))
        try ToolRunner.writeNumpy(weightsFile, descr: "<f8", shape: [weights.count], payload: ToolRunner.float64Payload(weights))
        let out = folder.appendingPathComponent("solution")
        let result = try ToolRunner.run(["transport", "solve", "--codes", codesFile.path, "--weights", weightsFile.path, "--out", out.path])
        #expect(result.status != 0)
        let message: String = result.error
        #expect(message.contains("w-" + name + ".npy"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    /// A re-solve into a folder holding an earlier solution that dies half-way (here: report.json
    /// cannot be replaced) leaves a folder that is refused, not the new codes beside the old heights;
    /// a uniform re-solve removes an earlier solve's weights.
    @Test func failedResolveIsRefusedNotMixed() throws {
        let folder = try ToolRunner.temporaryFolder()
        let codesFile = folder.appendingPathComponent("codes.npy"), weightsFile = folder.appendingPathComponent("w.npy")
        try ToolRunner.writeNumpy(codesFile, descr: "<f4", shape: [60, 3], payload: ToolRunner.float32Payload(codes()))
        var weights = [Double](repeating: 0.5 / 30, count: 60) // sums to 1
        for i in 0..<30 { weights[i] = 1.5 / 30 }; for i in 0..<60 { weights[i] /= 2 }
        try ToolRunner.writeNumpy(weightsFile, descr: "<f8", shape: [60], payload: ToolRunner.float64Payload(weights))
        let out = folder.appendingPathComponent("solution")
        let first = try ToolRunner.run(["transport", "solve", "--codes", codesFile.path, "--weights", weightsFile.path,
                                        "--out", out.path, "--time-budget", "10"])
        #expect(first.status == 0, "\(first.error)")
        let uniform = try ToolRunner.run(["transport", "solve", "--codes", codesFile.path, "--out", out.path, "--time-budget", "10"])
        #expect(uniform.status == 0, "\(uniform.error)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("weights.npy").path))

        let report = out.appendingPathComponent("report.json")
        try FileManager.default.removeItem(at: report)
        try FileManager.default.createDirectory(at: report, withIntermediateDirectories: false)
        var shifted = codes()
        for i in shifted.indices { shifted[i] += 5 }
        try ToolRunner.writeNumpy(codesFile, descr: "<f4", shape: [60, 3], payload: ToolRunner.float32Payload(shifted))
        let failed = try ToolRunner.run(["transport", "solve", "--codes", codesFile.path, "--out", out.path, "--time-budget", "10"])
        #expect(failed.status != 0)
        let sample = try ToolRunner.run(["transport", "sample", "--solution", out.path, "--count", "10",
                                         "--out", folder.appendingPathComponent("s.npy").path])
        #expect(sample.status != 0 && sample.error.contains("heights.npy"), "\(sample.error)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.npy").path))
    }

    /// Solve then sample twice with one seed: identical bytes; float64 codes are accepted.
    @Test func sameSeedSameBytesAndSamplesInTheCodesCoordinates() throws {
        let folder = try ToolRunner.temporaryFolder()
        let codesFile = folder.appendingPathComponent("codes.npy")
        try ToolRunner.writeNumpy(codesFile, descr: "<f8", shape: [60, 3], payload: ToolRunner.float64Payload(codes().map(Double.init)))
        var heights: [Data] = []
        for run in 0..<2 {
            let out = folder.appendingPathComponent("solution\(run)")
            let solve = try ToolRunner.run(["transport", "solve", "--codes", codesFile.path, "--out", out.path, "--seed", "3", "--time-budget", "20"])
            #expect(solve.status == 0, "\(solve.error)")
            // A solve's step limit is a cap, not a forecast: elapsed time, no ETA.
            #expect(solve.error.contains("done in") && !solve.error.contains("ETA"), "\(solve.error)")
            heights.append(try Data(contentsOf: out.appendingPathComponent("heights.npy")))
            for name in ["normalization.json", "report.json", "codes.npy", "convergence.png"] {
                #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(name).path), "\(name)")
            }
        }
        #expect(heights[0] == heights[1])
        var samples: [Data] = []
        for run in 0..<2 {
            let file = folder.appendingPathComponent("samples\(run).npy")
            let result = try ToolRunner.run(["transport", "sample", "--solution", folder.appendingPathComponent("solution0").path,
                                             "--count", "200", "--extended", "--acceptance", "0.75", "--seed", "5", "--out", file.path])
            #expect(result.status == 0, "\(result.error)")
            samples.append(try Data(contentsOf: file))
        }
        #expect(samples[0] == samples[1])
        #expect(samples[0].count == 128 + 200 * 3 * 4, "200 × 3 float32 after a 128-byte header")

        // The report names the method asked for and the one that ran; a report written before
        // `methodUsed` existed still loads.
        let reportFile = folder.appendingPathComponent("solution0").appendingPathComponent("report.json")
        var report = try #require(JSONSerialization.jsonObject(with: Data(contentsOf: reportFile)) as? [String: Any])
        #expect(report["method"] as? String == "automatic" && report["methodUsed"] as? String == "newton")
        report["methodUsed"] = nil
        try JSONSerialization.data(withJSONObject: report).write(to: reportFile)
        let old = try ToolRunner.run(["transport", "sample", "--solution", folder.appendingPathComponent("solution0").path,
                                      "--count", "10", "--out", folder.appendingPathComponent("old.npy").path])
        #expect(old.status == 0, "\(old.error)")
    }
}
