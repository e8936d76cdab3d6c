import Foundation
import Logging
import Postgres

/// The heartbeat thread of a worker: renews the lease of the job the worker runs, flushes its latest progress,
/// and tells the handler to stop when the job was cancelled or the lease lost. It owns its own connection, so a
/// handler that keeps the worker's connection busy (or a long result transaction) never delays a renewal.
///
/// With prefetching (`WorkerOptions.prefetch`) it also holds the jobs claimed with the running one that wait their
/// turn: when the running job reaches its first renewal (it has run a heartbeat interval), it releases them to the
/// queue (fenced, attempt given back), so a long job never keeps other jobs from other workers.
///
/// It also holds the completions of prefetched jobs that finished before the running one (the worker sends them
/// with its next claim): at the running job's first renewal it completes them itself (fenced), so a long job never
/// leaves finished jobs running for longer than a heartbeat interval.
///
/// On shutdown with a job still running after the grace period, it releases the job to the queue (without
/// spending an attempt), asks the handler to stop, and calls `onAbandon` when the handler does not return within
/// `abandonAfter` seconds (a CPU-bound handler that never checks for cancellation).
final class Heartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var context: JobContext?
    private var nextBeat = Date.distantFuture
    private var releaseAt: Date?
    private var releasedJob: Int64?
    /// Prefetched jobs waiting their turn, and when they were claimed.
    private var held: [ClaimedJob] = []
    private var heldSince = Date.distantPast
    /// Finished jobs to complete at the running job's first renewal, what such a completion found (id → whether
    /// this lease completed it), and whether one is being sent now.
    private var deferred: [(id: Int64, token: UUID)] = []
    private var deferredResults: [Int64: Bool] = [:]
    private var completingDeferred = false
    private var running = true
    private let finished = DispatchSemaphore(value: 0)

    private let databaseURL: String?
    private let interval: Double
    private let leaseSeconds: Double
    private let abandonAfter: Double
    private let logger: Logger
    private let onAbandon: (@Sendable () -> Void)?

    /// Creates a heartbeat that renews leases for `leaseSeconds` every `interval` seconds.
    init(databaseURL: String?, interval: Double, leaseSeconds: Double, abandonAfter: Double = 5, logger: Logger,
         onAbandon: (@Sendable () -> Void)?) {
        self.databaseURL = databaseURL
        self.interval = interval
        self.leaseSeconds = leaseSeconds
        self.abandonAfter = abandonAfter
        self.logger = logger
        self.onAbandon = onAbandon
    }

    /// Starts the thread.
    func start() {
        Thread.detachNewThread { [self] in
            loop()
            finished.signal()
        }
    }

    /// Stops the thread and waits for it.
    func stop() {
        condition.withLock {
            running = false
            condition.broadcast()
        }
        finished.wait()
    }

    /// Starts renewing the lease of `context`'s job.
    func watch(_ context: JobContext) {
        condition.withLock {
            self.context = context
            nextBeat = Date().addingTimeInterval(interval)
            condition.broadcast()
        }
    }

    /// Holds prefetched jobs (claimed with the running one) until the worker takes them or a long job makes the
    /// heartbeat release them.
    func hold(_ jobs: [ClaimedJob]) {
        condition.withLock {
            held = jobs
            heldSince = Date()
        }
    }

    /// The next held job, if any was claimed less than `maxAge` seconds ago (its lease then has time left for the
    /// first renewal); older ones are handed back in `stale` for the caller to release.
    func takeHeld(maxAge: Double) -> (next: ClaimedJob?, stale: [ClaimedJob]) {
        condition.withLock {
            guard !held.isEmpty else { return (nil, []) }
            if Date().timeIntervalSince(heldSince) > maxAge {
                defer { held = [] }
                return (nil, held)
            }
            return (held.removeFirst(), [])
        }
    }

    /// Hands over finished jobs (id and lease token) to complete should the job about to run reach its first
    /// renewal; replaces any handed over before.
    func deferCompletions(_ jobs: [(id: Int64, token: UUID)]) {
        condition.withLock {
            deferred = jobs
            deferredResults = [:]
        }
    }

    /// Takes back the deferred completions once the job ran: the outcomes of those the heartbeat completed (id →
    /// whether the lease still held), waiting for a completion in flight; the others are the worker's again.
    func takeDeferredResults() -> [Int64: Bool] {
        condition.withLock {
            while completingDeferred { condition.wait() }
            defer {
                deferred = []
                deferredResults = [:]
            }
            return deferredResults
        }
    }

    /// Takes every held job (for the worker to release when it stops).
    func takeAllHeld() -> [ClaimedJob] {
        condition.withLock {
            defer { held = [] }
            return held
        }
    }

    /// Stops renewing; after this returns the heartbeat no longer acts on the job's behalf.
    func unwatch() {
        condition.withLock {
            context = nil
            condition.broadcast()
        }
    }

    /// Starts the grace period: a job still running after `grace` seconds is released to the queue.
    func beginShutdown(grace: Double) {
        condition.withLock {
            let deadline = Date().addingTimeInterval(max(grace, 0))
            releaseAt = min(releaseAt ?? deadline, deadline)
            condition.broadcast()
        }
    }

    private func loop() {
        // Connected now, beside the worker's own connection, rather than at the first renewal, so a renewal does not
        // wait on a host-name lookup and a new backend (in one container-test run the heartbeat's first lookup of
        // the database host failed only after the lease had run out, and the job was rescued from a live worker).
        // A failure here is retried at the first renewal, as before.
        var db = try? PostgresConnection(url: databaseURL, applicationName: "seqtwins-heartbeat")
        condition.lock()
        while running {
            guard let context else {
                condition.wait()
                continue
            }
            let now = Date()
            if let releaseAt, now >= releaseAt, releasedJob != context.job.id {
                releasedJob = context.job.id
                condition.unlock()
                release(context, db: &db)
                condition.lock()
                let deadline = Date().addingTimeInterval(abandonAfter)
                while running, self.context === context, Date() < deadline { _ = condition.wait(until: deadline) }
                if running, self.context === context {
                    logger.error("handler did not stop after its job was released; abandoning it",
                                 metadata: ["job": "\(context.job.id)"])
                    onAbandon?()
                }
                continue
            }
            let due = min(nextBeat, releaseAt ?? .distantFuture)
            if now < due {
                _ = condition.wait(until: due)
                continue
            }
            // The running job has run a heartbeat interval: give the jobs prefetched with it back to the queue and
            // complete the ones that finished before it.
            let waiting = held
            held = []
            let completions = deferred
            deferred = []
            completingDeferred = !completions.isEmpty
            condition.unlock()
            beat(context, db: &db)
            let completed = completions.isEmpty ? [:] : complete(completions, db: &db)
            if !waiting.isEmpty { releaseHeld(waiting, db: &db) }
            condition.lock()
            if !completions.isEmpty {
                deferredResults.merge(completed) { $1 }
                completingDeferred = false
                condition.broadcast()
            }
            nextBeat = Date().addingTimeInterval(interval)
        }
        condition.unlock()
    }

    /// Runs `body` on a live connection, opening or re-opening it, with one retry after a connection failure.
    private func withConnection<T>(_ db: inout PostgresConnection?, _ body: (PostgresConnection) throws -> T) throws
        -> T
    {
        for attempt in 0..<2 {
            do {
                if let existing = db {
                    try existing.reconnectIfNeeded()
                } else {
                    db = try PostgresConnection(url: databaseURL, applicationName: "seqtwins-heartbeat")
                }
                return try body(db!)
            } catch let error as PostgresError where error.isConnectionFailure && attempt == 0 {
                continue
            }
        }
        throw JobQueueError.internalInconsistency("unreachable")
    }

    private func beat(_ context: JobContext, db: inout PostgresConnection?) {
        let job = context.job
        let progress = context.takeProgress()
        do {
            let outcome = try withConnection(&db) { connection in
                try JobQueue(connection).heartbeat(job: job.id, token: job.leaseToken, leaseSeconds: leaseSeconds,
                                                   progress: progress?.fraction, message: progress?.message)
            }
            guard condition.withLock({ self.context === context }) else { return }
            switch outcome {
            case .running:
                break
            case .cancelled:
                context.logger.info("cancel seen at heartbeat; stopping the handler")
                context.requestStop(JobCancelled(jobID: job.id))
            case .lost:
                context.logger.warning("lease lost at heartbeat; stopping the handler")
                context.requestStop(LeaseLost(jobID: job.id, token: job.leaseToken.uuidString))
            }
        } catch {
            if let progress { context.reportProgress(progress.fraction, progress.message) }
            context.logger.warning("heartbeat failed: \(error)")
        }
    }

    /// Completes finished jobs (fenced per job) in one round trip; returns, for each, whether this lease completed
    /// it, or nothing when the call failed (the worker then sends them again with its next claim).
    private func complete(_ jobs: [(id: Int64, token: UUID)], db: inout PostgresConnection?) -> [Int64: Bool] {
        do {
            let completed = Set(try withConnection(&db) { try JobQueue($0).completeMany(jobs) })
            logger.info("completed \(completed.count) finished jobs while a long job runs")
            return Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, completed.contains($0.id)) })
        } catch {
            logger.warning("could not complete \(jobs.count) finished jobs: \(error); the worker will")
            return [:]
        }
    }

    /// Releases prefetched jobs that waited behind a long one (fenced; their attempts are given back).
    private func releaseHeld(_ jobs: [ClaimedJob], db: inout PostgresConnection?) {
        do {
            let released = try withConnection(&db) { connection in
                try jobs.filter { try JobQueue(connection).release(job: $0.id, token: $0.leaseToken) }.count
            }
            logger.info("released \(released) prefetched jobs to the queue: the running job is long")
        } catch {
            logger.warning("could not release \(jobs.count) prefetched jobs: \(error); their leases will expire")
        }
    }

    private func release(_ context: JobContext, db: inout PostgresConnection?) {
        let job = context.job
        context.requestStop(JobReleased(jobID: job.id))
        do {
            let released = try withConnection(&db) { connection in
                try JobQueue(connection).release(job: job.id, token: job.leaseToken)
            }
            if released {
                context.logger.info("grace period over: released to the queue (attempt not counted)",
                                    metadata: ["state": "queued"])
            } else {
                context.logger.info("grace period over, but the job was no longer held by this worker")
            }
        } catch {
            context.logger.error("could not release the job: \(error); its lease will expire")
        }
    }
}
