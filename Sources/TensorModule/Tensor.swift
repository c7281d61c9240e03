/// A dense row-major array of `Float` with a shape; images are NCHW.
/// A value type: copies are cheap until written (the storage is a Swift array).
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        precondition(shape.reduce(1, *) == scalars.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { scalars.count }
    public var rank: Int { shape.count }

    /// The same scalars seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, scalars: scalars) }

    /// Rows rowRange of the first axis (a copy).
    public func rows(_ rowRange: Range<Int>) -> Tensor {
        precondition(rank >= 1 && rowRange.lowerBound >= 0 && rowRange.upperBound <= shape[0],
                     "Tensor.rows: \(rowRange) out of 0..<\(shape.first ?? 0)")
        let stride = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = rowRange.count
        return Tensor(shape: newShape,
                      scalars: Array(scalars[(rowRange.lowerBound * stride)..<(rowRange.upperBound * stride)]))
    }

    /// Rows at the given indices of the first axis, in that order (a gather).
    public func gatherRows(_ indices: [Int]) -> Tensor {
        let stride = shape.dropFirst().reduce(1, *)
        var out = [Float](repeating: 0, count: indices.count * stride)
        out.withUnsafeMutableBufferPointer { o in
            scalars.withUnsafeBufferPointer { s in
                for (r, i) in indices.enumerated() {
                    precondition(i >= 0 && i < shape[0], "Tensor.gatherRows: index \(i) out of 0..<\(shape[0])")
                    (o.baseAddress! + r * stride).update(from: s.baseAddress! + i * stride, count: stride)
                }
            }
        }
        var newShape = shape
        newShape[0] = indices.count
        return Tensor(shape: newShape, scalars: out)
    }

    /// Whether every scalar is finite (no NaN, no ±Inf).
    public var isFinite: Bool { scalars.allSatisfy { $0.isFinite } }
}

/// Matrix product of row-major 2-D tensors through BLAS: op(a)·op(b).
public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
    precondition(a.rank == 2 && b.rank == 2, "matmul: needs 2-D tensors, got \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0], k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0], n = transposeB ? b.shape[0] : b.shape[1]
    precondition(k == kb, "matmul: inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
    var c = Tensor(zeros: [m, n])
    a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            c.scalars.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(transposeA ? .transpose : .none, transposeB ? .transpose : .none,
                           m: m, n: n, k: k, a: pa.baseAddress!, lda: a.shape[1],
                           b: pb.baseAddress!, ldb: b.shape[1], c: pc.baseAddress!, ldc: n)
            }
        }
    }
    return c
}
