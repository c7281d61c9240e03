import Testing
import Foundation

@Suite(.serialized) struct ToyCommandTests {
    /// A small eight-Gaussian run: the report carries the contract's keys, the picture exists, and the
    /// same seed gives the same report bytes (apart from timings, which are excluded by comparing samples).
    @Test func toyWritesItsReportAndPicture() throws {
        let folder = try ToolRunner.temporaryFolder()
        var reports: [[String: Any]] = []
        for run in 0..<2 {
            let out = folder.appendingPathComponent("toy\(run)")
            let result = try ToolRunner.run(["toy", "eight-gaussians", "--seed", "2", "--target-count", "256", "--out", out.path])
            #expect(result.status == 0, "\(result.error)")
            let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
            reports.append(try JSONSerialization.jsonObject(with: data) as! [String: Any])
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("samples.png").path))
        }
        for key in ["modesCaptured", "modeCount", "highQualityFraction", "jensenShannon", "maxRelativeError", "hasConverged", "solveSeconds"] {
            #expect(reports[0][key] != nil, "report has \(key)")
        }
        #expect(reports[0]["modeCount"] as? Int == 8)
        for key in ["modesCaptured", "highQualityFraction", "jensenShannon", "maxRelativeError", "energyDistance"] {
            #expect("\(reports[0][key]!)" == "\(reports[1][key]!)", "\(key) is reproducible")
        }
    }

    @Test(arguments: [
        (["toy", "nine-gaussians", "--out", "x"], "nine-gaussians"),
        (["toy", "ring", "--out", "x", "--sampler", "blend"], "--sampler"),
        (["toy", "ring", "--out", "x", "--sampler", "extended", "--acceptance", "1.5"], "--acceptance"),
        (["toy", "ring", "--out", "x", "--acceptance", "0.5"], "extended only"),
        (["sample", "--model", "nowhere", "--out", "x.gif"], ".png"),
    ])
    func badFlagsAreExplained(arguments: [String], expected: String) throws {
        let result = try ToolRunner.run(arguments, in: try ToolRunner.temporaryFolder())
        #expect(result.status != 0)
        #expect(result.error.contains(expected), "\(result.error)")
    }
}
