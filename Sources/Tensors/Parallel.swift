import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value passed to concurrent workers without a `Sendable` check: used only for raw pointers into buffers
/// that the workers write at disjoint offsets, inside the `with…` closure that owns them.
public struct UncheckedSendable<Value>: @unchecked Sendable {
    /// The wrapped value.
    public let value: Value
    /// Wraps `value`.
    public init(_ value: Value) { self.value = value }
}

/// Data-parallel helpers over a fixed number of workers (default: the online CPU count).
///
/// Work is split into chunks whose boundaries depend only on the problem size and `workerCount`, never on
/// timing, so results are reproducible for a fixed worker count. When the library parallelises itself this
/// way it also keeps OpenBLAS single-threaded (see `BLAS.gemmParallel`), so the two never oversubscribe.
public enum Parallel {
    private static let workers = Atomic<Int>(Parallel.onlineCPUs())

    /// The online CPU count.
    public static func onlineCPUs() -> Int { Swift.max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

    /// A per-task override of the worker count (see `withWorkerCount`).
    @TaskLocal static var workerCountOverride: Int?

    /// The number of workers used by `forEachChunk` and `BLAS.gemmParallel`: the current task's override if
    /// any, else the process-wide setting.
    public static var workerCount: Int { workerCountOverride ?? workers.load(ordering: .relaxed) }

    /// Sets the process-wide worker count (at least 1). Results are bit-reproducible for a fixed worker count.
    public static func setWorkerCount(_ count: Int) { workers.store(Swift.max(1, count), ordering: .relaxed) }

    /// Runs `body` with `count` workers for the calling task only (other tasks and threads keep theirs).
    public static func withWorkerCount<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        try $workerCountOverride.withValue(Swift.max(1, count)) { try body() }
    }

    /// Splits `0..<count` into at most `workerCount` contiguous ranges of at least `minimumChunk` elements and
    /// runs `body` on each, concurrently when there is more than one. Ranges are disjoint and cover `0..<count`.
    public static func forEachChunk(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = Swift.min(workerCount, Swift.max(1, count / Swift.max(minimumChunk, 1)))
        if chunks <= 1 || count <= 1 {
            if count > 0 { body(0..<count) }
            return
        }
        withoutActuallyEscaping(body) { escapable in
            let shared = UncheckedSendable(escapable)
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                let lower = chunk * count / chunks
                let upper = (chunk + 1) * count / chunks
                shared.value(lower..<upper)
            }
        }
    }
}
