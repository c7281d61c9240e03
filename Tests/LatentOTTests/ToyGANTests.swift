import Testing
import Foundation
import TensorModule
import Datasets
import LatentOT

@Suite struct ToyGANTests {
    func small(seed: UInt64 = 1, steps: Int = 300) -> ToyGAN.Configuration {
        ToyGAN.Configuration(noiseDimension: 2, hiddenWidth: 32, hiddenLayers: 2, steps: steps, batchSize: 64,
                             learningRate: 1e-3, seed: seed)
    }

    /// One Gaussian blob at (1.5, −1), std 0.1: the generator's samples start near the origin (small
    /// initial weights) and training brings their mean to the blob.
    @Test func generatorMovesToASingleMode() {
        var rng = SeededGenerator(seed: 3)
        let points = (0..<512).flatMap { _ in [Float(1.5 + 0.1 * rng.nextGaussian()), Float(-1 + 0.1 * rng.nextGaussian())] }
        let gan = ToyGAN(configuration: small())
        func meanDistance() -> Double {
            var sampleRng = SeededGenerator(seed: 4)
            let samples = gan.sample(count: 500, using: &sampleRng)
            let mx = stride(from: 0, to: samples.count, by: 2).reduce(0.0) { $0 + Double(samples[$1]) } / 500
            let my = stride(from: 1, to: samples.count, by: 2).reduce(0.0) { $0 + Double(samples[$1]) } / 500
            return ((mx - 1.5) * (mx - 1.5) + (my + 1) * (my + 1)).squareRoot()
        }
        let before = meanDistance()
        let records = gan.train(points: points)
        let after = meanDistance()
        #expect(records.count == 300 && gan.step == 300)
        #expect(after < 0.25 * before && after < 0.3, "distance of the sample mean to the mode: \(before) → \(after)")
        #expect(records.allSatisfy { $0.discriminatorLoss.isFinite && $0.generatorLoss.isFinite })
        // The discriminator ends near chance on real points (σ(D(x)) ≈ 1/2) rather than separating
        // them from the generator's: the generator is matching the data.
        let realProbability = gan.discriminate(Array(points.prefix(200))).reduce(0, +) / 100
        #expect(realProbability > 0.2 && realProbability < 0.8, "mean σ(D(real)) \(realProbability)")
    }

    /// Same seed, same records and samples; another seed, other samples.
    @Test func deterministic() {
        func run(_ seed: UInt64) -> ([ToyGAN.StepRecord], [Float]) {
            let gan = ToyGAN(configuration: small(seed: seed, steps: 40))
            let records = gan.train(on: .eightGaussians)
            var rng = SeededGenerator(seed: 9)
            return (records, gan.sample(count: 64, using: &rng))
        }
        let (recordsA, samplesA) = run(5), (recordsB, samplesB) = run(5)
        #expect(recordsA == recordsB && samplesA == samplesB)
        #expect(run(6).1 != samplesA)
        #expect(samplesA.count == 128 && samplesA.allSatisfy { $0.isFinite })
    }

    @Test func sizesAndEmptySample() {
        let gan = ToyGAN(configuration: ToyGAN.Configuration(noiseDimension: 3, hiddenWidth: 8, hiddenLayers: 3))
        // Generator 3→8→8→8→2, discriminator 2→8→8→8→1.
        #expect(gan.parameterCounts.generator == (3 * 8 + 8) + 2 * (8 * 8 + 8) + (8 * 2 + 2))
        #expect(gan.parameterCounts.discriminator == (2 * 8 + 8) + 2 * (8 * 8 + 8) + (8 + 1))
        var rng = SeededGenerator(seed: 1)
        #expect(gan.sample(count: 0, using: &rng).isEmpty)
    }
}
