import TensorModule

/// Layers applied in order; itself a `Layer`. Parameters are named `prefix + index + "." + name`
/// (e.g. "encoder.3.weight"), as PyTorch names an `nn.Sequential`'s.
public final class Sequential: Layer {
    public let layers: [Layer]

    public init(_ layers: [Layer]) { self.layers = layers }
    public convenience init(_ layers: Layer...) { self.init(layers) }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.outputShape(for: $0) }
    }

    public func register<G: RandomNumberGenerator>(in store: ParameterStore, prefix: String, initialization: Initialization,
                                                   using generator: inout G) {
        for (index, layer) in layers.enumerated() {
            layer.register(in: store, prefix: "\(prefix)\(index).", initialization: initialization, using: &generator)
        }
    }

    public func forward(_ input: Activation, _ context: LayerContext) -> Activation {
        layers.reduce(input) { $1.forward($0, context) }
    }

    public func backward(_ outputGradient: Activation, _ context: LayerContext) -> Activation {
        var gradient = outputGradient
        for index in layers.indices.reversed() {
            var inner = context
            inner.needsInputGradient = index > 0 || context.needsInputGradient
            gradient = layers[index].backward(gradient, inner)
        }
        return gradient
    }
}

/// A standalone network: one `Sequential` and its own `ParameterStore` (tests and small tools;
/// autoencoders own their store).
public final class Network {
    public let body: Sequential
    public let store = ParameterStore()

    public init<G: RandomNumberGenerator>(_ layers: [Layer], initialization: Initialization = .pytorch, using generator: inout G) {
        body = Sequential(layers)
        body.register(in: store, prefix: "", initialization: initialization, using: &generator)
    }

    /// y = f(x) as a Tensor copy.
    public func forward(_ input: Tensor, mode: Mode) -> Tensor {
        var x = input
        return x.scalars.withUnsafeMutableBufferPointer { p in
            store.withContext(mode) { context in
                body.forward(Activation(shape: input.shape, pointer: p.baseAddress!), context).tensor()
            }
        }
    }

    /// Forward then backward with dL/dy = `outputGradient`; accumulates parameter gradients into
    /// `store.gradients` and returns dL/dx.
    public func gradient(_ input: Tensor, outputGradient: Tensor, mode: Mode) -> Tensor {
        var x = input, dy = outputGradient
        return x.scalars.withUnsafeMutableBufferPointer { p in
            dy.scalars.withUnsafeMutableBufferPointer { g in
                store.withContext(mode) { context in
                    let y = body.forward(Activation(shape: input.shape, pointer: p.baseAddress!), context)
                    precondition(y.shape == outputGradient.shape, "Network.gradient: output \(y.shape), gradient \(outputGradient.shape)")
                    return body.backward(Activation(shape: y.shape, pointer: g.baseAddress!), context).tensor()
                }
            }
        }
    }
}
