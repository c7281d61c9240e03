import Foundation
import TensorModule
import NeuralNet

/// The hidden-layer nonlinearity of the baselines' multilayer perceptrons.
public enum HiddenActivation: String, Codable, Sendable, CaseIterable {
    case relu
    case leakyReLU = "leaky-relu"
    case tanh

    func layer() -> Layer {
        switch self {
        case .relu: return ReLU()
        case .leakyReLU: return LeakyReLU(slope: 0.2)
        case .tanh: return Tanh()
        }
    }
}

/// A fully connected network input → hidden × layers → output with its own flat buffers and Adam
/// state, and forward/backward in one call so a caller can chain two networks (a GAN's generator
/// into its discriminator) or take the gradient of the output with respect to the input (a
/// potential's ∇D). Internal to the baselines.
final class Perceptron {
    let network: Network
    var optimizer: Adam
    let inputSize: Int
    let outputSize: Int

    init(inputSize: Int, hiddenWidth: Int, hiddenLayers: Int, outputSize: Int, activation: HiddenActivation,
         learningRate: Double, beta1: Double, beta2: Double, seed: UInt64) {
        precondition(inputSize > 0 && hiddenWidth > 0 && hiddenLayers >= 0 && outputSize > 0,
                     "Perceptron: sizes \(inputSize)→\(hiddenWidth)×\(hiddenLayers)→\(outputSize)")
        var layers: [Layer] = []
        var width = inputSize
        for _ in 0..<hiddenLayers {
            layers += [Dense(inputSize: width, outputSize: hiddenWidth), activation.layer()]
            width = hiddenWidth
        }
        layers.append(Dense(inputSize: width, outputSize: outputSize))
        var generator = SeededGenerator(seed: seed)
        network = Network(layers, initialization: .pytorch, using: &generator)
        optimizer = Adam(parameterCount: network.store.parameterCount, learningRate: learningRate, beta1: beta1, beta2: beta2)
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    var store: ParameterStore { network.store }

    /// y = f(x), inference mode (no layer here depends on the mode).
    func forward(_ x: Tensor) -> Tensor { network.forward(x, mode: .inference) }

    /// Forward, then `loss(y) → (value, dL/dy)`, then backward: ACCUMULATES dL/dθ into the store's
    /// gradients and returns (value, dL/dx).
    func forwardBackward(_ x: Tensor, loss: (Tensor) -> (Double, Tensor)) -> (value: Double, inputGradient: Tensor) {
        var input = x
        return input.scalars.withUnsafeMutableBufferPointer { p in
            network.store.withContext(.training) { context in
                let y = network.body.forward(Activation(shape: x.shape, pointer: p.baseAddress!), context)
                let (value, lossGradient) = loss(y.tensor())
                var dy = lossGradient
                precondition(dy.shape == y.shape, "Perceptron: loss gradient \(dy.shape) for output \(y.shape)")
                let dx = dy.scalars.withUnsafeMutableBufferPointer { g in
                    network.body.backward(Activation(shape: y.shape, pointer: g.baseAddress!), context).tensor()
                }
                return (value, dx)
            }
        }
    }

    /// Forward through this network, then `downstream(y) → (value, dL/dy)` (which may run other
    /// networks), then backward here with needsInputGradient false: accumulates dL/dθ, returns the value.
    func forwardBackwardChained(_ x: Tensor, downstream: (Tensor) -> (Double, Tensor)) -> Double {
        var input = x
        return input.scalars.withUnsafeMutableBufferPointer { p in
            network.store.withContext(.training) { context in
                let y = network.body.forward(Activation(shape: x.shape, pointer: p.baseAddress!), context)
                let (value, downstreamGradient) = downstream(y.tensor())
                var dy = downstreamGradient
                precondition(dy.shape == y.shape, "Perceptron: downstream gradient \(dy.shape) for output \(y.shape)")
                var top = context
                top.needsInputGradient = false
                _ = dy.scalars.withUnsafeMutableBufferPointer { g in
                    network.body.backward(Activation(shape: y.shape, pointer: g.baseAddress!), top)
                }
                return value
            }
        }
    }

    func zeroGradients() { network.store.zeroGradients() }

    /// One Adam step on the accumulated gradients.
    func step() { optimizer.update(&network.store.parameters, gradient: network.store.gradients) }
}
