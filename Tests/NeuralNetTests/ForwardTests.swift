import Testing
import Foundation
import TensorModule
import TestSupport
import NeuralNet

/// Forward passes against direct loops and hand-computed values.
@Suite struct ForwardTests {
    /// y = W₂·relu(W₁x + b₁) + b₂ by hand:
    /// x₁ = (1, 2): W₁x + b₁ = (1-2+0.5, 0.5+4-1) = (-0.5, 3.5) → relu (0, 3.5) → 2·0 - 3·3.5 + 0.25 = -10.25
    /// x₂ = (-1, 0.5): (-1-0.5+0.5, -0.5+1-1) = (-1, -0.5) → (0, 0) → 0.25
    @Test func tinyNetworkMatchesHandComputedValues() {
        var rng = SeededGenerator(seed: 0)
        let network = Network([Dense(inputSize: 2, outputSize: 2), ReLU(), Dense(inputSize: 2, outputSize: 1)], using: &rng)
        network.store.setValues([1, -1, 0.5, 2], of: "0.weight")
        network.store.setValues([0.5, -1], of: "0.bias")
        network.store.setValues([2, -3], of: "2.weight")
        network.store.setValues([0.25], of: "2.bias")
        let y = network.forward(Tensor(shape: [2, 2], scalars: [1, 2, -1, 0.5]), mode: .inference)
        #expect(y.shape == [2, 1])
        #expect(y.scalars == [-10.25, 0.25])
    }

