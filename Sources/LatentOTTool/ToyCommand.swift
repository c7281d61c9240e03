import ArgumentParser
import Foundation
import Datasets
import ImageFormats
import Transport
import LatentOT

extension ToyDistribution: ExpressibleByArgument {}
extension ToyGenerator: ExpressibleByArgument {}

/// `latentot toy NAME`: the 2-D experiments (eight Gaussians, ...).
struct ToyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toy",
        abstract: "Solve and sample a 2-D toy (eight-gaussians, twenty-five-gaussians, ring, two-moons, swiss-roll).",
        discussion: """
            Writes DIR/report.json (modes captured, high-quality fraction, JSD, solver error and time) and DIR/samples.png. \
            With --generator gan or neural-potential, a baseline is trained on the same targets instead and scored by the same \
            protocol; report.json then carries its training time and settings in place of the solver's figures.
            """)

    @Argument(help: "The toy: \(ToyDistribution.allCases.map(\.rawValue).joined(separator: ", ")).")
    var name: ToyDistribution

    @Option(help: "Generator: ot (the semi-discrete map, the method), gan (MLP generator and discriminator) or neural-potential (a network regressed onto mini-batch OT potentials).")
    var generator: ToyGenerator = .ot

    @OptionGroup var seedOption: SeedOption
    @OptionGroup var samplerOptions: SamplerOptions

    @Option(help: "Output folder.")
    var out: String

    @Option(help: "Number of targets M (samples of the toy).")
    var targetCount: Int = 1024

    @Option(help: "Generated samples scored (2500 in the VEEGAN/PacGAN protocol).")
    var sampleCount: Int = 2500

    @Option(help: "Solver stop rule: maximum relative cell error on fresh points.")
    var tolerance: Double = 0.25

    @Option(help: "Solver time budget in seconds (results then depend on the machine's speed).")
    var timeBudget: Double?

    @Option(help: "Training steps of --generator gan (default 3000) or neural-potential (default 2000).")
    var steps: Int?

    func validate() throws {
        guard targetCount >= 2 && targetCount <= 1_000_000 else { throw ValidationError("--target-count must be in 2...1000000, got \(targetCount)") }
        guard sampleCount >= 2 else { throw ValidationError("--sample-count must be ≥ 2, got \(sampleCount)") }
        guard tolerance > 0 && tolerance.isFinite else { throw ValidationError("--tolerance must be > 0, got \(tolerance)") }
        if let timeBudget, !(timeBudget > 0 && timeBudget.isFinite) { throw ValidationError("--time-budget must be > 0, got \(timeBudget)") }
        if let steps, !(1...10_000_000).contains(steps) { throw ValidationError("--steps must be in 1...10000000, got \(steps)") }
        if generator == .ot {
            if steps != nil { throw ValidationError("--steps applies to --generator gan or neural-potential only") }
        } else {
            if samplerOptions.isExtended { throw ValidationError("--sampler applies to --generator ot only") }
            if timeBudget != nil { throw ValidationError("--time-budget applies to --generator ot only (the baselines stop by --steps)") }
        }
    }

    func run() throws {
        var experiment = ToyExperiment(distribution: name)
        experiment.generator = generator
        experiment.baselineSteps = steps
        experiment.targetCount = targetCount
        experiment.sampleCount = sampleCount
        experiment.sampler = samplerOptions.choice
        experiment.solver.tolerance = .maxRelativeError(tolerance)
        experiment.solver.timeBudget = timeBudget
        let store = try FolderStore(out, create: true)
        let result: ToyExperiment.Result
        if generator == .ot {
            let bar = ProgressReporter("solve \(name.rawValue)", total: experiment.solver.maxIterations, unit: "step",
                                       budget: experiment.solver.timeBudget, totalIsLimit: true)
            result = try experiment.run(seed: seedOption.seed) { progress in
                let error = progress.latestEvaluation.map { String(format: "max rel. error %.3f", $0.maxRelativeError) } ?? ""
                bar.update(progress.isFinal ? experiment.solver.maxIterations : progress.record.step, status: error)
            }
        } else {
            let bar = ProgressReporter("train \(generator.rawValue) on \(name.rawValue)", total: experiment.baselineStepCount, unit: "step")
            result = try experiment.run(seed: seedOption.seed, trainingProgress: { step, _ in bar.update(step) })
        }
        try store.writeJSON(result.report, named: "report.json")
        try store.write(PNG.encode(result.picture), named: "samples.png")
        let r = result.report
        if let captured = r.modesCaptured, let count = r.modeCount, let quality = r.highQualityFraction, let jsd = r.jensenShannon {
            print(String(format: "%@ (%@): %d/%d modes, high quality %.1f %%, JSD %.4f, energy distance %.4f",
                         r.toy, r.sampler, captured, count, 100 * quality, jsd, r.energyDistance))
        } else {
            print(String(format: "%@ (%@): energy distance %.4f", r.toy, r.sampler, r.energyDistance))
        }
        if let hasConverged = r.hasConverged, let iterations = r.iterations, let seconds = r.solveSeconds, let error = r.maxRelativeError {
            print(String(format: "solver: %@ after %d steps, %.2f s, max relative cell error %.3f",
                         hasConverged ? "converged" : "stopped (\(r.stopReason ?? ""))", iterations, seconds, error))
        }
        if let training = r.training {
            print(String(format: "%@: trained %d steps in %.2f s (%d parameters)", training.generator, training.steps, training.seconds,
                         training.parameterCount))
        }
        print("wrote \(store.describe("report.json")) and \(store.describe("samples.png"))")
    }
}
