import Testing
import Foundation
import TensorModule
import Metrics

@Suite struct MixtureCoverageTests {
    let modes: [[Double]] = (0..<8).map { (k: Int) -> [Double] in
        let angle = Double(k) * Double.pi / 4
        return [2 * cos(angle), 2 * sin(angle)]
    }

    func mixtureSamples(_ n: Int, std: Double, onlyModes: Int = 8, seed: UInt64 = 1) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var out: [Float] = []
        for i in 0..<n {
            let mode = modes[i % onlyModes]
            out.append(Float(mode[0] + std * rng.nextGaussian()))
            out.append(Float(mode[1] + std * rng.nextGaussian()))
        }
        return out
    }

    /// Exact samples of a 2-D Gaussian lie within 3 std with probability 1 − e^{-4.5} = 98.9 %.
    @Test func exactSamplesCoverAllModes() {
        let coverage = MixtureCoverage(samples: mixtureSamples(8000, std: 0.02), dimension: 2, modes: modes, standardDeviation: 0.02)
        #expect(coverage.modesCaptured == 8)
        #expect(abs(coverage.highQualityFraction - (1 - exp(-4.5))) < 0.006)
        #expect(coverage.jensenShannon < 0.002)
    }

    @Test func missingModesAndWideSamplesAreSeen() {
        let collapsed = MixtureCoverage(samples: mixtureSamples(2500, std: 0.02, onlyModes: 3), dimension: 2, modes: modes, standardDeviation: 0.02)
        #expect(collapsed.modesCaptured == 3)
        #expect(collapsed.jensenShannon > 0.1)
        let blurred = MixtureCoverage(samples: mixtureSamples(2500, std: 0.2), dimension: 2, modes: modes, standardDeviation: 0.02)
        #expect(blurred.highQualityFraction < 0.2)
    }

    @Test func jensenShannonKnownValues() {
        #expect(MixtureCoverage.jensenShannonDivergence([1, 0], [0, 1]) == log(2.0))
        #expect(MixtureCoverage.jensenShannonDivergence([0.5, 0.5], [0.5, 0.5]) == 0)
        // p = (1, 0), q = (½, ½): m = (¾, ¼); JS = ½·ln(4/3) + ½·(½ ln(2/3) + ½ ln 2)
        let expected = 0.5 * log(4.0 / 3) + 0.25 * log(2.0 / 3) + 0.25 * log(2.0)
        #expect(abs(MixtureCoverage.jensenShannonDivergence([1, 0], [0.5, 0.5]) - expected) < 1e-12)
    }
}

@Suite struct DistanceTests {
    func gaussian(_ n: Int, dimension d: Int, mean: Float, std: Float, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(n * d)).map { _ in mean + std * Float(rng.nextGaussian()) }
    }

    @Test func energyDistanceSeparatesShiftedSamples() {
        let a = gaussian(400, dimension: 2, mean: 0, std: 1, seed: 1)
        let b = gaussian(400, dimension: 2, mean: 0, std: 1, seed: 2)
        let c = gaussian(400, dimension: 2, mean: 1, std: 1, seed: 3)
        let same = EnergyDistance.compute(a, b, dimension: 2), shifted = EnergyDistance.compute(a, c, dimension: 2)
        #expect(abs(same) < 0.03)
        #expect(shifted > 0.3)
    }

    /// In 1-D the Fréchet distance is (μ₁ − μ₂)² + (σ₁ − σ₂)².
    @Test func frechetDistanceMatchesTheOneDimensionalFormula() {
        let a = gaussian(20000, dimension: 1, mean: 0, std: 1, seed: 4)
        let b = gaussian(20000, dimension: 1, mean: 2, std: 3, seed: 5)
        #expect(abs(FrechetDistance.compute(a, b, dimension: 1) - 8) < 0.3)
        let c = gaussian(20000, dimension: 4, mean: 0, std: 1, seed: 6)
        let e = gaussian(20000, dimension: 4, mean: 0, std: 1, seed: 7)
        #expect(FrechetDistance.compute(c, e, dimension: 4) < 0.01)
    }

    @Test func nearestNeighboursMatchBruteForce() {
        let q = gaussian(150, dimension: 5, mean: 0, std: 1, seed: 8)
        let r = gaussian(3000, dimension: 5, mean: 0, std: 1, seed: 9)
        let fast = NearestNeighbours.distances(queries: q, references: r, dimension: 5, k: 3)
        for i in stride(from: 0, to: 150, by: 7) {
            var all: [Float] = []
            for j in 0..<3000 {
                var s: Float = 0
                for k in 0..<5 { let e = q[i * 5 + k] - r[j * 5 + k]; s += e * e }
                all.append(s.squareRoot())
            }
            all.sort()
            for k in 0..<3 { #expect(abs(fast[i][k] - all[k]) < 1e-3) }
        }
    }

    @Test func precisionRecallAndMemorisationSeeCopiesAndMisses() {
        let real = gaussian(500, dimension: 3, mean: 0, std: 1, seed: 10)
        let fresh = gaussian(500, dimension: 3, mean: 0, std: 1, seed: 11)
        let far = gaussian(500, dimension: 3, mean: 10, std: 1, seed: 12)
        let good = PrecisionRecall(real: real, generated: fresh, dimension: 3)
        #expect(good.precision > 0.8 && good.recall > 0.8)
        let bad = PrecisionRecall(real: real, generated: far, dimension: 3)
        #expect(bad.precision < 0.05 && bad.recall < 0.05)
        let test = gaussian(500, dimension: 3, mean: 0, std: 1, seed: 13)
        #expect(Memorisation(generated: real, training: real, test: test, dimension: 3).fraction == 1)
        #expect(Memorisation(generated: fresh, training: real, test: test, dimension: 3).fraction < 0.05)
    }
}

@Suite struct SymmetricMatrixTests {
    @Test func eigenDecompositionReconstructsTheMatrix() {
        var rng = SeededGenerator(seed: 3)
        let n = 6
        let b = (0..<(n * n)).map { _ in rng.nextUnitDouble() - 0.5 }
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { a[i * n + j] += b[i * n + k] * b[j * n + k] } } }
        let (values, vectors) = SymmetricMatrix.eigen(a, size: n)
        #expect(values == values.sorted())
        for i in 0..<n {
            for j in 0..<n {
                var s = 0.0
                for k in 0..<n { s += vectors[i * n + k] * values[k] * vectors[j * n + k] }
                #expect(abs(s - a[i * n + j]) < 1e-10)
            }
        }
        let l = SymmetricMatrix.cholesky(a, size: n)!
        for i in 0..<n { for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += l[i * n + k] * l[j * n + k] }
            #expect(abs(s - a[i * n + j]) < 1e-10)
        } }
        #expect(SymmetricMatrix.cholesky([1, 2, 2, 1], size: 2) == nil)
    }
}
