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

    /// The baselines through the same command: the sample metrics at the top level, the training's
    /// time and settings in `training`, no solver figures, a picture, and the same samples for the
    /// same seed (the training time is the only field allowed to differ).
    @Test(arguments: ["gan", "neural-potential"])
    func baselineGeneratorsReportTheirTraining(generator: String) throws {
        let folder = try ToolRunner.temporaryFolder()
        var reports: [[String: Any]] = []
        var pictures: [Data] = []
        for run in 0..<2 {
            let out = folder.appendingPathComponent("toy\(run)")
            let result = try ToolRunner.run(["toy", "eight-gaussians", "--generator", generator, "--steps", "150", "--seed", "2",
                                             "--target-count", "256", "--sample-count", "500", "--out", out.path])
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.contains("\(generator): trained 150 steps"), "\(result.output)")
            let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
            reports.append(try JSONSerialization.jsonObject(with: data) as! [String: Any])
            pictures.append(try Data(contentsOf: out.appendingPathComponent("samples.png")))
        }
        let report = reports[0]
        #expect(report["generator"] as? String == generator)
        #expect(report["modeCount"] as? Int == 8)
        for key in ["modesCaptured", "highQualityFraction", "jensenShannon", "energyDistance"] {
            #expect(report[key] != nil, "report has \(key)")
            #expect("\(report[key]!)" == "\(reports[1][key]!)", "\(key) is reproducible")
        }
        for key in ["maxRelativeError", "hasConverged", "solveSeconds"] { #expect(report[key] == nil, "no solver figure \(key)") }
        let training = try #require(report["training"] as? [String: Any])
        #expect(training["steps"] as? Int == 150)
        #expect((training["seconds"] as? Double ?? -1) >= 0)
        let settingsKey = generator == "gan" ? "gan" : "neuralPotential"
        #expect((training[settingsKey] as? [String: Any])?["steps"] as? Int == 150, "settings recorded: \(training)")
        let samplers = try #require(report["samplers"] as? [String: Any])
        #expect(Set(samplers.keys) == [generator, "real"])
        #expect(pictures[0] == pictures[1], "same seed, same picture")
    }

    @Test(arguments: [
        (["toy", "nine-gaussians", "--out", "x"], "nine-gaussians"),
        (["toy", "ring", "--out", "x", "--generator", "vae"], "--generator"),
        (["toy", "ring", "--out", "x", "--generator", "gan", "--sampler", "extended"], "--generator ot only"),
        (["toy", "ring", "--out", "x", "--generator", "neural-potential", "--time-budget", "5"], "--generator ot only"),
        (["toy", "ring", "--out", "x", "--steps", "10"], "--steps applies"),
        (["toy", "ring", "--out", "x", "--sampler", "blend"], "--sampler"),
        (["toy", "ring", "--out", "x", "--sampler", "extended", "--acceptance", "1.5"], "--acceptance"),
        (["toy", "ring", "--out", "x", "--acceptance", "0.5"], "extended only"),
        (["sample", "--model", "nowhere", "--out", "x.gif"], ".png"),
        (["sample", "--model", "m", "--out", "x.png", "--sampler", "extended", "--blend", "0.5", "--facet-blend"], "not both"),
        (["sample", "--model", "m", "--out", "x.png", "--rejected", "pure"], "extended only"),
        (["sample", "--model", "m", "--out", "x.png", "--blend-rule", "facet"], "extended only"),
        (["sample", "--model", "m", "--out", "x.png", "--sampler", "pure", "--extended"], "contradicts"),
        (["sample", "--model", "m", "--out", "x.png", "--sampler", "extended", "--blend-rule", "midpoint"], "--blend-rule"),
        (["sample", "--model", "m", "--out", "x.png", "--sampler", "extended", "--blend-rule", "uniform", "--blend", "0.5"], "not both"),
        (["sample", "--model", "m", "--out", "x.png", "--sampler", "extended", "--blend-rule", "uniform", "--facet-blend"], "--blend-rule facet"),
        (["sample", "--model", "m", "--out", "x.png", "--sampler", "extended", "--rejected", "keep"], "--rejected"),
        (["transport", "solve", "--codes", "c.npy", "--out", "o", "--max-points", "0"], "--max-points"),
        (["transport", "solve", "--codes", "c.npy", "--out", "o", "--method", "bisection"], "--method"),
        (["train", "--data", "mnist", "--out", "o", "--sharpen", "-1"], "--sharpen"),
        (["train", "--data", "mnist", "--out", "o", "--sharpen-radius", "0"], "--sharpen"),
        (["train", "--data", "mnist", "--out", "o", "--vae-epochs", "-1"], "--vae-epochs"),
        (["train", "--data", "mnist", "--out", "o", "--perceptual-images", "0"], "--perceptual-images"),
        (["train", "--data", "mnist", "--out", "o", "--perceptual-weight", "nan"], "--perceptual-weight"),
    ])
    func badFlagsAreExplained(arguments: [String], expected: String) throws {
        let result = try ToolRunner.run(arguments, in: try ToolRunner.temporaryFolder())
        #expect(result.status != 0)
        #expect(result.error.contains(expected), "\(result.error)")
    }
}
