import Synchronization

/// One `cblas_sgemm` call as issued by a training step: its shape and operand strides, without the data.
/// A step's calls, replayed alone on scratch buffers (`GEMMTrace.replay`), time the step's GEMM work by itself:
/// the bound the rest of the step (attention's softmax, norms, activations, optimiser) is measured against.
public struct GEMMCall: Sendable, Equatable {
    /// Whether A and B are used transposed.
    public var transA, transB: Transpose
    /// `op(A)` `[m, k]`, `op(B)` `[k, n]`, `C` `[m, n]`.
    public var m, n, k: Int
    /// Row strides of A, B and C as stored.
    public var lda, ldb, ldc: Int
    /// `C ← α·op(A)·op(B) + β·C`: β (0 or 1 in the library).
    public var beta: Float
    /// Whether the call went through `BLAS.gemmParallel` (split across the workers) rather than `BLAS.gemm`
    /// (one call made inside a worker, e.g. one head of one sequence in attention).
    public var parallel: Bool

    /// Elements of A, B and C the call reads or writes, from its shape and strides.
    var extents: (a: Int, b: Int, c: Int) {
        let a = transA == .none ? (m - 1) * lda + k : (k - 1) * lda + m
        let b = transB == .none ? (k - 1) * ldb + n : (n - 1) * ldb + k
        return (a, b, (m - 1) * ldc + n)
    }

    /// `2·m·n·k`.
    public var flops: Int { 2 * m * n * k }
}

/// Records the GEMM calls of a stretch of work (one training step) and replays them alone, for benchmarks.
///
/// Recording is off by default and costs one atomic load per call when off. Direct calls made concurrently by
/// workers are recorded in completion order, which does not matter for replay: the replay runs each maximal run
/// of consecutive direct calls split across `Parallel.workerCount` workers (as the layers that issue them do) and
/// each parallel call through `BLAS.gemmParallel`.
public enum GEMMTrace {
    private static let recording = Atomic<Bool>(false)
    private static let calls = Mutex<[GEMMCall]>([])

    /// Starts recording (clearing any earlier record).
    public static func start() {
        calls.withLock { $0.removeAll() }
        recording.store(true, ordering: .relaxed)
    }

    /// Stops recording and returns the calls recorded since `start()`.
    public static func stop() -> [GEMMCall] {
        recording.store(false, ordering: .relaxed)
        return calls.withLock { $0 }
    }

    /// Appends `call` when recording.
    static func record(_ call: @autoclosure () -> GEMMCall) {
        guard recording.load(ordering: .relaxed) else { return }
        let value = call()
        calls.withLock { $0.append(value) }
    }

    /// Runs `calls` (from `stop()`) `repetitions` times on scratch operands filled with small non-zero values and
    /// returns the wall-clock nanoseconds per repetition. The operands stay the same across calls, so they tend to
    /// be in cache: a lower bound on the step's GEMM time rather than an exact share of it.
    public static func replay(_ calls: [GEMMCall], repetitions: Int = 1) -> Double {
        guard !calls.isEmpty, repetitions > 0 else { return 0 }
        var sizeA = 1, sizeB = 1, sizeC = 1
        for call in calls where call.m > 0 && call.n > 0 && call.k > 0 {
            let e = call.extents
            (sizeA, sizeB, sizeC) = (Swift.max(sizeA, e.a), Swift.max(sizeB, e.b), Swift.max(sizeC, e.c))
        }
        let workers = Parallel.workerCount
        let a = UnsafeMutablePointer<Float>.allocate(capacity: sizeA)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: sizeB)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: sizeC * workers)  // one C per worker for direct calls
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<sizeA { a[i] = Float(i % 7 + 1) * 0.01 }
        for i in 0..<sizeB { b[i] = Float(i % 5 + 1) * 0.01 }
        for i in 0..<(sizeC * workers) { c[i] = 0 }
        // Maximal runs of direct calls, each replayed as one parallel loop over its calls.
        var groups: [(parallel: Bool, range: Range<Int>)] = []
        var index = 0
        while index < calls.count {
            var end = index + 1
            if !calls[index].parallel { while end < calls.count && !calls[end].parallel { end += 1 } }
            groups.append((calls[index].parallel, index..<end))
            index = end
        }
        let pointers = UncheckedSendable((UnsafePointer(a), UnsafePointer(b), c))
        let start = BLAS.nowNanoseconds()
        for _ in 0..<repetitions {
            for group in groups {
                if group.parallel {
                    let call = calls[group.range.lowerBound]
                    BLAS.gemmParallel(call.transA, call.transB, m: call.m, n: call.n, k: call.k, a: a, lda: call.lda,
                                      b: b, ldb: call.ldb, beta: call.beta, c: c, ldc: call.ldc)
                    continue
                }
                let chunks = Swift.min(workers, group.range.count)
                let first = group.range.lowerBound
                Parallel.forEachChunk(chunks) { part in
                    let (a, b, c) = pointers.value
                    for chunk in part {
                        let lower = first + chunk * group.range.count / chunks
                        let upper = first + (chunk + 1) * group.range.count / chunks
                        for call in calls[lower..<upper] {
                            BLAS.gemm(call.transA, call.transB, m: call.m, n: call.n, k: call.k, a: a, lda: call.lda,
                                      b: b, ldb: call.ldb, beta: call.beta, c: c + chunk * sizeC, ldc: call.ldc)
                        }
                    }
                }
            }
        }
        return Double(BLAS.nowNanoseconds() - start) / Double(repetitions)
    }
}
