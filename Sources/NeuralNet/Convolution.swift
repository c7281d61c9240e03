import TensorModule

/// Sums the rows of a row-major [rows, columns] matrix (row stride `ld`) into `target[row] +=`,
/// blocks of 4096 in Float combined in Double, one row per thread: deterministic.
func addRowSums(_ matrix: UnsafePointer<Float>, rows: Int, columns: Int, ld: Int, into target: UnsafeMutablePointer<Float>) {
    parallelFor(rows, minimum: max(1, 16384 / max(1, columns))) { range in
        for r in range {
            let row = matrix + r * ld
            var total = 0.0, j = 0
            while j < columns {
                let end = min(columns, j + 4096)
                total += Double(vectorSum(row + j, end - j))
                j = end
            }
            target[r] += Float(total)
        }
    }
}

/// 2-D convolution (cross-correlation, as PyTorch's Conv2d), lowered to one GEMM per batch by im2col:
/// y[n, o, :, :] = b[o] + Σ_c W[o, c, :, :] ⋆ x[n, c, :, :], stride and zero padding on both axes.
/// Weight [outputChannels, inputChannels, k, k], bias [outputChannels]. Input [n, cᵢ, h, w],
/// output [n, cₒ, (h + 2p - k)/s + 1, (w + 2p - k)/s + 1].
/// `backward` may be called once per `forward` (it reuses the column buffer).
public final class Conv2D: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public private(set) var weightOffset = -1
    public private(set) var biasOffset = -1
    private let columns = Workspace()      // [K, N·P], then dL/dcolumns in backward
    private let channelMajor = Workspace() // [cₒ, N·P]: output before the NCHW scatter, then dL/dy
    private let output = Workspace()
    private let inputGradient = Workspace()
    private var input: Activation?
    private var geometry: ConvolutionGeometry?

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0,
                     "Conv2D: invalid \(inputChannels)→\(outputChannels) k=\(kernelSize) s=\(stride) p=\(padding)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
    }

    private func makeGeometry(_ inputShape: [Int]) -> ConvolutionGeometry {
        precondition(inputShape.count == 4 && inputShape[1] == inputChannels,
                     "Conv2D(\(inputChannels)→\(outputChannels)): input shape \(inputShape), expected [n, \(inputChannels), h, w]")
        return ConvolutionGeometry(channels: inputChannels, height: inputShape[2], width: inputShape[3],
                                   kernelHeight: kernelSize, kernelWidth: kernelSize, stride: stride, padding: padding)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = makeGeometry(inputShape)
        return [inputShape[0], outputChannels, g.outputHeight, g.outputWidth]
    }

    public func register<G: RandomNumberGenerator>(in store: ParameterStore, prefix: String, initialization: Initialization,
                                                   using generator: inout G) {
        let k2 = kernelSize * kernelSize
        weightOffset = store.addParameter(
            name: prefix + "weight", shape: [outputChannels, inputChannels, kernelSize, kernelSize],
            values: initialWeights(count: outputChannels * inputChannels * k2, fanIn: inputChannels * k2,
                                   fanOut: outputChannels * k2, initialization, using: &generator))
        biasOffset = store.addParameter(
            name: prefix + "bias", shape: [outputChannels],
            values: initialBiases(count: outputChannels, fanIn: inputChannels * k2, initialization, using: &generator))
    }

    // forward: columns [K, N·P] = im2col(x); y' [cₒ, N·P] = W [cₒ, K] · columns; y = NCHW(y') + b
    public func forward(_ x: Activation, _ context: LayerContext) -> Activation {
        precondition(weightOffset >= 0, "Conv2D: not registered in a ParameterStore")
        let g = makeGeometry(x.shape)
        geometry = g
        input = x
        let n = x.batchSize, K = g.patchSize, P = g.positions, NP = n * P, co = outputChannels
        let col = columns.reserve(K * NP)
        let image = g.imageSize
        parallelFor(n, minimum: 1) { range in
            for i in range { Im2Col.lower(x.pointer + i * image, g, into: col + i * P, ld: NP) }
        }
        let yT = channelMajor.reserve(co * NP)
        ParallelGEMM.sgemm(.none, .none, m: co, n: NP, k: K, a: context.parameters + weightOffset, lda: K,
                           b: col, ldb: NP, c: yT, ldc: NP)
        let y = output.activation([n, co, g.outputHeight, g.outputWidth])
        let bias = UnsafePointer(context.parameters + biasOffset)
        parallelFor(n, minimum: 1) { range in
            Im2Col.fromChannelMajor(yT, ld: NP, channels: co, plane: P, images: range, bias: bias, into: y.pointer)
        }
        return y
    }

    // backward: dy' = channel-major(dy); db += Σ dy'; dW += dy'·columnsᵀ; dcolumns = Wᵀ·dy'; dx = col2im(dcolumns)
    public func backward(_ dy: Activation, _ context: LayerContext) -> Activation {
        guard let x = input, let g = geometry else { preconditionFailure("Conv2D.backward before forward") }
        let n = x.batchSize, K = g.patchSize, P = g.positions, NP = n * P, co = outputChannels
        precondition(dy.shape == [n, co, g.outputHeight, g.outputWidth],
                     "Conv2D.backward: gradient shape \(dy.shape), expected \([n, co, g.outputHeight, g.outputWidth])")
        let dyT = channelMajor.reserve(co * NP)
        parallelFor(n, minimum: 1) { range in
            Im2Col.toChannelMajor(dy.pointer, channels: co, plane: P, images: range, into: dyT, ld: NP)
        }
        let col = columns.pointer
        if context.needsParameterGradients {
            addRowSums(dyT, rows: co, columns: NP, ld: NP, into: context.gradients + biasOffset)
            ParallelGEMM.sgemm(.none, .transpose, m: co, n: K, k: NP, a: dyT, lda: NP, b: col, ldb: NP,
                               beta: 1, c: context.gradients + weightOffset, ldc: K)
        }
        let dx = inputGradient.activation(x.shape)
        guard context.needsInputGradient else { return dx }
        ParallelGEMM.sgemm(.transpose, .none, m: K, n: NP, k: co, a: context.parameters + weightOffset, lda: K,
                           b: dyT, ldb: NP, c: col, ldc: NP)
        let image = g.imageSize
        parallelFor(n, minimum: 1) { range in
            for i in range {
                let target = dx.pointer + i * image
                target.update(repeating: 0, count: image)
                Im2Col.accumulate(col + i * P, ld: NP, g, into: target)
            }
        }
        return dx
    }
}

