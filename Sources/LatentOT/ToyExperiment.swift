import Foundation
import TensorModule
import Transport
import Datasets
import Metrics
import ImageFormats

/// The figures of one sampler on a toy (VEEGAN/PacGAN protocol for the mixtures).
public struct ToySamplerReport: Codable, Equatable, Sendable {
    public var sampler: String
    public var sampleCount: Int
    /// Nil for toys without modes (ring, moons, swiss roll).
    public var modesCaptured: Int?
    public var modeCount: Int?
    public var highQualityFraction: Double?
    public var jensenShannon: Double?
    /// Energy distance to fresh real samples (0 for identical distributions).
    public var energyDistance: Double
    /// Fraction of samples that are not one of the training targets.
    public var novelFraction: Double
    public var acceptanceRate: Double
    public var angleThreshold: Double?
}

/// `latentot toy` report: the chosen generator's figures at the top level, the solver's (OT) or the
/// training's (baselines), and every sampler plus fresh real samples for comparison.
public struct ToyReport: Codable, Equatable, Sendable {
    public var toy: String
    public var seed: UInt64
    public var targetCount: Int
    public var sampleCount: Int
    /// `ot`, `gan` or `neural-potential`.
    public var generator: String
    /// The OT sampler (`pure`, `extended`), or the baseline's name.
    public var sampler: String
    public var modesCaptured: Int?
    public var modeCount: Int?
    public var highQualityFraction: Double?
    public var jensenShannon: Double?
    public var energyDistance: Double
    public var novelFraction: Double
    public var acceptanceRate: Double
    /// The solver's figures: present for `ot`, absent for the baselines (they solve no semi-discrete problem).
    public var maxRelativeError: Double?
    public var rmsRelativeError: Double?
    public var hasConverged: Bool?
    public var stopReason: String?
    public var iterations: Int?
    public var solveSeconds: Double?
    /// The baseline's training (nil for `ot`).
    public var training: BaselineTraining?
    /// Protocol: mode radius, standard deviation and the high-quality radius used.
    public var protocolNote: String
    public var samplers: [String: ToySamplerReport]
}

/// The toy experiments of the AE-OT paper and beyond: targets are M samples of a 2-D distribution,
/// the source is the uniform square; the map is solved, sampled and scored. With `generator` a
/// baseline, the baseline is trained on the same targets instead and scored by the same protocol.
public struct ToyExperiment {
    public var distribution: ToyDistribution
    /// The method (`ot`, the default) or a baseline fitted to the same targets.
    public var generator: ToyGenerator = .ot
    public var targetCount: Int = 1024
    public var sampleCount: Int = 2500
    public var sampler: SamplerChoice = .pure
    public var solver: SemiDiscreteSolver

    /// The solver settings the toys use: stop at a maximum relative cell error of 0.25 measured on
    /// 2^20 fresh points (≈ 1000 per cell at M = 1024, where counting noise alone gives about 0.1), or
    /// after 2000 steps: no time budget, so the same seed gives the same result on any machine.
    public static func defaultSolver() -> SemiDiscreteSolver {
        var solver = SemiDiscreteSolver()
        solver.tolerance = .maxRelativeError(0.25)
        solver.evaluationPointCount = 1 << 20
        solver.maxIterations = 2000
        return solver
    }

    public init(distribution: ToyDistribution, solver: SemiDiscreteSolver = ToyExperiment.defaultSolver()) {
        self.distribution = distribution
        self.solver = solver
    }

    /// Training steps of a baseline generator (nil: its default, 3000 for the GAN, 2000 for the
    /// neural potential). Ignored by `ot`.
    public var baselineSteps: Int?

    public struct Result {
        public var report: ToyReport
        public var picture: RasterImage
        /// The semi-discrete solution (nil for the baselines).
        public var solution: SemiDiscreteSolution?
    }

    /// Index of the nearest mode of each 2-D point.
    static func nearestModes(_ points: [Float], modes: [[Double]]) -> [Int] {
        stride(from: 0, to: points.count, by: 2).map { i in
            let x = Double(points[i]), y = Double(points[i + 1])
            return modes.indices.min { a, b in
                let da = (modes[a][0] - x) * (modes[a][0] - x) + (modes[a][1] - y) * (modes[a][1] - y)
                let db = (modes[b][0] - x) * (modes[b][0] - x) + (modes[b][1] - y) * (modes[b][1] - y)
                return da < db
            }!
        }
    }

    /// The points of one run, each from its own stream of the seed so that every generator sees the
    /// same targets and is scored against the same real samples.
    struct Points {
        /// The M targets (stream 1): what the map is solved on and the baselines are trained on.
        var targets: [Float]
        /// Fresh real samples (stream 2): the reference of the energy distance and the picture.
        var fresh: [Float]
        /// More real samples (stream 4): the `real` row, the protocol's own scale.
        var moreReal: [Float]
        var targetSet: Set<SIMD2<Float>>
    }

    func points(seed: UInt64) -> Points {
        var targetGenerator = SeededGenerator.stream(seed: seed, label: 1)
        let targets = distribution.sampleStratified(count: targetCount, using: &targetGenerator)
        var realGenerator = SeededGenerator.stream(seed: seed, label: 2)
        let fresh = distribution.sample(count: sampleCount, using: &realGenerator)
        var validationGenerator = SeededGenerator.stream(seed: seed, label: 4)
        let moreReal = distribution.sample(count: sampleCount, using: &validationGenerator)
        let targetSet = Set(stride(from: 0, to: targets.count, by: 2).map { SIMD2(targets[$0], targets[$0 + 1]) })
        return Points(targets: targets, fresh: fresh, moreReal: moreReal, targetSet: targetSet)
    }

