// NeuralNet: a small CPU neural-network engine on BLAS, in the style of llm.c.
//
// - Every layer has `forward` and `backward` in a pair; forward caches what backward needs;
//   backward *accumulates* parameter gradients (the trainer zeroes them once per step).
// - A model's trainable parameters live in ONE flat buffer and their gradients in ONE flat buffer
//   of the same layout (`ParameterStore`), so the optimiser is one loop and a checkpoint is one write.
//   Running statistics (BatchNorm) live in a third flat buffer, saved but not trained.
// - Activations are `Activation` views (shape + pointer) into memory each layer owns and reuses
//   across batches (`Workspace`): no allocation per batch once sizes are known.
// - Batches run on all cores: big products through `ParallelGEMM` (blocks of the output, one
//   single-threaded BLAS call each), other loops through `Parallel.forEach` over disjoint ranges.
//   No reduction is ever split across threads in a scheduling-dependent way, so the same seed gives
//   the same bytes.
import TensorModule

/// Training uses batch statistics in BatchNorm (and updates the running ones); inference uses the
/// running statistics.
public enum Mode: Sendable, Equatable { case training, inference }

/// Base pointers of a model's flat buffers and the mode, handed to every layer call.
public struct LayerContext {
    public var mode: Mode
    public let parameters: UnsafeMutablePointer<Float>
    public let gradients: UnsafeMutablePointer<Float>
    public let statistics: UnsafeMutablePointer<Float>
    /// `false` lets a layer skip computing its input gradient (the first layer of a model).
    public var needsInputGradient: Bool = true
    /// `false` lets layers skip their parameter gradients (a frozen network that only passes
    /// gradients through, as in `PerceptualLoss`); `context.gradients` is then left untouched.
    public var needsParameterGradients: Bool = true
}

/// How weights are drawn when a layer is registered.
public enum Initialization: String, Codable, Sendable {
    /// PyTorch's defaults for Linear/Conv2d/ConvTranspose2d: weights and biases
    /// U(-1/√fanIn, 1/√fanIn) (kaiming_uniform with a = √5), where fanIn is in·kh·kw for Dense and
    /// Conv2D and — as PyTorch computes it from the weight's second axis — out·kh·kw for
    /// ConvTranspose2D. The reference figures of METHOD.md were measured with this.
    case pytorch
    /// He (Kaiming) normal: N(0, 2/fanIn), zero biases. Suits ReLU networks; the mlp
    /// autoencoder's default (`AutoencoderConfiguration.defaultInitialization`, measured there).
    case he
    /// Glorot (Xavier) uniform: U(±√(6/(fanIn+fanOut))), zero biases.
    case glorot
}

/// A differentiable layer. Shapes include the batch axis first.
public protocol Layer: AnyObject {
    /// Output shape for an input shape (both with the batch axis).
    func outputShape(for inputShape: [Int]) -> [Int]
    /// Adds this layer's parameters and statistics to `store` under `prefix` (e.g. "encoder.0."),
    /// drawing initial values from `generator`, and remembers their offsets.
    func register<G: RandomNumberGenerator>(in store: ParameterStore, prefix: String, initialization: Initialization,
                                            using generator: inout G)
    /// y = f(x). The returned view stays valid until this layer's next `forward`.
    func forward(_ input: Activation, _ context: LayerContext) -> Activation
    /// Given dL/dy for the last forward's output, accumulates dL/dθ into `context.gradients` and
    /// returns dL/dx (valid until the next `backward`; unspecified when `needsInputGradient` is false).
    func backward(_ outputGradient: Activation, _ context: LayerContext) -> Activation
}

extension Layer {
    public func register<G: RandomNumberGenerator>(in store: ParameterStore, prefix: String, initialization: Initialization,
                                                   using generator: inout G) {}
}

/// Layers that keep scalars in a `ParameterStore` say how many before `register` allocates them, so
/// a configuration read from a file can be checked against its weights file first.
public protocol StoredScalars {
    /// Parameters plus running statistics this layer registers.
    var storedScalarCount: Int { get }
}

extension Sequence where Element == Layer {
    /// Scalars the layers would register (parameters and statistics); layers without storage count 0.
    /// Saturates at `Int.max` instead of trapping on absurd sizes.
    public var storedScalarCount: Int {
        reduce(0) { saturatingSum($0, ($1 as? StoredScalars)?.storedScalarCount ?? 0) }
    }
}

/// a·b·c… saturating at `Int.max`.
func saturatingProduct(_ factors: Int...) -> Int { saturatingProduct(factors) }

/// The product of non-negative `factors`, saturating at `Int.max`.
func saturatingProduct(_ factors: [Int]) -> Int {
    var product = 1
    for factor in factors {
        let (value, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return Int.max }
        product = value
    }
    return product
}

/// a + b saturating at `Int.max`.
func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (value, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : value
}

/// Draws a weight tensor and its bias following `initialization`.
func initialWeights<G: RandomNumberGenerator>(count: Int, fanIn: Int, fanOut: Int, _ initialization: Initialization,
                                              using generator: inout G) -> [Float] {
    switch initialization {
    case .pytorch:
        let bound = Float(1 / Double(fanIn).squareRoot())
        return (0..<count).map { _ in (generator.nextUnitFloat() * 2 - 1) * bound }
    case .he:
        let std = (2 / Double(fanIn)).squareRoot()
        return (0..<count).map { _ in Float(generator.nextGaussian() * std) }
    case .glorot:
        let bound = Float((6 / Double(fanIn + fanOut)).squareRoot())
        return (0..<count).map { _ in (generator.nextUnitFloat() * 2 - 1) * bound }
    }
}

func initialBiases<G: RandomNumberGenerator>(count: Int, fanIn: Int, _ initialization: Initialization,
                                             using generator: inout G) -> [Float] {
    switch initialization {
    case .pytorch:
        let bound = Float(1 / Double(fanIn).squareRoot())
        return (0..<count).map { _ in (generator.nextUnitFloat() * 2 - 1) * bound }
    case .he, .glorot:
        return [Float](repeating: 0, count: count)
    }
}

/// Splits `count` items into chunks for `Parallel.forEach`, at least `minimum` items per chunk.
@inline(__always)
func parallelRanges(_ count: Int, minimum: Int) -> [Range<Int>] {
    Parallel.ranges(count, maxChunks: Parallel.coreCount, minimumChunk: max(1, minimum))
}

/// Runs `body(range)` over 0..<count split across the cores (serially when small).
@inline(__always)
func parallelFor(_ count: Int, minimum: Int, _ body: (Range<Int>) -> Void) {
    let ranges = parallelRanges(count, minimum: minimum)
    if ranges.count <= 1 { if count > 0 { body(0..<count) }; return }
    Parallel.forEach(ranges.count) { body(ranges[$0]) }
}
