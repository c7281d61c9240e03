import Testing
import Foundation
import TensorModule

@Suite struct NumericsTests {
    @Test func sgemmMatchesALoop() {
        var rng = SeededGenerator(seed: 1)
        let a = Tensor(shape: [7, 5], scalars: (0..<35).map { _ in rng.nextUnitFloat() - 0.5 })
        let b = Tensor(shape: [4, 5], scalars: (0..<20).map { _ in rng.nextUnitFloat() - 0.5 })
        let c = matmul(a, b, transposeB: true)
        #expect(c.shape == [7, 4])
        for i in 0..<7 {
            for j in 0..<4 {
                var s: Float = 0
                for k in 0..<5 { s += a.scalars[i * 5 + k] * b.scalars[j * 5 + k] }
                #expect(abs(c.scalars[i * 4 + j] - s) < 1e-5)
            }
        }
    }

    @Test func quantileInvertsTheCDF() {
        for p in [1e-10, 1e-4, 0.01, 0.3, 0.5, 0.77, 0.999, 1 - 1e-9] {
            let x = NormalDistribution.quantile(p)
            #expect(abs(NormalDistribution.cdf(x) - p) < 1e-12 * max(1, 1 / p))
        }
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959963984540054) < 1e-12)
    }

    /// First Adam step moves each parameter by exactly lr·sign(g) (bias correction makes m̂ = g, v̂ = g²).
    @Test func adamFirstStepIsLearningRateTimesSign() {
        var adam = Adam(parameterCount: 3, learningRate: 0.1)
        var p: [Double] = [1, 2, 3]
        adam.update(&p, gradient: [0.5, -2, 0])
        #expect(abs(p[0] - 0.9) < 1e-7 && abs(p[1] - 2.1) < 1e-7 && p[2] == 3)
        var noCorrection = Adam(parameterCount: 1, learningRate: 0.1, biasCorrection: false)
        var q: [Double] = [0]
        noCorrection.update(&q, gradient: [1])
        // m = 0.1, v = 0.001: step = 0.1 · 0.1/(√0.001 + 1e-8)
        #expect(abs(q[0] + 0.1 * 0.1 / (0.001.squareRoot() + 1e-8)) < 1e-9)
    }

    /// The Float update (vectorised, in chunks on all cores) gives the bits of the plain scalar
    /// loop of Kingma & Ba in Double, with and without weight decay: 200,003 parameters (several
    /// chunks, not a multiple of 4) for 3 steps, and 1,003 for 400 steps (past t = 350, where
    /// 1 - β1^t rounds to 1 and the update skips that division).
    @Test(arguments: [(0.0, 200_003, 3), (0.01, 200_003, 3), (0.0, 1_003, 400)])
    func floatAdamMatchesTheScalarLoopBitwise(weightDecay: Double, count: Int, steps: Int) {
        var rng = SeededGenerator(seed: 7)
        var parameters = (0..<count).map { _ in rng.nextUnitFloat() - 0.5 }
        var reference = parameters
        var adam = Adam(parameterCount: count, learningRate: 1e-3, weightDecay: weightDecay)
        var m = [Double](repeating: 0, count: count), v = m
        let (b1, b2, lr, eps) = (0.9, 0.999, 1e-3, 1e-8)
        for step in 1...steps {
            let gradient = (0..<count).map { i in i % 97 == 0 ? 0 : (rng.nextUnitFloat() - 0.5) * 1e-2 }
            adam.update(&parameters, gradient: gradient)
            // As Adam computes β^t: by squaring.
            func power(_ base: Double, _ exponent: Int) -> Double {
                var result = 1.0, b = base, e = exponent
                while e > 0 { if e & 1 == 1 { result *= b }; b *= b; e >>= 1 }
                return result
            }
            let c1 = 1 - power(b1, step), c2 = 1 - power(b2, step)
            if step == 400 { #expect(c1 == 1) }
            for i in 0..<count {
                let g = Double(gradient[i])
                m[i] = b1 * m[i] + (1 - b1) * g
                v[i] = b2 * v[i] + (1 - b2) * g * g
                var value = Double(reference[i])
                value -= lr * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
                if weightDecay != 0 { value -= lr * weightDecay * Double(reference[i]) }
                reference[i] = Float(value)
            }
            if step <= 3 || step == steps {
                #expect(parameters.map(\.bitPattern) == reference.map(\.bitPattern), "step \(step)")
            }
        }
        #expect(adam.firstMoment == m && adam.secondMoment == v)
    }

    @Test func generatorIsDeterministicAndUniform() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        #expect((0..<10).map { _ in a.next() } == (0..<10).map { _ in b.next() })
        var mean = 0.0
        for _ in 0..<100_000 { mean += a.nextUnitDouble() }
        #expect(abs(mean / 100_000 - 0.5) < 0.005)
        let data = try! JSONEncoder().encode(a)
        var restored = try! JSONDecoder().decode(SeededGenerator.self, from: data)
        #expect(restored.next() == a.next())
    }
}