    /// The protocol's figures of generated points (flat, rows of 2).
    func score(_ name: String, codes: [Float], data: Points, acceptance: Double, threshold: Double?) -> ToySamplerReport {
        let coverage = distribution.modes.map {
            MixtureCoverage(samples: codes, dimension: 2, modes: $0, standardDeviation: distribution.standardDeviation ?? 0)
        }
        let novel = stride(from: 0, to: codes.count, by: 2).filter { !data.targetSet.contains(SIMD2(codes[$0], codes[$0 + 1])) }.count
        return ToySamplerReport(sampler: name, sampleCount: codes.count / 2, modesCaptured: coverage?.modesCaptured,
                                modeCount: coverage?.modeCount, highQualityFraction: coverage?.highQualityFraction,
                                jensenShannon: coverage?.jensenShannon,
                                energyDistance: EnergyDistance.compute(codes, data.fresh, dimension: 2),
                                novelFraction: Double(novel) / Double(max(1, codes.count / 2)),
                                acceptanceRate: acceptance, angleThreshold: threshold)
    }

    /// The report with `chosen`'s figures at the top level.
    func report(seed: UInt64, chosen: ToySamplerReport, samplers: [String: ToySamplerReport], solution: SemiDiscreteSolution?,
                training: BaselineTraining?) -> ToyReport {
        ToyReport(
            toy: distribution.rawValue, seed: seed, targetCount: targetCount, sampleCount: sampleCount, generator: generator.rawValue,
            sampler: chosen.sampler, modesCaptured: chosen.modesCaptured, modeCount: chosen.modeCount,
            highQualityFraction: chosen.highQualityFraction, jensenShannon: chosen.jensenShannon, energyDistance: chosen.energyDistance,
            novelFraction: chosen.novelFraction, acceptanceRate: chosen.acceptanceRate, maxRelativeError: solution?.maxRelativeError,
            rmsRelativeError: solution?.rmsRelativeError, hasConverged: solution?.hasConverged,
            stopReason: solution.map { "\($0.stopReason)" }, iterations: solution?.iterations, solveSeconds: solution?.seconds,
            training: training,
            protocolNote: distribution.modes == nil
                ? "no modes: energy distance to fresh real samples only"
                : "high quality = within 3 std (std \(distribution.standardDeviation ?? 0)) of the nearest mode; JSD in nats vs uniform over modes",
            samplers: samplers)
    }

    /// Fits `generator` to the targets, samples and scores it. `progress` reports the OT solve,
    /// `trainingProgress` a baseline's steps (done, total).
    public func run(seed: UInt64, progress: ((SolverProgress) -> Void)? = nil,
                    trainingProgress: ((Int, Int) -> Void)? = nil) throws -> Result {
        guard generator == .ot else { return try runBaseline(seed: seed, progress: trainingProgress) }
        let data = points(seed: seed)
        let raw = data.targets
        let normalization = try CodeNormalization(fitting: raw, dimension: 2)
        let problem = try SemiDiscreteProblem(targets: normalization.apply(raw), dimension: 2)
        let solution = solver.solve(problem, seed: seed, progress: progress)
        let map = TransportMap(problem: problem, heights: solution.heights)

        var samplerGenerator = SeededGenerator.stream(seed: seed, label: 3)
        let pure = map.pure(count: sampleCount, using: &samplerGenerator)
        let extendedChoice: SamplerChoice
        if case .extended = sampler { extendedChoice = sampler } else {
            extendedChoice = .defaultExtended
        }
        guard case .extended(let threshold, let neighbours, let blend, let rejected) = extendedChoice else { preconditionFailure() }
        let extended = map.extended(count: sampleCount, threshold: threshold, neighbours: neighbours, blend: blend,
                                    rejected: rejected, using: &samplerGenerator)

        // Pure samples are training targets: take them by index (exact), not through the inverse normalisation.
        let pureCodes = pure.bestTargets.flatMap { raw[(2 * Int($0))..<(2 * Int($0) + 2)] }
        let extendedCodes = normalization.invert(extended.codes)
        let reports = [
            "pure": score("pure", codes: pureCodes, data: data, acceptance: 1, threshold: nil),
            "extended": score("extended", codes: extendedCodes, data: data, acceptance: extended.acceptanceRate, threshold: extended.angleThreshold),
            "real": score("real", codes: data.moreReal, data: data, acceptance: 1, threshold: nil),
        ]
        let report = self.report(seed: seed, chosen: reports[sampler.name]!, samplers: reports, solution: solution, training: nil)
        let chosenCodes = sampler == .pure ? pureCodes : extendedCodes
        let picture = ToyPicture.render(toy: distribution.rawValue, real: data.fresh, generated: chosenCodes, samplerName: sampler.name,
                                        map: map, targetGroups: distribution.modes.map { ToyExperiment.nearestModes(raw, modes: $0) },
                                        seed: seed)
        return Result(report: report, picture: picture, solution: solution)
    }
}