/// Transposed 2-D convolution (PyTorch's ConvTranspose2d): the adjoint of a `Conv2D` with the same
/// kernel, stride and padding, plus a bias. Weight [inputChannels, outputChannels, k, k].
/// Input [n, cᵢ, h, w], output [n, cₒ, (h-1)·s - 2p + k + outputPadding, (same for w)].
/// Examples: k 3, s 2, p 1 maps 4→7; k 4, s 2, p 1 maps 7→14 and 14→28.
/// Lowered as columns [cₒ·k·k, N·h·w] = Wᵀ·x' (x' channel-major), then col2im.
/// `backward` may be called once per `forward`.
public final class ConvTranspose2D: Layer {
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let outputPadding: Int
    public private(set) var weightOffset = -1
    public private(set) var biasOffset = -1
    private let columns = Workspace()      // [cₒ·k·k, N·h·w]
    private let channelMajor = Workspace() // x' [cᵢ, N·h·w] (kept for dW)
    private let inputGradientT = Workspace()
    private let output = Workspace()
    private let inputGradient = Workspace()
    private var input: Activation?
    private var geometry: ConvolutionGeometry?

    public init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                outputPadding: Int = 0) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0
                     && outputPadding >= 0 && outputPadding < stride,
                     "ConvTranspose2D: invalid \(inputChannels)→\(outputChannels) k=\(kernelSize) s=\(stride) p=\(padding) op=\(outputPadding)")
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.outputPadding = outputPadding
    }

    /// The geometry of the equivalent convolution, whose input is this layer's output.
    private func makeGeometry(_ inputShape: [Int]) -> ConvolutionGeometry {
        precondition(inputShape.count == 4 && inputShape[1] == inputChannels,
                     "ConvTranspose2D(\(inputChannels)→\(outputChannels)): input shape \(inputShape), expected [n, \(inputChannels), h, w]")
        let h = inputShape[2], w = inputShape[3]
        let oh = (h - 1) * stride - 2 * padding + kernelSize + outputPadding
        let ow = (w - 1) * stride - 2 * padding + kernelSize + outputPadding
        precondition(oh > 0 && ow > 0, "ConvTranspose2D: input \(h)x\(w) gives empty output \(oh)x\(ow)")
        return ConvolutionGeometry(channels: outputChannels, height: oh, width: ow, kernelHeight: kernelSize,
                                   kernelWidth: kernelSize, stride: stride, padding: padding, outputHeight: h, outputWidth: w)
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        let g = makeGeometry(inputShape)
        return [inputShape[0], outputChannels, g.height, g.width]
    }

    public func register<G: RandomNumberGenerator>(in store: ParameterStore, prefix: String, initialization: Initialization,
                                                   using generator: inout G) {
        let k2 = kernelSize * kernelSize
        // PyTorch computes ConvTranspose2d's fan-in from the weight's axis 1: outputChannels·k·k.
        let fanIn = initialization == .pytorch ? outputChannels * k2 : inputChannels * k2
        let fanOut = initialization == .pytorch ? inputChannels * k2 : outputChannels * k2
        weightOffset = store.addParameter(
            name: prefix + "weight", shape: [inputChannels, outputChannels, kernelSize, kernelSize],
            values: initialWeights(count: outputChannels * inputChannels * k2, fanIn: fanIn, fanOut: fanOut,
                                   initialization, using: &generator))
        biasOffset = store.addParameter(
            name: prefix + "bias", shape: [outputChannels],
            values: initialBiases(count: outputChannels, fanIn: fanIn, initialization, using: &generator))
    }

    // forward: x' [cᵢ, N·h·w]; columns [cₒ·k·k, N·h·w] = Wᵀ·x'; y = col2im(columns) + b
    public func forward(_ x: Activation, _ context: LayerContext) -> Activation {
        precondition(weightOffset >= 0, "ConvTranspose2D: not registered in a ParameterStore")
        let g = makeGeometry(x.shape)
        geometry = g
        input = x
        let n = x.batchSize, ci = inputChannels, co = outputChannels
        let hw = g.positions, NHW = n * hw, K = g.patchSize
        let xT = channelMajor.reserve(ci * NHW)
        parallelFor(n, minimum: 1) { range in
            Im2Col.toChannelMajor(x.pointer, channels: ci, plane: hw, images: range, into: xT, ld: NHW)
        }
        let col = columns.reserve(K * NHW)
        ParallelGEMM.sgemm(.transpose, .none, m: K, n: NHW, k: ci, a: context.parameters + weightOffset, lda: K,
                           b: xT, ldb: NHW, c: col, ldc: NHW)
        let y = output.activation([n, co, g.height, g.width])
        let image = g.imageSize, plane = g.height * g.width
        let bias = context.parameters + biasOffset
        parallelFor(n, minimum: 1) { range in
            for i in range {
                let target = y.pointer + i * image
                for c in 0..<co { (target + c * plane).update(repeating: bias[c], count: plane) }
                Im2Col.accumulate(col + i * hw, ld: NHW, g, into: target)
            }
        }
        return y
    }

    // backward: dcolumns = im2col(dy); db += Σ dy; dW += x'·dcolumnsᵀ; dx' = W·dcolumns; dx = NCHW(dx')
    public func backward(_ dy: Activation, _ context: LayerContext) -> Activation {
        guard let x = input, let g = geometry else { preconditionFailure("ConvTranspose2D.backward before forward") }
        let n = x.batchSize, ci = inputChannels, co = outputChannels
        let hw = g.positions, NHW = n * hw, K = g.patchSize
        precondition(dy.shape == [n, co, g.height, g.width],
                     "ConvTranspose2D.backward: gradient shape \(dy.shape), expected \([n, co, g.height, g.width])")
        let col = columns.reserve(K * NHW)
        let image = g.imageSize, plane = g.height * g.width
        parallelFor(n, minimum: 1) { range in
            for i in range { Im2Col.lower(dy.pointer + i * image, g, into: col + i * hw, ld: NHW) }
        }
        let db = context.gradients + biasOffset
        if context.needsParameterGradients { parallelFor(co, minimum: 1) { range in
            for c in range {
                var total = 0.0
                for i in 0..<n {
                    total += Double(vectorSum(dy.pointer + (i * co + c) * plane, plane))
                }
                db[c] += Float(total)
            }
        }
        ParallelGEMM.sgemm(.none, .transpose, m: ci, n: K, k: NHW, a: channelMajor.pointer, lda: NHW, b: col, ldb: NHW,
                           beta: 1, c: context.gradients + weightOffset, ldc: K) }
        let dx = inputGradient.activation(x.shape)
        guard context.needsInputGradient else { return dx }
        let dxT = inputGradientT.reserve(ci * NHW)
        ParallelGEMM.sgemm(.none, .none, m: ci, n: NHW, k: K, a: context.parameters + weightOffset, lda: K,
                           b: col, ldb: NHW, c: dxT, ldc: NHW)
        parallelFor(n, minimum: 1) { range in
            Im2Col.fromChannelMajor(dxT, ld: NHW, channels: ci, plane: hw, images: range, bias: nil, into: dx.pointer)
        }
        return dx
    }
}

extension Conv2D: StoredScalars {
    /// Weights out·in·k² plus biases out.
    public var storedScalarCount: Int {
        saturatingSum(saturatingProduct(outputChannels, inputChannels, kernelSize, kernelSize), outputChannels)
    }
}

extension ConvTranspose2D: StoredScalars {
    /// Weights in·out·k² plus biases out.
    public var storedScalarCount: Int {
        saturatingSum(saturatingProduct(inputChannels, outputChannels, kernelSize, kernelSize), outputChannels)
    }
}
