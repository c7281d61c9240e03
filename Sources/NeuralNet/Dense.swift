import TensorModule

/// Fully connected layer y = x·Wᵀ + b, W [outputSize, inputSize] (PyTorch's layout), b [outputSize].
/// Input [n, inputSize] (any trailing shape whose size is inputSize is read as flat), output [n, outputSize].
public final class Dense: Layer {
    public let inputSize: Int
    public let outputSize: Int
    public private(set) var weightOffset = -1
    public private(set) var biasOffset = -1
    private let output = Workspace()
    private let inputGradient = Workspace()
    private var input: Activation?

    public init(inputSize: Int, outputSize: Int) {
        precondition(inputSize > 0 && outputSize > 0, "Dense: sizes must be positive, got \(inputSize)→\(outputSize)")
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.dropFirst().reduce(1, *) == inputSize,
                     "Dense(\(inputSize)→\(outputSize)): input shape \(inputShape) has \(inputShape.dropFirst().reduce(1, *)) features")
        return [inputShape[0], outputSize]
    }

    public func register<G: RandomNumberGenerator>(in store: ParameterStore, prefix: String, initialization: Initialization,
                                                   using generator: inout G) {
        weightOffset = store.addParameter(
            name: prefix + "weight", shape: [outputSize, inputSize],
            values: initialWeights(count: outputSize * inputSize, fanIn: inputSize, fanOut: outputSize, initialization, using: &generator))
        biasOffset = store.addParameter(
            name: prefix + "bias", shape: [outputSize],
            values: initialBiases(count: outputSize, fanIn: inputSize, initialization, using: &generator))
    }

    // forward: x [n, in] → y [n, out] = x·Wᵀ + b
    public func forward(_ x: Activation, _ context: LayerContext) -> Activation {
        precondition(weightOffset >= 0, "Dense: not registered in a ParameterStore")
        let n = x.batchSize
        _ = outputShape(for: x.shape)
        input = x
        let y = output.activation([n, outputSize])
        let w = context.parameters + weightOffset, b = context.parameters + biasOffset
        let out = outputSize
        for i in 0..<n { (y.pointer + i * out).update(from: b, count: out) }
        ParallelGEMM.sgemm(.none, .transpose, m: n, n: out, k: inputSize, a: x.pointer, lda: inputSize,
                           b: w, ldb: inputSize, beta: 1, c: y.pointer, ldc: out)
        return y
    }

    // backward: dW += dyᵀ·x, db += Σ_n dy, dx = dy·W
    // The two products are independent: their blocks (exactly those `ParallelGEMM.sgemm` would run
    // for each) and the bias sum share one parallel region instead of three.
    public func backward(_ dy: Activation, _ context: LayerContext) -> Activation {
        guard let x = input else { preconditionFailure("Dense.backward before forward") }
        let n = x.batchSize, out = outputSize, inp = inputSize
        precondition(dy.shape == [n, out], "Dense.backward: gradient shape \(dy.shape), expected \([n, out])")
        let dw = context.gradients + weightOffset, db = context.gradients + biasOffset
        let dx = inputGradient.activation(x.shape)
        let parameters = context.needsParameterGradients
        var tasks = parameters ? ParallelGEMM.blocks(.transpose, .none, m: out, n: inp, k: n, a: dy.pointer, lda: out,
                                                     b: x.pointer, ldb: inp, beta: 1, c: dw, ldc: inp) : []
        if context.needsInputGradient {
            tasks += ParallelGEMM.blocks(.none, .none, m: n, n: inp, k: out, a: dy.pointer, lda: out,
                                         b: context.parameters + weightOffset, ldb: inp, c: dx.pointer, ldc: inp)
        }
        if parameters { tasks.append {
            for i in 0..<n {
                let row = dy.pointer + i * out
                for j in 0..<out { db[j] += row[j] }
            }
        } }
        ParallelGEMM.run(tasks)
        return dx
    }
}

extension Dense: StoredScalars {
    /// Weights in·out plus biases out.
    public var storedScalarCount: Int { saturatingSum(saturatingProduct(inputSize, outputSize), outputSize) }
}
