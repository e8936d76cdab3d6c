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
    private let reconnectWindow: Double

    /// Creates a context for `job` whose fenced writes go through `db` (the handler thread's connection).
    /// `leaseSeconds` bounds how long a read or write keeps reconnecting after the connection broke: the heartbeat
    /// keeps the lease meanwhile, and once that long has passed without a working connection the lease may be gone.
    public init(job: ClaimedJob, db: PostgresConnection, logger: Logger, leaseSeconds: Double = 30) {
        self.job = job
        self.db = db
        self.reconnectWindow = leaseSeconds
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
    ///
    /// A lost connection (a server restart, a terminated backend) does not fail the attempt: the context
    /// reconnects and runs the transaction again while the lease may still be held (up to a lease's time), so
    /// `body` may run more than once and must write idempotently (keyed upserts, as `ResultsStore` does). When
    /// the connection broke during the commit, the job's state tells whether it landed.
    /// - Throws: `LeaseLost` when the lease is no longer this worker's (nothing written), `JobCancelled` when the
    ///   job was cancelled, what `body` throws (rolled back), or the connection error once reconnecting failed for
    ///   a lease's time.
    @discardableResult
    public func withFencedTransaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try checkCancelled()
        var produced: T?
        do {
            let value = try retryingLostConnections("a fenced transaction") { isRetry in
                if isRetry, let produced, try committedEarlier() { return produced }
                return try JobQueue(db).withFencedCompletion(job: job.id, token: job.leaseToken) { tx in
                    let value = try body(tx)
                    produced = value
                    return value
                }
            }
            lock.withLock { completed = true }
            return value
        } catch let lost as LeaseLost {
            // The lease may have ended because the job was cancelled; say so when we know it.
            if let stop = lock.withLock({ stop }) { throw stop }
            throw lost
        }
    }

    /// Runs `body`'s writes in one transaction guarded by (job id, lease token) without finishing the job: for
    /// per-epoch metrics and periodic checkpoints. Must be called from the handler's own thread. A lost connection
    /// is retried as in ``withFencedTransaction(_:)``, so `body` may run more than once: write idempotently.
    /// - Throws: `LeaseLost` or `JobCancelled` (nothing written), what `body` throws (rolled back), or the
    ///   connection error once reconnecting failed for a lease's time.
    @discardableResult
    public func withFencedWrite<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try checkCancelled()
        do {
            return try retryingLostConnections("a fenced write") { _ in
                try JobQueue(db).withFencedLease(job: job.id, token: job.leaseToken, body)
            }
        } catch let lost as LeaseLost {
            if let stop = lock.withLock({ stop }) { throw stop }
            throw lost
        }
    }

    /// Runs `body`'s reads after checking the lease, without a transaction or a row lock (so the heartbeat is never
    /// blocked). Must be called from the handler's own thread. A lost connection is retried (reconnecting) for up
    /// to a lease's time.
    /// - Throws: `LeaseLost` or `JobCancelled`, or what `body` throws.
    @discardableResult
    public func withLeaseCheckedRead<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try checkCancelled()
        return try retryingLostConnections("a read") { _ in
            try JobQueue(db).withLeaseCheck(job: job.id, token: job.leaseToken, body)
        }
    }

    /// Runs `operation`, and after a connection failure reconnects and runs it again (`isRetry` true) until it
    /// succeeds, the heartbeat reports the job stopped (lease lost, cancelled, released), or a lease's time has
    /// passed since the first failure.
    private func retryingLostConnections<T>(_ what: String, _ operation: (_ isRetry: Bool) throws -> T) throws -> T {
        var deadline: Date?
        var delay = 0.05
        var isRetry = false
        while true {
            do {
                if isRetry { try db.reconnectIfNeeded() }
                let value = try operation(isRetry)
                if isRetry { logger.info("reconnected; \(what) went through") }
                return value
            } catch let error as PostgresError where error.isConnectionFailure {
                if let stop = stopReason { throw stop }
                let limit = deadline ?? Date().addingTimeInterval(reconnectWindow)
                deadline = limit
                guard Date() < limit else { throw error }
                if !isRetry {
                    logger.warning("database connection lost during \(what) (\(error.message)); reconnecting")
                }
                isRetry = true
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 1)
            }
        }
    }

    /// Whether the job already succeeded under this lease: a commit whose answer the lost connection swallowed.
    private func committedEarlier() throws -> Bool {
        try JobQueue(db).job(job.id).map { $0.state == .succeeded && $0.leaseToken == job.leaseToken } ?? false
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
