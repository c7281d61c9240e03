import Testing
import TensorModule
import NeuralNet

/// Central-difference checks of a network's backward pass.
///
/// The loss is L = Σ r ⊙ f(x) with a fixed random r, evaluated in Double from the Float forward.
/// Its central difference (L(θ+h) - L(θ-h))/2h differs from the analytic gradient by the
/// truncation error O(h²·f''') plus the rounding of the Float forward, ≈ ε₃₂·Σ|r⊙y|/h with
/// ε₃₂ ≈ 6e-8. The tolerance passed by each test is relative to the largest analytic
/// gradient and is chosen from these two terms (stated at each call); an indexing or sign bug
/// gives errors of order 1, far above it.
struct GradientCheck {
    var network: Network
    var input: Tensor
    var projection: Tensor
    var mode: Mode

    init(_ layers: [Layer], inputShape: [Int], mode: Mode = .training, seed: UInt64 = 1,
         parameterRange: ClosedRange<Float> = -1...1, input makeInput: ((inout SeededGenerator) -> Float)? = nil) {
        var rng = SeededGenerator(seed: seed)
        network = Network(layers, using: &rng)
        for i in network.store.parameters.indices {
            network.store.parameters[i] = parameterRange.lowerBound + rng.nextUnitFloat() * (parameterRange.upperBound - parameterRange.lowerBound)
        }
        let count = inputShape.reduce(1, *)
        input = Tensor(shape: inputShape, scalars: (0..<count).map { _ in makeInput?(&rng) ?? (rng.nextUnitFloat() * 2 - 1) })
        let outputShape = network.body.outputShape(for: inputShape)
        projection = Tensor(shape: outputShape, scalars: (0..<outputShape.reduce(1, *)).map { _ in rng.nextUnitFloat() * 2 - 1 })
        self.mode = mode
    }

    func loss(_ x: Tensor) -> Double {
        let y = network.forward(x, mode: mode)
        var total = 0.0
        for i in y.scalars.indices { total += Double(y.scalars[i]) * Double(projection.scalars[i]) }
        return total
    }

    /// Largest |numeric - analytic| over the checked coordinates, divided by max(1e-3, max|analytic|).
    /// Checks every input and every parameter (or `maximumChecks` of them, evenly spaced).
    func relativeErrors(step h: Float, maximumChecks: Int = 400) -> (input: Double, parameters: Double) {
        network.store.zeroGradients()
        let dx = network.gradient(input, outputGradient: projection, mode: mode)
        let dtheta = network.store.gradients
        func indices(_ count: Int) -> [Int] {
            count <= maximumChecks ? Array(0..<count) : (0..<maximumChecks).map { $0 * count / maximumChecks }
        }
        var inputError = 0.0, inputScale = 1e-3
        for i in indices(input.count) {
            var plus = input, minus = input
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let numeric = (loss(plus) - loss(minus)) / Double(Float(plus.scalars[i]) - Float(minus.scalars[i]))
            inputError = max(inputError, abs(numeric - Double(dx.scalars[i])))
            inputScale = max(inputScale, abs(Double(dx.scalars[i])))
        }
        var parameterError = 0.0, parameterScale = 1e-3
        for i in indices(network.store.parameterCount) {
            let saved = network.store.parameters[i]
            network.store.parameters[i] = saved + h
            let up = network.store.parameters[i]
            let lPlus = loss(input)
            network.store.parameters[i] = saved - h
            let down = network.store.parameters[i]
            let lMinus = loss(input)
            network.store.parameters[i] = saved
            let numeric = (lPlus - lMinus) / Double(up - down)
            parameterError = max(parameterError, abs(numeric - Double(dtheta[i])))
            parameterScale = max(parameterScale, abs(Double(dtheta[i])))
        }
        return (inputError / inputScale, network.store.parameterCount == 0 ? 0 : parameterError / parameterScale)
    }
}

/// Inputs bounded away from 0 (|x| ∈ [0.1, 1]) so a step h < 0.1 never crosses a ReLU kink.
func awayFromZero(_ rng: inout SeededGenerator) -> Float {
    let magnitude = 0.1 + 0.9 * rng.nextUnitFloat()
    return rng.next() & 1 == 0 ? magnitude : -magnitude
}

