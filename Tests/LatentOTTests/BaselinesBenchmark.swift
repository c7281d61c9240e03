import Testing
import Foundation
import TensorModule
import Datasets
import Metrics
import LatentOT

/// Opt-in measurements of the toy baselines (not part of the normal run):
///   LATENTOT_GAN_BENCHMARK=1 swift test -c release --skip-build --filter BaselinesBenchmark
/// Optional: LATENTOT_STEPS, LATENTOT_LR, LATENTOT_NOISE, LATENTOT_SEEDS (e.g. "0,1,2"), LATENTOT_TOY.
@Suite struct BaselinesBenchmark {
    static let environment = ProcessInfo.processInfo.environment

    @Test(.enabled(if: environment["LATENTOT_GAN_BENCHMARK"] != nil))
    func ganOnToys() {
        let env = BaselinesBenchmark.environment
        let toy = ToyDistribution(rawValue: env["LATENTOT_TOY"] ?? "eight-gaussians") ?? .eightGaussians
        let seeds = (env["LATENTOT_SEEDS"] ?? "0").split(separator: ",").compactMap { UInt64($0) }
        for seed in seeds {
            var configuration = ToyGAN.Configuration(seed: seed)
            if let steps = env["LATENTOT_STEPS"].flatMap({ Int($0) }) { configuration.steps = steps }
            if let lr = env["LATENTOT_LR"].flatMap({ Double($0) }) { configuration.learningRate = lr }
            if let noise = env["LATENTOT_NOISE"].flatMap({ Int($0) }) { configuration.noiseDimension = noise }
            let gan = ToyGAN(configuration: configuration)
            let clock = ContinuousClock(), start = clock.now
            gan.train(on: toy)
            let seconds = (clock.now - start) / .seconds(1)
            var rng = SeededGenerator(seed: 99)
            let samples = gan.sample(count: 2500, using: &rng)
            let last = gan.records.last!
            if let modes = toy.modes {
                let coverage = MixtureCoverage(samples: samples, dimension: 2, modes: modes, standardDeviation: toy.standardDeviation!)
                print(String(format: "BENCH GAN seed %d steps %d: %.1f s, modes %d/%d, high quality %.3f, JSD %.3f, D %.3f G %.3f histogram %@",
                             Int(seed), configuration.steps, seconds, coverage.modesCaptured, coverage.modeCount, coverage.highQualityFraction,
                             coverage.jensenShannon, last.discriminatorLoss, last.generatorLoss, "\(coverage.modeHistogram)"))
            }
            var realRng = SeededGenerator(seed: 98)
            print(String(format: "BENCH GAN seed %d energy distance %.4f", Int(seed),
                         EnergyDistance.compute(samples, toy.sample(count: 2500, using: &realRng), dimension: 2)))
        }
    }
}

/// Opt-in: the neural potential on the toys, a translation and d = 32 codes.
///   LATENTOT_POTENTIAL_BENCHMARK=1 swift test -c release --skip-build --filter PotentialBenchmark
/// Optional: LATENTOT_STEPS, LATENTOT_LR, LATENTOT_ACTIVATION, LATENTOT_WIDTH, LATENTOT_TOY, LATENTOT_INNER.
@Suite struct PotentialBenchmark {
    func configuration(dimension: Int, seed: UInt64 = 0) -> NeuralPotentialGenerator.Configuration {
        let env = BaselinesBenchmark.environment
        var c = NeuralPotentialGenerator.Configuration(dimension: dimension, seed: seed)
        if let steps = env["LATENTOT_STEPS"].flatMap({ Int($0) }) { c.steps = steps }
        if let lr = env["LATENTOT_LR"].flatMap({ Double($0) }) { c.learningRate = lr }
        if let inner = env["LATENTOT_INNER"].flatMap({ Int($0) }) { c.regressionSteps = inner }
        if let width = env["LATENTOT_WIDTH"].flatMap({ Int($0) }) { c.hiddenWidth = width }
        if let batch = env["LATENTOT_BATCH"].flatMap({ Int($0) }) { c.batchSize = batch }
        if let a = env["LATENTOT_ACTIVATION"].flatMap({ HiddenActivation(rawValue: $0) }) { c.activation = a }
        return c
    }

