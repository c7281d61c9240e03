import Testing
import TensorModule
import LatentOT

@Suite struct GaussianCodeModelTests {
    /// Samples of the fitted model reproduce the codes' mean and covariance.
    @Test func samplesReproduceMeanAndCovariance() {
        var rng = SeededGenerator(seed: 1)
        var codes: [Float] = []
        for _ in 0..<4000 {
            let a = rng.nextGaussian(), b = rng.nextGaussian()
            codes += [Float(1 + 2 * a), Float(-1 + a + 0.5 * b), Float(3)] // third coordinate constant: singular Σ
        }
        let model = GaussianCodeModel(codes: codes, dimension: 3)
        let samples = model.sample(count: 20000, using: &rng)
        let (mean, covariance) = SymmetricMatrix.meanAndCovariance(samples, dimension: 3)
        #expect(abs(mean[0] - 1) < 0.06 && abs(mean[1] + 1) < 0.04 && abs(mean[2] - 3) < 1e-3)
        #expect(abs(covariance[0] - 4) < 0.25)      // var a-coordinate = 4
        #expect(abs(covariance[1] - 2) < 0.15)      // cov = 2·1
        #expect(abs(covariance[4] - 1.25) < 0.1)    // 1 + 0.25
        #expect(samples.allSatisfy { $0.isFinite })
    }
}
