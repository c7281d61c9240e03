// Lowering of 2-D convolutions onto matrix products, and the block-parallel GEMM that runs them.
//
// Layout: images are NCHW. A "column matrix" for a batch is row-major [C·kh·kw, N·P] with
// P = outputHeight·outputWidth: row r = (c, i, j) holds, for every image n and output position p,
// the input pixel that kernel tap (i, j) of channel c sees at p (0 where it falls in the padding).
// Image n occupies columns n·P ..< (n+1)·P, so chunks of images can be lowered in parallel.

/// Geometry of a 2-D convolution window.
public struct ConvolutionGeometry: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var kernelHeight: Int
    public var kernelWidth: Int
    public var stride: Int
    public var padding: Int
    public var outputHeight: Int
    public var outputWidth: Int

    /// `outputHeight = (height + 2·padding - kernelHeight)/stride + 1` (and the same for widths).
    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int) {
        precondition(channels > 0 && height > 0 && width > 0 && kernelHeight > 0 && kernelWidth > 0 && stride > 0 && padding >= 0,
                     "ConvolutionGeometry: invalid c=\(channels) h=\(height) w=\(width) k=\(kernelHeight)x\(kernelWidth) s=\(stride) p=\(padding)")
        self.channels = channels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.padding = padding
        outputHeight = (height + 2 * padding - kernelHeight) / stride + 1
        outputWidth = (width + 2 * padding - kernelWidth) / stride + 1
        precondition(outputHeight > 0 && outputWidth > 0,
                     "ConvolutionGeometry: kernel \(kernelHeight)x\(kernelWidth) larger than padded input \(height)x\(width)+2·\(padding)")
    }

    /// Geometry where the output size is given (transposed convolutions: the "input" of the
    /// equivalent convolution is the transposed convolution's output, which may carry output padding).
    public init(channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int,
                outputHeight: Int, outputWidth: Int) {
        self.channels = channels; self.height = height; self.width = width
        self.kernelHeight = kernelHeight; self.kernelWidth = kernelWidth
        self.stride = stride; self.padding = padding
        self.outputHeight = outputHeight; self.outputWidth = outputWidth
    }

    /// Rows of the column matrix: C·kh·kw.
    public var patchSize: Int { channels * kernelHeight * kernelWidth }
    /// Output positions per image: P.
    public var positions: Int { outputHeight * outputWidth }
    /// Scalars of one input image: C·H·W.
    public var imageSize: Int { channels * height * width }
}

public enum Im2Col {
    /// Writes the columns of one image into `columns` (column matrix row stride `ld`, the image's
    /// first column at `columns`). - Complexity: O(C·kh·kw·P).
    public static func lower(_ image: UnsafePointer<Float>, _ g: ConvolutionGeometry,
                             into columns: UnsafeMutablePointer<Float>, ld: Int) {
        let oh = g.outputHeight, ow = g.outputWidth, s = g.stride, p = g.padding
        for c in 0..<g.channels {
            let plane = image + c * g.height * g.width
            for ki in 0..<g.kernelHeight {
                for kj in 0..<g.kernelWidth {
                    let row = columns + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * ld
                    // Output columns ow0..<ow1 read inside the image: 0 ≤ ow·s - p + kj < W.
                    let first = max(0, (p - kj + s - 1) / s)
                    let reach = g.width - 1 + p - kj
                    let last = reach < 0 ? 0 : min(ow, reach / s + 1) // exclusive
                    for y in 0..<oh {
                        let out = row + y * ow
                        let ih = y * s - p + ki
                        if ih < 0 || ih >= g.height || first >= last {
                            out.update(repeating: 0, count: ow)
                            continue
                        }
                        let source = plane + ih * g.width - p + kj
                        if first > 0 { out.update(repeating: 0, count: first) }
                        if s == 1 {
                            (out + first).update(from: source + first, count: last - first)
                        } else {
                            for x in first..<last { out[x] = source[x * s] }
                        }
                        if last < ow { (out + last).update(repeating: 0, count: ow - last) }
                    }
                }
            }
        }
    }

    /// Adds the columns of one image back onto `image` (the adjoint of `lower`): every column
    /// entry is added to the input pixel it was read from; padding entries are dropped.
    public static func accumulate(_ columns: UnsafePointer<Float>, ld: Int, _ g: ConvolutionGeometry,
                                  into image: UnsafeMutablePointer<Float>) {
        let oh = g.outputHeight, ow = g.outputWidth, s = g.stride, p = g.padding
        for c in 0..<g.channels {
            let plane = image + c * g.height * g.width
            for ki in 0..<g.kernelHeight {
                for kj in 0..<g.kernelWidth {
                    let row = columns + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * ld
                    let first = max(0, (p - kj + s - 1) / s)
                    let reach = g.width - 1 + p - kj
                    let last = reach < 0 ? 0 : min(ow, reach / s + 1)
                    if first >= last { continue }
                    for y in 0..<oh {
                        let ih = y * s - p + ki
                        if ih < 0 || ih >= g.height { continue }
                        let input = row + y * ow
                        let target = plane + ih * g.width - p + kj
                        if s == 1 {
                            for x in first..<last { target[x] += input[x] }
                        } else {
                            for x in first..<last { target[x * s] += input[x] }
                        }
                    }
                }
            }
        }
    }