    /// 3×3 input 1…9, 2×2 kernel of ones, stride 1, no padding, bias 0.5: window sums + 0.5.
    /// Then the transposed convolution of a single 2 with kernel 1…9: 2·kernel + bias.
    @Test func convolutionsMatchHandComputedValues() {
        var rng = SeededGenerator(seed: 0)
        let conv = Network([Conv2D(inputChannels: 1, outputChannels: 1, kernelSize: 2)], using: &rng)
        conv.store.setValues([1, 1, 1, 1], of: "0.weight")
        conv.store.setValues([0.5], of: "0.bias")
        let y = conv.forward(Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init)), mode: .inference)
        #expect(y.shape == [1, 1, 2, 2] && y.scalars == [12.5, 16.5, 24.5, 28.5])

        let transposed = Network([ConvTranspose2D(inputChannels: 1, outputChannels: 1, kernelSize: 3)], using: &rng)
        transposed.store.setValues((1...9).map(Float.init), of: "0.weight")
        transposed.store.setValues([-1], of: "0.bias")
        let z = transposed.forward(Tensor(shape: [1, 1, 1, 1], scalars: [2]), mode: .inference)
        #expect(z.shape == [1, 1, 3, 3] && z.scalars == (1...9).map { Float(2 * $0 - 1) })

        // Stride 2, padding 1, 4×4 kernel on a 2×2 input of ones, kernel of ones: each output pixel
        // counts the input pixels whose window covers it (1 or 2 per axis within the 2×2 centre).
        transposed.store.setValues([Float](repeating: 1, count: 9), of: "0.weight")
        let layer = ConvTranspose2D(inputChannels: 1, outputChannels: 1, kernelSize: 4, stride: 2, padding: 1)
        let t = Network([layer], using: &rng)
        t.store.setValues([Float](repeating: 1, count: 16), of: "0.weight")
        t.store.setValues([0], of: "0.bias")
        let u = t.forward(Tensor(repeating: 1, shape: [1, 1, 2, 2]), mode: .inference)
        // Along one axis, input i covers outputs 2i-1 ... 2i+2 (clipped to 0..<4): counts 1,2,2,1.
        let counts: [Float] = [1, 2, 2, 1]
        #expect(u.shape == [1, 1, 4, 4])
        #expect(u.scalars == (0..<16).map { counts[$0 / 4] * counts[$0 % 4] })
    }

    /// Direct 7-loop convolution.
    func referenceConvolution(_ x: Tensor, weight: [Float], bias: [Float], outputChannels co: Int, kernel k: Int, stride s: Int, padding p: Int) -> Tensor {
        let n = x.shape[0], ci = x.shape[1], h = x.shape[2], w = x.shape[3]
        let oh = (h + 2 * p - k) / s + 1, ow = (w + 2 * p - k) / s + 1
        var y = [Float](repeating: 0, count: n * co * oh * ow)
        for b in 0..<n { for o in 0..<co { for i in 0..<oh { for j in 0..<ow {
            var sum = Double(bias[o])
            for c in 0..<ci { for a in 0..<k { for e in 0..<k {
                let r = i * s - p + a, q = j * s - p + e
                if r >= 0 && r < h && q >= 0 && q < w {
                    sum += Double(weight[((o * ci + c) * k + a) * k + e]) * Double(x.scalars[((b * ci + c) * h + r) * w + q])
                }
            } } }
            y[((b * co + o) * oh + i) * ow + j] = Float(sum)
        } } } }
        return Tensor(shape: [n, co, oh, ow], scalars: y)
    }

    /// Direct scatter definition of the transposed convolution: input pixel (r, q) adds
    /// W[c, o, a, e]·x to output (r·s - p + a, q·s - p + e).
    func referenceTransposed(_ x: Tensor, weight: [Float], bias: [Float], outputChannels co: Int, kernel k: Int, stride s: Int,
                             padding p: Int, outputPadding op: Int) -> Tensor {
        let n = x.shape[0], ci = x.shape[1], h = x.shape[2], w = x.shape[3]
        let oh = (h - 1) * s - 2 * p + k + op, ow = (w - 1) * s - 2 * p + k + op
        var y = [Double](repeating: 0, count: n * co * oh * ow)
        for b in 0..<n { for o in 0..<co { for i in 0..<(oh * ow) { y[(b * co + o) * oh * ow + i] = Double(bias[o]) } } }
        for b in 0..<n { for c in 0..<ci { for r in 0..<h { for q in 0..<w {
            let v = Double(x.scalars[((b * ci + c) * h + r) * w + q])
            for o in 0..<co { for a in 0..<k { for e in 0..<k {
                let i = r * s - p + a, j = q * s - p + e
                if i >= 0 && i < oh && j >= 0 && j < ow {
                    y[((b * co + o) * oh + i) * ow + j] += Double(weight[((c * co + o) * k + a) * k + e]) * v
                }
            } } }
        } } } }
        return Tensor(shape: [n, co, oh, ow], scalars: y.map(Float.init))
    }

    @Test(arguments: [(5, 7, 3, 2, 1), (28, 28, 4, 2, 1), (7, 7, 3, 2, 1), (6, 5, 3, 1, 1), (4, 4, 4, 1, 0), (9, 8, 5, 3, 2)])
    func conv2DMatchesDirectLoops(height: Int, width: Int, kernel: Int, stride: Int, padding: Int) {
        var rng = SeededGenerator(seed: UInt64(height * 100 + width))
        let layer = Conv2D(inputChannels: 3, outputChannels: 5, kernelSize: kernel, stride: stride, padding: padding)
        let network = Network([layer], using: &rng)
        let x = Tensor(shape: [3, 3, height, width], scalars: (0..<(9 * height * width)).map { _ in rng.nextUnitFloat() - 0.5 })
        let y = network.forward(x, mode: .inference)
        let reference = referenceConvolution(x, weight: network.store.values(of: "0.weight"), bias: network.store.values(of: "0.bias"),
                                             outputChannels: 5, kernel: kernel, stride: stride, padding: padding)
        #expect(y.shape == reference.shape)
        #expect(TestSupport.maxAbsDifference(y.scalars.map(Double.init), reference.scalars.map(Double.init)) < 1e-5)
    }

    @Test(arguments: [(4, 4, 3, 2, 1, 0), (7, 7, 4, 2, 1, 0), (14, 14, 4, 2, 1, 0), (3, 5, 3, 2, 1, 1), (1, 1, 4, 1, 0, 0), (5, 4, 5, 3, 2, 2)])
    func convTransposeMatchesDirectScatter(height: Int, width: Int, kernel: Int, stride: Int, padding: Int, outputPadding: Int) {
        var rng = SeededGenerator(seed: UInt64(height * 100 + width + kernel))
        let layer = ConvTranspose2D(inputChannels: 3, outputChannels: 2, kernelSize: kernel, stride: stride, padding: padding,
                                    outputPadding: outputPadding)
        let network = Network([layer], using: &rng)
        let x = Tensor(shape: [2, 3, height, width], scalars: (0..<(6 * height * width)).map { _ in rng.nextUnitFloat() - 0.5 })
        let y = network.forward(x, mode: .inference)
        let reference = referenceTransposed(x, weight: network.store.values(of: "0.weight"), bias: network.store.values(of: "0.bias"),
                                            outputChannels: 2, kernel: kernel, stride: stride, padding: padding, outputPadding: outputPadding)
        #expect(y.shape == reference.shape)
        #expect(TestSupport.maxAbsDifference(y.scalars.map(Double.init), reference.scalars.map(Double.init)) < 1e-5)
    }

    @Test func batchNormStatistics() {
        var rng = SeededGenerator(seed: 9)
        let network = Network([BatchNorm(featureCount: 2)], using: &rng)
        // Channel 0: 1, 2, 3, 4 over two images of two pixels; channel 1: constant 5.
        let x = Tensor(shape: [2, 2, 1, 2], scalars: [1, 2, 5, 5, 3, 4, 5, 5])
        let y = network.forward(x, mode: .training)
        // mean 2.5, biased variance 1.25: (x - 2.5)/√(1.25 + 1e-5)
        let s = Float((1.25 + 1e-5).squareRoot())
        let expected: [Float] = [-1.5 / s, -0.5 / s, 0, 0, 0.5 / s, 1.5 / s, 0, 0]
        #expect(TestSupport.maxAbsDifference(y.scalars.map(Double.init), expected.map(Double.init)) < 1e-6)
        // running_mean = 0.9·0 + 0.1·2.5, running_var = 0.9·1 + 0.1·(5/3) (unbiased)
        let mean = network.store.values(of: "0.running_mean"), variance = network.store.values(of: "0.running_var")
        #expect(abs(mean[0] - 0.25) < 1e-6 && abs(mean[1] - 0.5) < 1e-6)
        #expect(abs(variance[0] - (0.9 + 0.1 * 5 / 3)) < 1e-6 && abs(variance[1] - 0.9) < 1e-6)
        // Inference uses the running statistics.
        let z = network.forward(x, mode: .inference)
        #expect(abs(z.scalars[0] - (1 - 0.25) / (variance[0] + 1e-5).squareRoot()) < 1e-6)
        // After Dense: [n, f].
        let dense = Network([BatchNorm(featureCount: 3)], using: &rng)
        let f = dense.forward(Tensor(shape: [2, 3], scalars: [0, 1, 2, 2, 1, 0]), mode: .training)
        let t = Float(1 / (1 + 1e-5).squareRoot())
        #expect(TestSupport.maxAbsDifference(f.scalars.map(Double.init), [-t, 0, t, t, 0, -t].map(Double.init)) < 1e-6)
    }

    @Test func activationValues() {
        var rng = SeededGenerator(seed: 0)
        let x = Tensor(shape: [1, 4], scalars: [-2, -0.5, 0, 3])
        #expect(Network([ReLU()], using: &rng).forward(x, mode: .inference).scalars == [0, 0, 0, 3])
        #expect(Network([LeakyReLU(slope: 0.2)], using: &rng).forward(x, mode: .inference).scalars == [-0.4, -0.1, 0, 3])
        let s = Network([Sigmoid()], using: &rng).forward(Tensor(shape: [1, 3], scalars: [0, -100, 100]), mode: .inference)
        #expect(s.scalars[0] == 0.5 && s.scalars[1] < 1e-40 && s.scalars[2] == 1)
        let t = Network([Tanh()], using: &rng).forward(x, mode: .inference)
        #expect(abs(t.scalars[0] - Float(Foundation.tanh(-2.0))) < 1e-7)
    }
}

