import Testing
import Foundation
import TensorModule
import NeuralNet

@Suite struct SoftmaxCrossEntropyTests {
    /// Random logits [n, k] in [-scale, scale] and labels.
    func problem(n: Int, k: Int, scale: Float, seed: UInt64) -> (logits: Tensor, labels: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let logits = Tensor(shape: [n, k], scalars: (0..<(n * k)).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale })
        return (logits, (0..<n).map { _ in Int(rng.next() % UInt64(k)) })
    }

    /// Central differences in Double of the Float loss. The loss is smooth with bounded third
    /// derivative (|∂³ℓ| ≤ 1): h = 1e-2 gives truncation ≈ h²/6 ≈ 2e-5; the Double value of a Float
    /// forward rounds at ≈ 1e-7 relative, /h ≈ 1e-5. A wrong sign or a missing 1/n is off by O(1/n) ≥ 0.1
    /// relative → tolerance 1e-3 of the largest gradient.
    @Test func gradientMatchesFiniteDifferences() {
        let (logits, labels) = problem(n: 5, k: 7, scale: 3, seed: 2)
        let (_, gradient) = Loss.softmaxCrossEntropy(logits: logits, labels: labels)
        let h: Float = 1e-2
        var worst = 0.0
        let largest = gradient.scalars.map { abs(Double($0)) }.max()!
        for i in logits.scalars.indices {
            var plus = logits, minus = logits
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (Loss.softmaxCrossEntropy(logits: plus, labels: labels).value
                           - Loss.softmaxCrossEntropy(logits: minus, labels: labels).value) / Double(plus.scalars[i] - minus.scalars[i])
            worst = max(worst, abs(numeric - Double(gradient.scalars[i])))
        }
        #expect(worst / largest < 1e-3, "relative error \(worst / largest)")
    }

    /// Known answers: equal logits give log k; a gradient row sums to 0 (softmax sums to 1) and its
    /// label entry is (p − 1)/n.
    @Test func knownValues() {
        let (value, gradient) = Loss.softmaxCrossEntropy(logits: Tensor(zeros: [2, 4]), labels: [1, 3])
        #expect(abs(value - log(4.0)) < 1e-9)
        #expect(abs(gradient.scalars[1] - (0.25 - 1) / 2) < 1e-7 && abs(gradient.scalars[0] - 0.25 / 2) < 1e-7)
        let (_, random) = Loss.softmaxCrossEntropy(logits: problem(n: 3, k: 5, scale: 4, seed: 9).logits, labels: [0, 4, 2])
        for row in 0..<3 {
            #expect(abs((0..<5).reduce(Float(0)) { $0 + random.scalars[row * 5 + $1] }) < 1e-6)
        }
    }

    /// Logits of ±1000 overflow a naive exp: the stable form gives the exact margins.
    @Test func stableForHugeLogits() {
        let logits = Tensor(shape: [2, 3], scalars: [1000, 0, -1000, -1000, 1000, 990])
        let (value, gradient) = Loss.softmaxCrossEntropy(logits: logits, labels: [0, 2])
        // Row 0: correct with margin 1000 → ℓ ≈ 0. Row 1: label logit 990 vs 1000 → ℓ ≈ 10 + log(1 + e^-10).
        let expected = (0 + 10 + log1p(exp(-10.0))) / 2
        #expect(abs(value - expected) < 1e-4, "value \(value), expected \(expected)")
        #expect(gradient.isFinite)
        #expect(Loss.softmax(logits).isFinite)
    }
}