@Suite struct GradientTests {
    // Linear layers: L is linear in x and in θ separately, so central differences are exact up to
    // rounding at any h; h = 0.5 makes the rounding term ≈ 6e-8·Σ|ry|/0.5 ≲ 1e-5 relative → tolerance 1e-3.
    @Test func dense() {
        let check = GradientCheck([Dense(inputSize: 7, outputSize: 5)], inputShape: [3, 7])
        let e = check.relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "Dense relative errors \(e)")
    }

    @Test(arguments: [(7, 5, 4), (9, 9, 3), (6, 7, 1)])
    func conv2DStride2Padding1(height: Int, width: Int, kernel: Int) {
        let check = GradientCheck([Conv2D(inputChannels: 3, outputChannels: 4, kernelSize: kernel, stride: 2, padding: 1)],
                                  inputShape: [2, 3, height, width])
        let e = check.relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "Conv2D \(height)x\(width) k\(kernel) relative errors \(e)")
    }

    @Test func conv2DStride1NoPadding() {
        let check = GradientCheck([Conv2D(inputChannels: 2, outputChannels: 3, kernelSize: 3)], inputShape: [2, 2, 5, 6])
        let e = check.relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "Conv2D s1 relative errors \(e)")
    }

    @Test func convTranspose4To7() {
        let layer = ConvTranspose2D(inputChannels: 3, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1)
        #expect(layer.outputShape(for: [2, 3, 4, 4]) == [2, 2, 7, 7])
        let e = GradientCheck([layer], inputShape: [2, 3, 4, 4]).relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "ConvTranspose 4→7 relative errors \(e)")
    }

    @Test func convTranspose7To14() {
        let layer = ConvTranspose2D(inputChannels: 2, outputChannels: 3, kernelSize: 4, stride: 2, padding: 1)
        #expect(layer.outputShape(for: [2, 2, 7, 7]) == [2, 3, 14, 14])
        let e = GradientCheck([layer], inputShape: [2, 2, 7, 7]).relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "ConvTranspose 7→14 relative errors \(e)")
    }

    @Test func convTransposeOutputPaddingAndValid() {
        let padded = ConvTranspose2D(inputChannels: 2, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1, outputPadding: 1)
        #expect(padded.outputShape(for: [1, 2, 3, 5]) == [1, 2, 6, 10])
        var e = GradientCheck([padded], inputShape: [2, 2, 3, 5]).relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "ConvTranspose output padding relative errors \(e)")
        let valid = ConvTranspose2D(inputChannels: 3, outputChannels: 2, kernelSize: 4)
        #expect(valid.outputShape(for: [2, 3, 1, 1]) == [2, 2, 4, 4])
        e = GradientCheck([valid], inputShape: [2, 3, 1, 1]).relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "ConvTranspose 1→4 relative errors \(e)")
    }

    // BatchNorm in training mode is nonlinear in x (through the batch mean and variance):
    // h = 1e-2 gives truncation ≈ h²·|f'''| ~ 1e-4 relative and rounding ≈ 6e-8·Σ|ry|/h ~ 1e-4
    // → tolerance 5e-3.
    @Test func batchNormDenseTraining() {
        let e = GradientCheck([BatchNorm(featureCount: 5)], inputShape: [6, 5]).relativeErrors(step: 1e-2)
        #expect(e.input < 5e-3 && e.parameters < 5e-3, "BatchNorm [n,f] training relative errors \(e)")
    }

    @Test func batchNormConvTraining() {
        let e = GradientCheck([BatchNorm(featureCount: 3)], inputShape: [2, 3, 3, 5]).relativeErrors(step: 1e-2)
        #expect(e.input < 5e-3 && e.parameters < 5e-3, "BatchNorm [n,c,h,w] training relative errors \(e)")
    }

    // Inference mode: an affine map of x with the running statistics: exact at any h.
    @Test func batchNormInference() {
        let check = GradientCheck([BatchNorm(featureCount: 3)], inputShape: [2, 3, 2, 2], mode: .inference)
        check.network.store.setValues([0.5, -1, 2], of: "0.running_mean")
        check.network.store.setValues([0.25, 4, 1.5], of: "0.running_var")
        let e = check.relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "BatchNorm inference relative errors \(e)")
    }

    // Piecewise linear with inputs |x| ≥ 0.1 and h = 0.05: no kink crossed, exact up to rounding.
    @Test func reluAndLeakyReLU() {
        for layer: Layer in [ReLU(), LeakyReLU(slope: 0.2)] {
            let e = GradientCheck([layer], inputShape: [3, 11], input: awayFromZero).relativeErrors(step: 0.05)
            #expect(e.input < 1e-3, "\(type(of: layer)) relative error \(e.input)")
        }
    }

    // Smooth: h = 1e-2, truncation ≈ h²/6·|f'''| ≲ 2e-5, rounding ≈ 1e-5 → tolerance 1e-3.
    @Test func sigmoidAndTanh() {
        for layer: Layer in [Sigmoid(), Tanh()] {
            let e = GradientCheck([layer], inputShape: [3, 2, 2, 3], input: { 3 * ($0.nextUnitFloat() * 2 - 1) }).relativeErrors(step: 1e-2)
            #expect(e.input < 1e-3, "\(type(of: layer)) relative error \(e.input)")
        }
    }

    @Test func flattenAndReshape() {
        let e = GradientCheck([Flatten(), Dense(inputSize: 12, outputSize: 6), Reshape([2, 3])],
                              inputShape: [2, 3, 2, 2]).relativeErrors(step: 0.5)
        #expect(e.input < 1e-3 && e.parameters < 1e-3, "Flatten/Reshape relative errors \(e)")
    }

    // A whole small conv stack in training mode, every layer kind chained (smooth activations: a
    // perturbation of a weight moves every downstream value, so with kinks some coordinate would
    // always cross one). BatchNorm over 4 samples is strongly curved: h = 1e-3 keeps truncation
    // ≲ 1e-4; rounding ≈ 6e-8·Σ|ry|/h ≈ 1e-3 relative at worst → tolerance 5e-3 (measured ≈ 6e-4).
    @Test func sequentialConvStack() {
        let layers: [Layer] = [
            Conv2D(inputChannels: 1, outputChannels: 2, kernelSize: 4, stride: 2, padding: 1), BatchNorm(featureCount: 2), Tanh(),
            Flatten(), Dense(inputSize: 2 * 16, outputSize: 3), BatchNorm(featureCount: 3), Tanh(),
            Dense(inputSize: 3, outputSize: 2 * 9), Reshape([2, 3, 3]),
            ConvTranspose2D(inputChannels: 2, outputChannels: 1, kernelSize: 4, stride: 2, padding: 1), Sigmoid(),
        ]
        let e = GradientCheck(layers, inputShape: [4, 1, 8, 8]).relativeErrors(step: 1e-3, maximumChecks: 300)
        #expect(e.input < 5e-3 && e.parameters < 5e-3, "Sequential relative errors \(e)")
    }
}