@Suite struct ArchitectureTests {
    @Test func referenceParameterCounts() throws {
        // METHOD.md §5: conv 352k, mlp 1.08M parameters at d = 32.
        let conv = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 32)
        #expect(conv.parameterCount == 352_161)
        let mlp = try Autoencoder(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 32)
        #expect(mlp.parameterCount == 1_083_696)
        #expect(conv.store.entries.first?.name == "encoder.0.weight")
        #expect(conv.store.entries.contains { $0.name == "decoder.1.running_var" && $0.shape == [2048] })
    }

    @Test(arguments: [(Architecture.conv, [1, 28, 28]), (.mlp, [1, 28, 28]), (.conv, [3, 64, 64]), (.mlp, [3, 8, 8])])
    func shapes(architecture: Architecture, imageShape: [Int]) throws {
        let model = try Autoencoder(architecture: architecture, imageShape: imageShape, latentDimension: 5, baseWidth: 4)
        var rng = SeededGenerator(seed: 2)
        let images = Tensor(shape: [3] + imageShape, scalars: (0..<(3 * imageShape.reduce(1, *))).map { _ in rng.nextUnitFloat() })
        let codes = model.encode(images, batchSize: 2)
        #expect(codes.shape == [3, 5])
        let decoded = model.decode(codes, batchSize: 2)
        #expect(decoded.shape == [3] + imageShape)
        #expect(decoded.scalars.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Batching does not change results beyond rounding (BLAS kernels round differently for
        // other matrix widths: ~1e-7 relative).
        let whole = model.encode(images, batchSize: 3)
        #expect(TestSupport.maxAbsDifference(whole.scalars.map(Double.init), codes.scalars.map(Double.init)) < 1e-5)
        let vae = try VariationalAutoencoder(architecture: architecture, imageShape: imageShape, latentDimension: 5, baseWidth: 4)
        #expect(vae.encode(images).shape == [3, 5])
        #expect(vae.sample(count: 2, using: &rng).shape == [2] + imageShape)
    }

    @Test func invalidConfigurationsThrow() {
        #expect(throws: NeuralNetError.self) { try Autoencoder(architecture: .conv, imageShape: [1, 32, 32], latentDimension: 8) }
        #expect(throws: NeuralNetError.self) { try Autoencoder(architecture: .mlp, imageShape: [28, 28], latentDimension: 8) }
        #expect(throws: NeuralNetError.self) { try Autoencoder(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 0) }
        #expect(throws: NeuralNetError.self) {
            try Autoencoder(configuration: AutoencoderConfiguration(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 4, kind: .vae))
        }
    }

    @Test func configurationJSONRoundTrip() throws {
        let configuration = AutoencoderConfiguration(architecture: .conv, imageShape: [3, 64, 64], latentDimension: 64, baseWidth: 16, kind: .vae)
        let decoded = try JSONDecoder().decode(AutoencoderConfiguration.self, from: configuration.jsonData())
        #expect(decoded == configuration)
        let minimal = try JSONDecoder().decode(AutoencoderConfiguration.self,
                                               from: Data(#"{"architecture":"mlp","imageShape":[1,28,28],"latentDimension":32}"#.utf8))
        #expect(minimal.baseWidth == 32 && minimal.kind == .autoencoder)
    }
}
