import Foundation
import Logging
import Postgres

/// What a running handler sees: its job, cancellation, progress reporting and fenced writes.
///
/// `checkCancelled()`, `isCancelled` and `reportProgress` only touch memory, so a training loop can call them every
/// step; the heartbeat thread sends the latest progress with each lease renewal and sets the cancellation flag
/// from the database's answer. `withFencedTransaction` must be called from the handler's own thread.
public final class JobContext: @unchecked Sendable {
    /// The job, with its lease token.
    public let job: ClaimedJob
    /// A logger carrying the job's id and kind.
    public let logger: Logger

    private let lock = NSLock()
    private var stop: (any Error)?
    private var latestProgress: (fraction: Double, message: String?)?
    private var progressDirty = false
    private var completed = false
    private let db: PostgresConnection

    /// Creates a context for `job` whose fenced writes go through `db` (the handler thread's connection).
    public init(job: ClaimedJob, db: PostgresConnection, logger: Logger) {
        self.job = job
        self.db = db
        var logger = logger
        logger[metadataKey: "job"] = "\(job.id)"
        logger[metadataKey: "kind"] = "\(job.kind)"
        self.logger = logger
    }

    /// Whether the job was cancelled, its lease lost, or it was released because the worker is stopping.
    public var isCancelled: Bool { lock.withLock { stop != nil } }

    /// Throws when the handler should stop: `JobCancelled`, `LeaseLost` or `JobReleased`. Cheap: no database call.
    public func checkCancelled() throws {
        if let stop = lock.withLock({ stop }) { throw stop }
    }

    /// Records progress (clamped to 0...1); the heartbeat thread writes the latest value with its next renewal.
    public func reportProgress(_ fraction: Double, _ message: String? = nil) {
        let clamped = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        lock.withLock {
            latestProgress = (clamped, message)
            progressDirty = true
        }
    }

    /// Runs `body`'s writes and the job's `succeeded` transition in one transaction guarded by (job id, lease
    /// token). After it returns the job has succeeded; the handler should return.
    /// - Throws: `LeaseLost` when the lease is no longer this worker's (nothing written), `JobCancelled` when the
    ///   job was cancelled, or what `body` throws (rolled back).
    @discardableResult
    public func withFencedTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try checkCancelled()
        do {
            let value = try JobQueue(db).withFencedCompletion(job: job.id, token: job.leaseToken, body)
            lock.withLock { completed = true }
            return value
        } catch let lost as LeaseLost {
            // The lease may have ended because the job was cancelled; say so when we know it.
            if let stop = lock.withLock({ stop }) { throw stop }
            throw lost
        }
    }

    /// Runs `body`'s writes in one transaction guarded by (job id, lease token) without finishing the job: for
    /// per-epoch metrics and periodic checkpoints. Must be called from the handler's own thread.
    /// - Throws: `LeaseLost` or `JobCancelled` (nothing written), or what `body` throws (rolled back).
    @discardableResult
    public func withFencedWrite<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try checkCancelled()
        do {
            return try JobQueue(db).withFencedLease(job: job.id, token: job.leaseToken, body)
        } catch let lost as LeaseLost {
            if let stop = lock.withLock({ stop }) { throw stop }
            throw lost
        }
    }

    /// Runs `body`'s reads after checking the lease, without a transaction or a row lock (so the heartbeat is never
    /// blocked). Must be called from the handler's own thread.
    /// - Throws: `LeaseLost` or `JobCancelled`, or what `body` throws.
    @discardableResult
    public func withLeaseCheckedRead<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try checkCancelled()
        return try JobQueue(db).withLeaseCheck(job: job.id, token: job.leaseToken, body)
    }

    /// Whether `withFencedTransaction` committed.
    public var isCompleted: Bool { lock.withLock { completed } }

    /// Takes the progress reported since the last call, if any (for the heartbeat).
    func takeProgress() -> (fraction: Double, message: String?)? {
        lock.withLock {
            guard progressDirty else { return nil }
            progressDirty = false
            return latestProgress
        }
    }

    /// Asks the handler to stop with `reason`; the first reason wins.
    func requestStop(_ reason: any Error) {
        lock.withLock { if stop == nil { stop = reason } }
    }

    /// The reason the handler was asked to stop, if any.
    var stopReason: (any Error)? { lock.withLock { stop } }
}