@Suite struct LossGradientTests {
    /// Central differences of a scalar function of a Float vector, in Double.
    func numericGradient(_ x: [Float], step h: Float, _ f: ([Float]) -> Double) -> [Double] {
        x.indices.map { i in
            var plus = x, minus = x
            plus[i] += h; minus[i] -= h
            return (f(plus) - f(minus)) / Double(plus[i] - minus[i])
        }
    }

    // Smooth losses: h = 1e-2; truncation ≲ 1e-5, rounding of a Float sum of ~20 terms ≈ 1e-5/h
    // → tolerance 1e-3 absolute on gradients of order 0.1–1.
    @Test func binaryCrossEntropyFromLogits() {
        var rng = SeededGenerator(seed: 3)
        let logits = Tensor(shape: [3, 7], scalars: (0..<21).map { _ in 8 * (rng.nextUnitFloat() - 0.5) })
        let targets = Tensor(shape: [3, 7], scalars: (0..<21).map { _ in rng.nextUnitFloat() })
        let (value, gradient) = Loss.binaryCrossEntropy(logits: logits, targets: targets)
        // Value against the textbook formula with σ computed in Double.
        var reference = 0.0
        for i in 0..<21 {
            let p = 1 / (1 + Foundation.exp(-Double(logits.scalars[i]))), t = Double(targets.scalars[i])
            reference -= t * Foundation.log(p) + (1 - t) * Foundation.log(1 - p)
        }
        #expect(abs(value - reference / 3) < 1e-5 * abs(reference))
        let numeric = numericGradient(logits.scalars, step: 1e-2) { Loss.binaryCrossEntropy(logits: Tensor(shape: [3, 7], scalars: $0), targets: targets).value }
        #expect(TestSupport.maxAbsDifference(numeric, gradient.scalars.map(Double.init)) < 1e-3)
        // Stable at extreme logits: finite value and gradient.
        let extreme = Loss.binaryCrossEntropy(logits: Tensor(shape: [1, 2], scalars: [-200, 200]), targets: Tensor(shape: [1, 2], scalars: [1, 0]))
        #expect(abs(extreme.value - 400) < 1e-3)
        #expect(extreme.gradient.scalars == [-1, 1])
    }

