import TensorModule

/// A non-owning view of a batch: `shape[0]` is the batch size, scalars row-major at `pointer`.
/// Views returned by layers point into the layer's `Workspace` and stay valid until its next call.
public struct Activation {
    public var shape: [Int]
    public var pointer: UnsafeMutablePointer<Float>

    public init(shape: [Int], pointer: UnsafeMutablePointer<Float>) {
        self.shape = shape
        self.pointer = pointer
    }

    public var count: Int { shape.reduce(1, *) }
    public var batchSize: Int { shape[0] }
    /// Scalars per sample.
    public var sampleSize: Int { shape.dropFirst().reduce(1, *) }
    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    /// A copy as a `Tensor`.
    public func tensor() -> Tensor { Tensor(shape: shape, scalars: Array(buffer)) }
}

/// Memory a layer owns and reuses across batches: grows (never shrinks) when a batch needs more.
public final class Workspace {
    public private(set) var pointer: UnsafeMutablePointer<Float>
    public private(set) var capacity: Int

    public init() {
        capacity = 0
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    }

    deinit { pointer.deallocate() }

    /// At least `count` scalars (contents unspecified after a growth).
    @discardableResult
    public func reserve(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            pointer.deallocate()
            pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            capacity = count
        }
        return pointer
    }

    /// A view of shape `shape` on this workspace's memory.
    public func activation(_ shape: [Int]) -> Activation {
        Activation(shape: shape, pointer: reserve(shape.reduce(1, *)))
    }
}