    /// NCHW → channel-major [C, N·P] for images `images` (P = plane size), row stride `ld` = N·P.
    public static func toChannelMajor(_ source: UnsafePointer<Float>, channels: Int, plane: Int,
                                      images: Range<Int>, into destination: UnsafeMutablePointer<Float>, ld: Int) {
        for n in images {
            for c in 0..<channels {
                (destination + c * ld + n * plane).update(from: source + (n * channels + c) * plane, count: plane)
            }
        }
    }

    /// Channel-major [C, N·P] → NCHW for images `images`, optionally adding a per-channel bias.
    public static func fromChannelMajor(_ source: UnsafePointer<Float>, ld: Int, channels: Int, plane: Int,
                                        images: Range<Int>, bias: UnsafePointer<Float>?,
                                        into destination: UnsafeMutablePointer<Float>) {
        for n in images {
            for c in 0..<channels {
                let out = destination + (n * channels + c) * plane
                let input = source + c * ld + n * plane
                if let bias {
                    let b = bias[c]
                    for i in 0..<plane { out[i] = input[i] + b }
                } else {
                    out.update(from: input, count: plane)
                }
            }
        }
    }
}

/// Matrix products split into blocks of the output run on all cores, each block one
/// single-threaded BLAS call. The inner (k) sum is never split, and the blocks depend on the
/// product's size only (BLAS may round an element differently at another place in another block),
/// so results depend neither on scheduling nor on the number of cores.
public enum ParallelGEMM {
    /// Output blocks for a product of m·n·k multiply-adds: one below 2^18, else one per 4 Mi
    /// (at least 2, at most 4: on 2 cores each block is a BLAS call that packs its operands again;
    /// 8 blocks cost about 9 % of a conv epoch against 2, 4 blocks were within the noise).
    public static func blockCount(work: Int) -> Int {
        work < 1 << 18 ? 1 : min(4, max(2, work >> 22))
    }

    /// C ← alpha·op(A)·op(B) + beta·C (row-major, as `BLAS.sgemm`), split along the larger of m, n.
    public static func sgemm(
        _ transA: BLAS.Transpose, _ transB: BLAS.Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        run(blocks(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                   beta: beta, c: c, ldc: ldc))
    }

    /// The blocks `sgemm` would run for this product, as closures (one single-threaded BLAS call
    /// each), so that the blocks of several independent products can share one parallel region
    /// (`run`) with exactly the bits of running each product through `sgemm`.
    public static func blocks(
        _ transA: BLAS.Transpose, _ transB: BLAS.Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) -> [() -> Void] {
        let blocks = blockCount(work: m * n * k)
        if blocks <= 1 {
            return [{
                BLAS.sgemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb,
                           beta: beta, c: c, ldc: ldc)
            }]
        }
        if n >= m {
            // Split columns of C: B's columns (rows of Bᵀ) move with them. Blocks aligned to 16.
            return alignedRanges(n, blocks: blocks, alignment: 16).map { r in
                let bOffset = transB == .none ? r.lowerBound : r.lowerBound * ldb
                return {
                    BLAS.sgemm(transA, transB, m: m, n: r.count, k: k, alpha: alpha, a: a, lda: lda,
                               b: b + bOffset, ldb: ldb, beta: beta, c: c + r.lowerBound, ldc: ldc)
                }
            }
        } else {
            return alignedRanges(m, blocks: blocks, alignment: 16).map { r in
                let aOffset = transA == .none ? r.lowerBound * lda : r.lowerBound
                return {
                    BLAS.sgemm(transA, transB, m: r.count, n: n, k: k, alpha: alpha, a: a + aOffset, lda: lda,
                               b: b, ldb: ldb, beta: beta, c: c + r.lowerBound * ldc, ldc: ldc)
                }
            }
        }
    }

    /// Runs independent tasks (blocks of products writing disjoint memory) on all cores, in one
    /// parallel region; serially when there is one.
    public static func run(_ tasks: [() -> Void]) {
        if tasks.count == 1 { tasks[0](); return }
        Parallel.forEach(tasks.count) { tasks[$0]() }
    }

    /// 0..<count in at most `blocks` contiguous ranges whose boundaries are multiples of `alignment`.
    static func alignedRanges(_ count: Int, blocks: Int, alignment: Int) -> [Range<Int>] {
        let units = (count + alignment - 1) / alignment
        return Parallel.ranges(units, maxChunks: blocks).map {
            ($0.lowerBound * alignment)..<min(count, $0.upperBound * alignment)
        }.filter { !$0.isEmpty }
    }
}