    @Test(.enabled(if: BaselinesBenchmark.environment["LATENTOT_POTENTIAL_BENCHMARK"] != nil))
    func potentialOnToys() throws {
        let env = BaselinesBenchmark.environment
        let toy = ToyDistribution(rawValue: env["LATENTOT_TOY"] ?? "eight-gaussians") ?? .eightGaussians
        var rng = SeededGenerator(seed: 1)
        let codes = toy.sample(count: 1024, using: &rng)
        let generator = NeuralPotentialGenerator(configuration: configuration(dimension: 2))
        let clock = ContinuousClock(), start = clock.now
        try generator.train(codes: codes)
        let seconds = (clock.now - start) / .seconds(1)
        let samples = generator.sample(count: 2500, using: &rng)
        let tail = generator.records.suffix(100)
        print(String(format: "BENCH potential %@: %.1f s, regression error (last 100) %.5f, spread %.4f", toy.rawValue, seconds,
                     tail.map(\.regressionError).reduce(0, +) / Double(tail.count), tail.map(\.potentialSpread).reduce(0, +) / Double(tail.count)))
        if let modes = toy.modes {
            let coverage = MixtureCoverage(samples: samples, dimension: 2, modes: modes, standardDeviation: toy.standardDeviation!)
            for radius in [0.1, 0.25, 0.5] {
                let near = MixtureCoverage(samples: samples, dimension: 2, modes: modes, standardDeviation: radius / 3)
                print("BENCH potential within \(radius) of a mode: \(near.highQualityFraction), histogram \(near.modeHistogram)")
            }
            print("BENCH potential modes \(coverage.modesCaptured)/\(coverage.modeCount) high quality \(coverage.highQualityFraction) JSD \(coverage.jensenShannon) histogram \(coverage.modeHistogram)")
        }
        var realRng = SeededGenerator(seed: 98)
        print(String(format: "BENCH potential energy distance %.4f", EnergyDistance.compute(samples, toy.sample(count: 2500, using: &realRng), dimension: 2)))
    }

    @Test(.enabled(if: BaselinesBenchmark.environment["LATENTOT_POTENTIAL_BENCHMARK"] != nil))
    func potentialTranslation() throws {
        for d in [2, 32] {
            var rng = SeededGenerator(seed: 2)
            let offset = (0..<d).map { Float($0 % 2 == 0 ? 0.5 : -0.3) }
            let codes = (0..<(2048 * d)).map { i in (rng.nextUnitFloat() * 2 - 1) + offset[i % d] }
            var c = configuration(dimension: d)
            c.normalizesCodes = false
            let generator = NeuralPotentialGenerator(configuration: c)
            let clock = ContinuousClock(), start = clock.now
            try generator.train(codes: codes)
            let seconds = (clock.now - start) / .seconds(1)
            let x = (0..<(1000 * d)).map { _ in rng.nextUnitFloat() * 2 - 1 }
            let y = generator.transport(x)
            var meanDisplacement = [Double](repeating: 0, count: d), rmsError = 0.0
            for i in 0..<1000 {
                for j in 0..<d {
                    let displacement = Double(y[i * d + j] - x[i * d + j])
                    meanDisplacement[j] += displacement / 1000
                    rmsError += (displacement - Double(offset[j])) * (displacement - Double(offset[j]))
                }
            }
            rmsError = (rmsError / Double(1000 * d)).squareRoot()
            let biasError = zip(meanDisplacement, offset).map { abs($0 - Double($1)) }.max()!
            // Least-squares slope of the displacement on x (1 for a pure translation: 0).
            var slope = 0.0, xx = 0.0
            for i in 0..<(1000 * d) { let j = i % d; slope += Double(x[i]) * Double(y[i] - x[i] - offset[j]); xx += Double(x[i] * x[i]) }
            let tail = generator.records.suffix(100)
            print(String(format: "BENCH translation d %d: %.1f s, max |mean displacement − offset| %.4f, rms per-coordinate error %.4f, slope of error on x %.3f, regression error %.4f spread %.4f",
                         d, seconds, biasError, rmsError, slope / xx, tail.map(\.regressionError).reduce(0, +) / 100, tail.map(\.potentialSpread).reduce(0, +) / 100))
        }
    }
}
