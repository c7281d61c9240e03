import Testing
import Foundation
import TensorModule
import Transport
import LatentOT

@Suite struct NeuralPotentialGeneratorTests {
    /// Codes that are a translated copy of source samples: y = x' + b with x' uniform in [−1, 1]^d.
    /// The OT map of the quadratic cost between the uniform box and its translate is x ↦ x + b.
    func translatedCodes(dimension d: Int, count: Int, offset: [Float], seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(count * d)).map { i in (rng.nextUnitFloat() * 2 - 1) + offset[i % d] }
    }

    /// Mean displacement T(x) − x over fresh source points, per coordinate.
    func meanDisplacement(_ generator: NeuralPotentialGenerator, count: Int, seed: UInt64) -> [Double] {
        let d = generator.dimension
        var rng = SeededGenerator(seed: seed)
        let x = (0..<(count * d)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        let y = generator.transport(x)
        var mean = [Double](repeating: 0, count: d)
        for i in 0..<(count * d) { mean[i % d] += Double(y[i] - x[i]) / Double(count) }
        return mean
    }

    /// A translation by b = (0.6, −0.4): the learned map moves points by b. Tolerance 0.1 per
    /// coordinate: the regression sees noisy mini-batch potentials (measured error ≈ 0.03 at these
    /// sizes); a wrong sign of the map (x + ∇D/K) would move them by −b, an error of 2|b| ≥ 0.8.
    @Test func learnsATranslationIn2D() throws {
        let offset: [Float] = [0.6, -0.4]
        let generator = NeuralPotentialGenerator(configuration: .init(dimension: 2, hiddenWidth: 64, hiddenLayers: 2, steps: 600,
                                                                      normalizesCodes: false, seed: 1))
        try generator.train(codes: translatedCodes(dimension: 2, count: 1024, offset: offset, seed: 2))
        let displacement = meanDisplacement(generator, count: 2000, seed: 3)
        for j in 0..<2 {
            #expect(abs(displacement[j] - Double(offset[j])) < 0.1, "mean displacement \(displacement), offset \(offset)")
        }
        // ∇D ≈ −K·b: the source potential decreases along the offset.
        let gradient = generator.potentialGradient([0, 0, 0.5, 0.5, -0.5, 0.2])
        for i in 0..<3 {
            #expect(gradient[2 * i] < 0 && gradient[2 * i + 1] > 0, "∇D \(gradient)")
        }
    }

    /// The same at d = 32 with K = 1/32 (the latent dimension of the image pipeline). Tolerance 0.15
    /// per coordinate of the mean displacement (offsets ±0.5, measured error ≈ 0.05 with 2000 steps).
    @Test func learnsATranslationIn32D() throws {
        let d = 32
        let offset = (0..<d).map { Float($0 % 2 == 0 ? 0.5 : -0.5) }
        let generator = NeuralPotentialGenerator(configuration: .init(dimension: d, hiddenWidth: 64, hiddenLayers: 2, steps: 1000,
                                                                      normalizesCodes: false, seed: 4))
        #expect(generator.configuration.effectiveCostScale == 1.0 / 32)
        try generator.train(codes: translatedCodes(dimension: d, count: 2048, offset: offset, seed: 5))
        let displacement = meanDisplacement(generator, count: 2000, seed: 6)
        let worst = zip(displacement, offset).map { abs($0 - Double($1)) }.max()!
        #expect(worst < 0.15, "largest error of the mean displacement \(worst)")
    }

    /// ∇D from the backward pass matches central differences of D (tanh network: smooth; h = 1e-2,
    /// truncation ≈ h²·|D'''| ≲ 1e-4; Float rounding of D ≈ 1e-7/h ≈ 1e-5 → tolerance 2e-3 of the largest).
    @Test func potentialGradientMatchesFiniteDifferences() throws {
        let generator = NeuralPotentialGenerator(configuration: .init(dimension: 3, hiddenWidth: 16, hiddenLayers: 2, steps: 20, seed: 7))
        var rng = SeededGenerator(seed: 8)
        try generator.train(codes: (0..<300).map { _ in Float(rng.nextGaussian()) })
        let points: [Float] = [0.1, -0.3, 0.7, -0.9, 0.2, 0.4]
        let gradient = generator.potentialGradient(points)
        let h: Float = 1e-2
        var worst = 0.0
        for i in points.indices {
            var plus = points, minus = points
            plus[i] += h; minus[i] -= h
            let row = i / 3
            let numeric = (Double(generator.potential(plus)[row]) - Double(generator.potential(minus)[row])) / Double(plus[i] - minus[i])
            worst = max(worst, abs(numeric - Double(gradient[i])))
        }
        let largest = gradient.map { abs(Double($0)) }.max()!
        #expect(worst <= 2e-3 * max(largest, 1e-3), "finite-difference error \(worst), largest gradient \(largest)")
        // T(x) = x − ∇D(x)/K with K = 1/3 (Float rounding of 1/K: tolerance 1e-6).
        let mapped = generator.normalisedMap(points)
        for i in points.indices { #expect(abs(mapped[i] - (points[i] - 3 * gradient[i])) < 1e-6) }
    }

    /// Codes far from the box (centre (10, −5), spread 4) are normalised for training; samples come
    /// back in the codes' coordinates.
    @Test func samplesReturnToTheCodesCoordinates() throws {
        var rng = SeededGenerator(seed: 9)
        let codes = (0..<800).flatMap { _ in [Float(10 + 4 * rng.nextGaussian()), Float(-5 + 4 * rng.nextGaussian())] }
        let generator = NeuralPotentialGenerator(configuration: .init(dimension: 2, hiddenWidth: 32, hiddenLayers: 2, steps: 300, seed: 10))
        try generator.train(codes: codes)
        let normalization = try #require(generator.normalization)
        #expect(abs(normalization.centre[0] - 10) < 0.5 && abs(normalization.centre[1] + 5) < 0.5)
        // Matched spread: RMS deviation ≈ 4 becomes the source's 1/√3, so scale ≈ 4·√3 ≈ 6.9.
        #expect(abs(normalization.scale - 4 * 3.0.squareRoot()) < 0.5, "scale \(normalization.scale)")
        let maximum = NeuralPotentialGenerator(configuration: .init(dimension: 2, steps: 0, codeScaling: .maximum))
        try maximum.train(codes: codes)
        let largest = stride(from: 0, to: codes.count, by: 1).map { abs(Double(codes[$0]) - maximum.normalization!.centre[$0 % 2]) }.max()!
        #expect(abs(maximum.normalization!.scale - largest) < 1e-9)
        let samples = generator.sample(count: 1000, using: &rng)
        let mx = stride(from: 0, to: 2000, by: 2).reduce(0.0) { $0 + Double(samples[$1]) } / 1000
        let my = stride(from: 1, to: 2000, by: 2).reduce(0.0) { $0 + Double(samples[$1]) } / 1000
        #expect(abs(mx - 10) < 1 && abs(my + 5) < 1, "sample mean (\(mx), \(my))")
    }

    @Test func deterministicAndRecordsTheBatches() throws {
        var rng = SeededGenerator(seed: 11)
        let codes = ToyFixture.eightGaussians(count: 256, using: &rng)
        func run(_ seed: UInt64) throws -> ([NeuralPotentialGenerator.StepRecord], [Float]) {
            let generator = NeuralPotentialGenerator(configuration: .init(dimension: 2, hiddenWidth: 16, hiddenLayers: 2, steps: 30, seed: seed))
            let records = try generator.train(codes: codes)
            var sampleRng = SeededGenerator(seed: 12)
            return (records, generator.sample(count: 50, using: &sampleRng))
        }
        let a = try run(1), b = try run(1)
        #expect(a.0 == b.0 && a.1 == b.1)
        #expect(try run(2).1 != a.1)
        #expect(a.0.count == 30 && a.0.allSatisfy { $0.transportCost > 0 && $0.potentialSpread > 0 && $0.regressionError.isFinite })
    }

    @Test func badCodesThrow() {
        let generator = NeuralPotentialGenerator(configuration: .init(dimension: 2, steps: 1))
        #expect(throws: TransportError.self) { try generator.train(codes: [1, 2, 3]) }
        #expect(throws: TransportError.self) { try generator.train(codes: [1, .nan]) }
        let raw = NeuralPotentialGenerator(configuration: .init(dimension: 2, steps: 1, normalizesCodes: false))
        #expect(throws: TransportError.self) { try raw.train(codes: []) }
    }
}

/// Toy points without importing Datasets' enum into every test.
enum ToyFixture {
    static func eightGaussians(count: Int, using rng: inout SeededGenerator) -> [Float] {
        (0..<count).flatMap { i -> [Float] in
            let angle = Double(i % 8) * Double.pi / 4
            return [Float(2 * cos(angle) + 0.02 * rng.nextGaussian()), Float(2 * sin(angle) + 0.02 * rng.nextGaussian())]
        }
    }
}