    @Test func meanSquaredError() {
        var rng = SeededGenerator(seed: 4)
        let p = Tensor(shape: [2, 5], scalars: (0..<10).map { _ in rng.nextUnitFloat() })
        let t = Tensor(shape: [2, 5], scalars: (0..<10).map { _ in rng.nextUnitFloat() })
        let (value, gradient) = Loss.meanSquaredError(predictions: p, targets: t)
        let reference = zip(p.scalars, t.scalars).map { Double(($0 - $1) * ($0 - $1)) }.reduce(0, +) / 2
        #expect(abs(value - reference) < 1e-6)
        let numeric = numericGradient(p.scalars, step: 1e-2) { Loss.meanSquaredError(predictions: Tensor(shape: [2, 5], scalars: $0), targets: t).value }
        #expect(TestSupport.maxAbsDifference(numeric, gradient.scalars.map(Double.init)) < 1e-4)
    }

    // |z| is linear away from 0: codes |z| ≥ 0.1, h = 0.05: exact up to rounding.
    @Test func l1Penalty() {
        var rng = SeededGenerator(seed: 5)
        let z = Tensor(shape: [4, 3], scalars: (0..<12).map { _ in awayFromZero(&rng) })
        let (value, gradient) = Loss.l1Penalty(codes: z, weight: 0.3)
        #expect(abs(value - 0.3 * Double(z.scalars.map(abs).reduce(0, +)) / 4) < 1e-6)
        let numeric = numericGradient(z.scalars, step: 0.05) { Loss.l1Penalty(codes: Tensor(shape: [4, 3], scalars: $0), weight: 0.3).value }
        #expect(TestSupport.maxAbsDifference(numeric, gradient.scalars.map(Double.init)) < 1e-5)
    }

    @Test func gaussianKL() {
        var rng = SeededGenerator(seed: 6)
        let mean = Tensor(shape: [3, 4], scalars: (0..<12).map { _ in rng.nextUnitFloat() * 2 - 1 })
        let logVariance = Tensor(shape: [3, 4], scalars: (0..<12).map { _ in rng.nextUnitFloat() * 2 - 1 })
        let (value, gm, gl) = Loss.gaussianKL(mean: mean, logVariance: logVariance, weight: 0.5)
        var reference = 0.0
        for i in 0..<12 {
            let m = Double(mean.scalars[i]), lv = Double(logVariance.scalars[i])
            reference += 0.5 * (m * m + Foundation.exp(lv) - 1 - lv)
        }
        #expect(abs(value - 0.5 * reference / 3) < 1e-5)
        let nm = numericGradient(mean.scalars, step: 1e-2) { Loss.gaussianKL(mean: Tensor(shape: [3, 4], scalars: $0), logVariance: logVariance, weight: 0.5).value }
        let nl = numericGradient(logVariance.scalars, step: 1e-2) { Loss.gaussianKL(mean: mean, logVariance: Tensor(shape: [3, 4], scalars: $0), weight: 0.5).value }
        #expect(TestSupport.maxAbsDifference(nm, gm.scalars.map(Double.init)) < 1e-4)
        #expect(TestSupport.maxAbsDifference(nl, gl.scalars.map(Double.init)) < 1e-4)
    }
}

import Foundation
import TestSupport
