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
