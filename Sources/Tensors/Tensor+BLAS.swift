// The only file of the Tensors module that imports the OpenBLAS shim.
import COpenBLAS
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether a GEMM operand is used as stored or transposed.
public enum Transpose: Sendable {
    /// Use the operand as stored.
    case none
    /// Use the transpose of the operand.
    case transposed

    fileprivate var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Matrix products through OpenBLAS `cblas_sgemm` (row-major), with optional time accounting for benchmarks.
public enum BLAS {
    private static let profiling = Atomic<Bool>(false)
    private static let gemmNanoseconds = Atomic<UInt64>(0)
    private static let parallelGEMMNanoseconds = Atomic<UInt64>(0)
    private static let gemmFlops = Atomic<UInt64>(0)

    /// Turns GEMM time and FLOP accounting on or off (off by default; costs two clock reads per call when on).
    public static func setProfiling(_ enabled: Bool) { profiling.store(enabled, ordering: .relaxed) }

    /// Thread-nanoseconds spent in direct `gemm` calls (summed over the threads that made them) since the last
    /// `resetProfile()` (profiling on only). Calls made concurrently from `Parallel` workers add up, so divide by
    /// the worker count for an estimate of wall time.
    public static var profiledGEMMNanoseconds: UInt64 { gemmNanoseconds.load(ordering: .relaxed) }

    /// Wall-clock nanoseconds spent in `gemmParallel` calls (each call timed as a whole, split or not) since the
    /// last reset (profiling on only). `Tensor.matmul` goes through `gemmParallel`.
    public static var profiledParallelGEMMNanoseconds: UInt64 { parallelGEMMNanoseconds.load(ordering: .relaxed) }

    /// Floating-point operations (2·m·n·k per call) issued to `cblas_sgemm` since the last reset (profiling on).
    public static var profiledGEMMFlops: UInt64 { gemmFlops.load(ordering: .relaxed) }

    /// Zeroes the GEMM time and FLOP counters.
    public static func resetProfile() {
        gemmNanoseconds.store(0, ordering: .relaxed)
        parallelGEMMNanoseconds.store(0, ordering: .relaxed)
        gemmFlops.store(0, ordering: .relaxed)
    }

    /// Monotonic clock in nanoseconds.
    public static func nowNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Row-major `C ← α·op(A)·op(B) + β·C` with `op(A)` of shape `[m, k]`, `op(B)` `[k, n]`, `C` `[m, n]`.
    ///
    /// - Parameters:
    ///   - lda, ldb, ldc: row strides (in elements) of A, B and C as stored, so sub-matrices of wider buffers
    ///     (e.g. one head's columns of a fused QKV matrix) can be used in place.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        GEMMTrace.record(GEMMCall(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
                                  beta: beta, parallel: false))
        rawGEMM(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                c: c, ldc: ldc, profile: profiling.load(ordering: .relaxed))
    }

    static func rawGEMM(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int, profile: Bool
    ) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        let start = profile ? nowNanoseconds() : 0
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, blasint(m), blasint(n), blasint(k), alpha,
                    a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        if profile {
            gemmNanoseconds.add(nowNanoseconds() - start, ordering: .relaxed)
            gemmFlops.add(UInt64(2 * m * n * k), ordering: .relaxed)
        }
    }
}

extension BLAS {
    /// Set once, lazily: OpenBLAS runs one thread per call because `gemmParallel` splits work itself.
    private static let singleThreadedOpenBLAS: Void = { openblas_set_num_threads(1) }()

    /// Switches OpenBLAS to one thread per call now (when `Parallel.workerCount > 1`), as the first parallel GEMM
    /// would; call it before logging `BLASInfo.summary` so the log shows the thread count actually used.
    public static func prepareForParallelWorkers() {
        if Parallel.workerCount > 1 { _ = singleThreadedOpenBLAS }
    }

