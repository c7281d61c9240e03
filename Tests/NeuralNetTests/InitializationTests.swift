import Testing
import Foundation
import TensorModule
import NeuralNet

/// The initial weights each `Initialization` draws, checked by their bounds and moments.
///
/// Tolerances: for n draws of U(-b, b) (variance b²/3, kurtosis 9/5) the sample variance has a
/// relative standard deviation √(0.8/n); for N(0, σ²) it is √(2/n). Each tolerance below is at least
/// six of those standard deviations, and the seeds are fixed, so the tests are deterministic; a wrong
/// bound (e.g. √(6/fanIn), He's uniform) is off by a factor 6 in variance and fails by far.
@Suite struct InitializationTests {
    struct Moments { var mean: Double; var variance: Double; var maximum: Float }

    func moments(_ values: [Float]) -> Moments {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return Moments(mean: mean, variance: variance, maximum: values.map(abs).max() ?? 0)
    }

    /// PyTorch's nn.Linear default: weights and biases U(-1/√fanIn, 1/√fanIn), variance 1/(3·fanIn).
    @Test(arguments: [(784, 512), (512, 256), (32, 256), (512, 784)])
    func pytorchDenseIsUniformWithBoundOneOverRootFanIn(inputSize: Int, outputSize: Int) {
        var rng = SeededGenerator(seed: 7)
        let network = Network([Dense(inputSize: inputSize, outputSize: outputSize)], initialization: .pytorch, using: &rng)
        let bound = 1 / Double(inputSize).squareRoot()
        for (name, count) in [("0.weight", inputSize * outputSize), ("0.bias", outputSize)] {
            let values = network.store.values(of: name)
            #expect(values.count == count)
            let m = moments(values)
            #expect(Double(m.maximum) <= bound, "\(name): |value| \(m.maximum) exceeds 1/√\(inputSize) = \(bound)")
            // The draws fill the interval: the largest is within a few spacings b/n of the bound.
            #expect(Double(m.maximum) > bound * (1 - 20 / Double(count)), "\(name): max \(m.maximum) far below the bound \(bound)")
            let expected = 1 / (3 * Double(inputSize))
            let relative = 6 * (0.8 / Double(count)).squareRoot()
            #expect(abs(m.variance / expected - 1) < relative,
                    "\(name): variance \(m.variance), expected 1/(3·\(inputSize)) = \(expected) within \(relative * 100) %")
            #expect(abs(m.mean) < 6 * (expected / Double(count)).squareRoot(), "\(name): mean \(m.mean)")
        }
    }

    /// Conv2D's fan-in is in·k·k; ConvTranspose2D's is out·k·k (PyTorch reads it from the weight's axis 1).
    @Test func pytorchConvolutionFanIns() {
        var rng = SeededGenerator(seed: 3)
        let network = Network([Conv2D(inputChannels: 32, outputChannels: 64, kernelSize: 4, stride: 2, padding: 1),
                               ConvTranspose2D(inputChannels: 128, outputChannels: 16, kernelSize: 3, stride: 2, padding: 1)],
                              initialization: .pytorch, using: &rng)
        for (name, fanIn) in [("0.weight", 32 * 16), ("1.weight", 16 * 9)] {
            let values = network.store.values(of: name)
            let m = moments(values), expected = 1 / (3 * Double(fanIn))
            #expect(Double(m.maximum) <= 1 / Double(fanIn).squareRoot(), "\(name): |value| \(m.maximum)")
            #expect(abs(m.variance / expected - 1) < 6 * (0.8 / Double(values.count)).squareRoot(),
                    "\(name): variance \(m.variance), expected \(expected)")
        }
    }

    /// He: N(0, 2/fanIn), zero biases. Glorot: U(±√(6/(fanIn+fanOut))), variance 2/(fanIn+fanOut), zero biases.
    @Test func heAndGlorotDense() {
        var rng = SeededGenerator(seed: 11)
        let he = Network([Dense(inputSize: 784, outputSize: 512)], initialization: .he, using: &rng)
        let hw = moments(he.store.values(of: "0.weight"))
        #expect(abs(hw.variance / (2.0 / 784) - 1) < 6 * (2.0 / Double(784 * 512)).squareRoot(), "He variance \(hw.variance)")
        #expect(he.store.values(of: "0.bias").allSatisfy { $0 == 0 })

        let glorot = Network([Dense(inputSize: 784, outputSize: 512)], initialization: .glorot, using: &rng)
        let gw = moments(glorot.store.values(of: "0.weight"))
        #expect(Double(gw.maximum) <= (6.0 / (784 + 512)).squareRoot())
        #expect(abs(gw.variance / (2.0 / (784 + 512)) - 1) < 6 * (0.8 / Double(784 * 512)).squareRoot(), "Glorot variance \(gw.variance)")
        #expect(glorot.store.values(of: "0.bias").allSatisfy { $0 == 0 })
    }

    /// The mlp autoencoder draws He weights and zero biases by default; the conv autoencoder and the
    /// mlp VAE keep PyTorch's defaults; an explicit choice overrides the default.
    @Test func autoencoderDefaults() throws {
        let mlp = try Autoencoder(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 32, seed: 5)
        #expect(mlp.configuration.defaultInitialization == .he)
        for (name, fanIn) in [("encoder.1.weight", 784), ("encoder.3.weight", 512), ("decoder.0.weight", 32), ("decoder.4.weight", 512)] {
            let values = mlp.store.values(of: name), m = moments(values), expected = 2 / Double(fanIn)
            #expect(abs(m.mean) < 6 * (expected / Double(values.count)).squareRoot(), "\(name): mean \(m.mean)")
            #expect(abs(m.variance / expected - 1) < 6 * (2 / Double(values.count)).squareRoot(),
                    "\(name): variance \(m.variance), expected 2/\(fanIn) = \(expected)")
            // A normal draw exceeds the uniform bound √(3·variance) in about 8 % of the values.
            #expect(Double(m.maximum) > (3 * expected).squareRoot(), "\(name): max \(m.maximum): not a normal draw")
        }
        for name in ["encoder.1.bias", "encoder.5.bias", "decoder.4.bias"] {
            #expect(mlp.store.values(of: name).allSatisfy { $0 == 0 }, "\(name) not zero")
        }

        let mlpPytorch = try Autoencoder(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 32, seed: 5, initialization: .pytorch)
        let vae = try VariationalAutoencoder(architecture: .mlp, imageShape: [1, 28, 28], latentDimension: 32, seed: 5)
        let conv = try Autoencoder(architecture: .conv, imageShape: [1, 28, 28], latentDimension: 32, seed: 5)
        #expect(vae.configuration.defaultInitialization == .pytorch && conv.configuration.defaultInitialization == .pytorch)
        for (model, name, fanIn) in [(mlpPytorch as AutoencoderModel, "encoder.1.weight", 784), (mlpPytorch, "decoder.4.bias", 512),
                                     (vae, "encoder.1.weight", 784), (vae, "encoder.5.bias", 256),
                                     (conv, "encoder.0.weight", 16), (conv, "decoder.0.weight", 32)] {
            let values = model.store.values(of: name), m = moments(values), expected = 1 / (3 * Double(fanIn))
            #expect(Double(m.maximum) <= 1 / Double(fanIn).squareRoot(), "\(name): |value| \(m.maximum)")
            #expect(abs(m.variance / expected - 1) < max(0.05, 6 * (0.8 / Double(values.count)).squareRoot()),
                    "\(name): variance \(m.variance), expected 1/(3·\(fanIn)) = \(expected)")
        }
    }
}
