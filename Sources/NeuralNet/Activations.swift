import Foundation
import TensorModule

/// Shared machinery of element-wise layers: y = f(x), dx = dy ⊙ f'(·) from the cached x or y.
public class ElementwiseLayer: Layer {
    private let output = Workspace()
    private let inputGradient = Workspace()
    var input: Activation?
    var lastOutput: Activation?

    init() {}

    /// Fewest scalars per thread: below 2·this a pass runs on the calling thread. Cheap SIMD kernels
    /// (ReLU: ~1 ns per 16 scalars) gain nothing from a second thread below ~10^5 scalars, where
    /// waking it costs more than the work.
    var parallelMinimum: Int { 1 << 17 }

    public func outputShape(for inputShape: [Int]) -> [Int] { inputShape }

    func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) { fatalError("abstract") }
    /// dx = dy ⊙ f'(x) given x and y = f(x).
    func derivative(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                    _ dx: UnsafeMutablePointer<Float>, _ count: Int) { fatalError("abstract") }

    public func forward(_ x: Activation, _ context: LayerContext) -> Activation {
        input = x
        let y = output.activation(x.shape)
        parallelFor(x.count, minimum: parallelMinimum) { r in
            apply(x.pointer + r.lowerBound, y.pointer + r.lowerBound, r.count)
        }
        lastOutput = y
        return y
    }

    public func backward(_ dy: Activation, _ context: LayerContext) -> Activation {
        guard let x = input, let y = lastOutput else { preconditionFailure("\(type(of: self)).backward before forward") }
        precondition(dy.shape == x.shape, "\(type(of: self)).backward: gradient shape \(dy.shape), expected \(x.shape)")
        let dx = inputGradient.activation(x.shape)
        guard context.needsInputGradient else { return dx }
        parallelFor(x.count, minimum: parallelMinimum) { r in
            let o = r.lowerBound
            derivative(x.pointer + o, y.pointer + o, dy.pointer + o, dx.pointer + o, r.count)
        }
        return dx
    }
}

/// max(x, 0); the derivative at 0 is taken as 0.
public final class ReLU: ElementwiseLayer {
    public override init() {}
    override func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        leakyForward(x, y, count, slope: 0)
    }
    override func derivative(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ count: Int) {
        leakyBackward(x, dy, dx, count, slope: 0)
    }
}

/// x for x > 0, slope·x otherwise.
public final class LeakyReLU: ElementwiseLayer {
    public let slope: Float
    public init(slope: Float = 0.2) { self.slope = slope }
    override func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        leakyForward(x, y, count, slope: slope)
    }
    override func derivative(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ count: Int) {
        leakyBackward(x, dy, dx, count, slope: slope)
    }
}

// Branch-free SIMD kernels: signs of activations are unpredictable, so a per-element branch
// mispredicts half the time.
typealias Vector = SIMD16<Float>

@inline(__always) func load(_ p: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
}
@inline(__always) func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
}

/// y = x > 0 ? x : slope·x.
func leakyForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, slope: Float) {
    var i = 0
    let zero = Vector(repeating: 0), a = Vector(repeating: slope)
    while i + 16 <= count {
        let v = load(x + i)
        store(v.replacing(with: v * a, where: v .<= zero), y + i)
        i += 16
    }
    while i < count { y[i] = x[i] > 0 ? x[i] : slope * x[i]; i += 1 }
}

/// dx = x > 0 ? dy : slope·dy.
func leakyBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, _ count: Int, slope: Float) {
    var i = 0
    let zero = Vector(repeating: 0), a = Vector(repeating: slope)
    while i + 16 <= count {
        let v = load(x + i), g = load(dy + i)
        store(g.replacing(with: g * a, where: v .<= zero), dx + i)
        i += 16
    }
    while i < count { dx[i] = x[i] > 0 ? dy[i] : slope * dy[i]; i += 1 }
}

/// 1/(1 + e^{-x}), computed without overflow for large |x|.
public final class Sigmoid: ElementwiseLayer {
    public override init() {}
    override var parallelMinimum: Int { 1 << 14 }
    override func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { y[i] = sigmoid(x[i]) }
    }
    override func derivative(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { dx[i] = dy[i] * y[i] * (1 - y[i]) }
    }
}

/// tanh(x).
public final class Tanh: ElementwiseLayer {
    public override init() {}
    override var parallelMinimum: Int { 1 << 14 }
    override func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { y[i] = Foundation.tanh(x[i]) }
    }
    override func derivative(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ dy: UnsafePointer<Float>,
                             _ dx: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0..<count { dx[i] = dy[i] * (1 - y[i] * y[i]) }
    }
}

/// The logistic function, stable for large |x| (never exp of a positive number).
@inline(__always)
public func sigmoid(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
}

/// Reshapes every sample to `shape` (without the batch axis); a view, no copy.
public final class Reshape: Layer {
    public let shape: [Int]
    private var inputShape: [Int] = []
    public init(_ shape: [Int]) { self.shape = shape }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.dropFirst().reduce(1, *) == shape.reduce(1, *),
                     "Reshape: input shape \(inputShape) cannot be seen as [n] + \(shape)")
        return [inputShape[0]] + shape
    }
    public func forward(_ x: Activation, _ context: LayerContext) -> Activation {
        inputShape = x.shape
        return Activation(shape: outputShape(for: x.shape), pointer: x.pointer)
    }
    public func backward(_ dy: Activation, _ context: LayerContext) -> Activation {
        Activation(shape: inputShape, pointer: dy.pointer)
    }
}

/// [n, ...] → [n, product of the rest]; a view, no copy.
public final class Flatten: Layer {
    private var inputShape: [Int] = []
    public init() {}
    public func outputShape(for inputShape: [Int]) -> [Int] { [inputShape[0], inputShape.dropFirst().reduce(1, *)] }
    public func forward(_ x: Activation, _ context: LayerContext) -> Activation {
        inputShape = x.shape
        return Activation(shape: outputShape(for: x.shape), pointer: x.pointer)
    }
    public func backward(_ dy: Activation, _ context: LayerContext) -> Activation {
        Activation(shape: inputShape, pointer: dy.pointer)
    }
}