    /// Like `gemm`, but a large product is split across `Parallel.workerCount` workers: along the rows of C when
    /// `m ≥ n`, else along its columns; each part is one single-threaded `cblas_sgemm` computing whole dot
    /// products, so the result does not depend on timing. The first parallel call sets OpenBLAS to one thread
    /// (process wide) so library workers and OpenBLAS threads never oversubscribe the cores.
    public static func gemmParallel(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        GEMMTrace.record(GEMMCall(transA: transA, transB: transB, m: m, n: n, k: k, lda: lda, ldb: ldb, ldc: ldc,
                                  beta: beta, parallel: true))
        let profile = profiling.load(ordering: .relaxed)
        let start = profile ? nowNanoseconds() : 0
        defer {
            if profile {
                parallelGEMMNanoseconds.add(nowNanoseconds() - start, ordering: .relaxed)
                gemmFlops.add(UInt64(2 * m * n * k), ordering: .relaxed)
            }
        }
        if Parallel.workerCount <= 1 || m * n * k < 1 << 18 {
            rawGEMM(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta,
                    c: c, ldc: ldc, profile: false)
            return
        }
        _ = singleThreadedOpenBLAS
        let pointers = UncheckedSendable((a, b, c))
        if m >= n {
            Parallel.forEachChunk(m, minimumChunk: 16) { rows in
                let (a, b, c) = pointers.value
                let aStart = transA == .none ? a + rows.lowerBound * lda : a + rows.lowerBound
                rawGEMM(transA, transB, m: rows.count, n: n, k: k, alpha: alpha, a: aStart, lda: lda, b: b, ldb: ldb,
                        beta: beta, c: c + rows.lowerBound * ldc, ldc: ldc, profile: false)
            }
        } else {
            Parallel.forEachChunk(n, minimumChunk: 16) { columns in
                let (a, b, c) = pointers.value
                let bStart = transB == .none ? b + columns.lowerBound : b + columns.lowerBound * ldb
                rawGEMM(transA, transB, m: m, n: columns.count, k: k, alpha: alpha, a: a, lda: lda, b: bStart,
                        ldb: ldb, beta: beta, c: c + columns.lowerBound, ldc: ldc, profile: false)
            }
        }
    }
}

extension Tensor {
    /// Matrix product of the matrix views: `C ← α·op(A)·op(B) + β·C`, `op(A)` `[m, k]`, `op(B)` `[k, n]`.
    /// Large products run on `Parallel.workerCount` workers (see `BLAS.gemmParallel`).
    ///
    /// `c` must already have `m·n` elements (its shape is set to `[m, n]` unless it already is `m` rows of a
    /// rank-3 layout with the same count). With `beta = 0` the old contents of `c` are ignored.
    public static func matmul(
        _ a: Tensor, _ transA: Transpose = .none, _ b: Tensor, _ transB: Transpose = .none,
        alpha: Float = 1, beta: Float = 0, into c: inout Tensor
    ) {
        let (ar, ac) = (a.rows, a.columns)
        let (br, bc) = (b.rows, b.columns)
        let (m, k) = transA == .none ? (ar, ac) : (ac, ar)
        let (k2, n) = transB == .none ? (br, bc) : (bc, br)
        precondition(k == k2, "Tensor.matmul: inner extents differ (\(a.shape) \(transA), \(b.shape) \(transB))")
        precondition(c.count == m * n, "Tensor.matmul: output has \(c.count) elements, expected \(m)×\(n)")
        if c.rows != m || c.columns != n { c.shape = [m, n] }
        if c.count == 0 { return }
        if a.count == 0 || b.count == 0 {
            if beta == 0 { c.fill(0) } else { c.scale(by: beta) }
            return
        }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemmParallel(transA, transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: ac,
                              b: pb.baseAddress!, ldb: bc, beta: beta, c: pc.baseAddress!, ldc: n)
                }
            }
        }
    }

    /// The matrix product `op(A)·op(B)` as a new `[m, n]` tensor.
    public static func matmul(_ a: Tensor, _ transA: Transpose = .none, _ b: Tensor,
                              _ transB: Transpose = .none) -> Tensor {
        let m = transA == .none ? a.rows : a.columns
        let n = transB == .none ? b.columns : b.rows
        var c = Tensor(uninitialized: [m, n])
        matmul(a, transA, b, transB, into: &c)
        return c
    }
}

/// What OpenBLAS runs: its kernel (core) name, thread count and build configuration.
public enum BLASInfo {
    /// The OpenBLAS core name in use, e.g. `SkylakeX` or `Prescott` (the slow generic fallback).
    /// Set `OPENBLAS_CORETYPE` in the environment before the process starts to choose another.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// The number of threads OpenBLAS uses for a large GEMM.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The OpenBLAS build configuration string.
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// Sets the OpenBLAS thread count (process wide). Results are reproducible for a fixed thread count.
    public static func setThreadCount(_ count: Int) { openblas_set_num_threads(Int32(count)) }

    /// One line for start-up logs: `OpenBLAS core=SkylakeX threads=1 workers=2 config=…` (threads: OpenBLAS's own
    /// per call; workers: `Parallel.workerCount`, across which large GEMMs and kernels are split).
    public static var summary: String {
        "OpenBLAS core=\(coreName) threads=\(threadCount) workers=\(Parallel.workerCount) config=\(configuration)"
    }
}
