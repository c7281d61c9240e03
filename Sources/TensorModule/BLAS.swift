// The ONE file of the package that calls BLAS: OpenBLAS on Linux, Accelerate on Apple platforms.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Thin, shape-checked wrappers over the BLAS routines LatentOT uses. All matrices are row-major.
public enum BLAS {
    /// Whether an operand is used as stored or transposed.
    public enum Transpose: Sendable {
        case none, transpose
        #if canImport(Accelerate)
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
        #else
        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
        #endif
    }

    /// C ← alpha·op(A)·op(B) + beta·C, with op(A) m×k, op(B) k×n and C m×n, all row-major.
    /// `lda`, `ldb`, `ldc` are the row strides of the stored matrices.
    @inline(__always)
    public static func sgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "sgemm: negative size m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Double-precision C ← alpha·op(A)·op(B) + beta·C (row-major), for gradient checks and statistics.
    @inline(__always)
    public static func dgemm(
        _ transA: Transpose, _ transB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Double = 1, a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        beta: Double = 0, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "dgemm: negative size m=\(m) n=\(n) k=\(k)")
        if m == 0 || n == 0 { return }
        _ = singleThreaded
        cblas_dgemm(CblasRowMajor, transA.cblas, transB.cblas,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y ← alpha·op(A)·x + beta·y with A m×n row-major.
    @inline(__always)
    public static func sgemv(
        _ trans: Transpose, m: Int, n: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        beta: Float = 0, y: UnsafeMutablePointer<Float>
    ) {
        if m == 0 || n == 0 { return }
        _ = singleThreaded
        cblas_sgemv(CblasRowMajor, trans.cblas, Int32(m), Int32(n), alpha, a, Int32(lda), x, 1, beta, y, 1)
    }

    /// OpenBLAS runs every call on one thread, set once before the first call: LatentOT splits work
    /// over the cores itself (`ParallelGEMM`, `Parallel`) by the problem's size, so results depend
    /// neither on OpenBLAS's own thread count nor on the machine, and two levels of threading never
    /// compete for the cores.
    private static let singleThreaded: Bool = {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
        return true
    }()

    /// Threads OpenBLAS may use inside one call: 1 (see `singleThreaded`). Only the benchmarks set
    /// it, to time multi-threaded OpenBLAS as a baseline. No-op with Accelerate.
    public static var threadCount: Int {
        get {
            _ = singleThreaded
            #if canImport(Accelerate)
            return 1
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            _ = singleThreaded
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(max(1, newValue)))
            #endif
        }
    }
}
