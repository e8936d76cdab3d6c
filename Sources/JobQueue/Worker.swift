import Foundation
import Logging
import Postgres
import Randomness

/// How a worker claims and runs jobs.
public struct WorkerOptions: Sendable {
    /// The database (`nil`: libpq's `PG*` variables).
    public var databaseURL: String?
    /// The lease owner written on claimed jobs, e.g. `host:pid`.
    public var name: String
    /// How long a lease lasts without renewal, in seconds.
    public var leaseSeconds: Double = 30
    /// How often the heartbeat renews the lease, in seconds (well under `leaseSeconds`).
    public var heartbeatInterval: Double = 5
    /// How long to wait for a notification before polling again, in seconds.
    public var pollInterval: Double = 5
    /// How often to rescue jobs whose lease expired, in seconds.
    public var rescueInterval: Double = 10
    /// How long a running job may continue after SIGTERM before it is released, in seconds.
    public var gracePeriod: Double = 30
    /// After a release at the end of the grace period, how long the handler may take to notice before the worker
    /// gives up on it (`onAbandon`), in seconds.
    public var abandonAfter: Double = 5
    /// Exit once no job is ready to claim (for cron), instead of waiting for more.
    public var exitWhenIdle = false
    /// Exit once no job is left that this worker could still run: none of its kinds queued (ready or waiting for a
    /// retry delay) or blocked, and no job of any kind running (its success may unblock more). Until then it waits
    /// as usual, so N processes started together on a fresh experiment all keep working until it is finished.
    public var exitWhenDone = false
    /// Exit after this many jobs (any outcome).
    public var maxJobs: Int?
    /// Only claim these kinds (`nil`: every kind in the registry).
    public var kinds: [String]?
    /// Backoff for failed attempts.
    public var retryPolicy: RetryPolicy
    /// Seed for the retry jitter (`nil`: from the clock and process id).
    public var seed: UInt64?
    /// Complete a job its handler left open in the same round trip and transaction as the next claim
    /// (`seqtwins.complete_and_claim_next`, migration 0041): one round trip per job. `false` completes it in a round
    /// trip of its own and then claims, two per job, as workers did before (kept to benchmark the two).
    public var completeWithNextClaim = true
    /// Send the hot queue statements (claim, completion, heartbeat, failure) as named prepared statements, parsed
    /// once per connection. `false` sends unnamed statements, parsed and planned on every call (kept to benchmark
    /// the two).
    public var preparedStatements = true
    /// How many jobs a claim takes (`.adaptive` by default: one at a time until the jobs prove short). Jobs claimed
    /// with the running one wait their turn in this worker, each under its own lease; when the running job reaches
    /// its first heartbeat (it is long) the waiting ones are released to the queue without spending an attempt, as
    /// they are on shutdown. Their `started_at` is when they were claimed.
    public var prefetch = PrefetchPolicy.automatic
    /// For a child of `WorkerSupervisor`: the supervisor's process id. When the supervisor dies (its children are
    /// re-parented), the worker stops as if it had received SIGTERM.
    public var supervisorProcessID: Int32?

    /// Options with defaults: 30 s leases renewed every 5 s, polling every 5 s, 30 s grace.
    public init(databaseURL: String?, name: String = WorkerOptions.defaultName()) {
        self.databaseURL = databaseURL
        self.name = name
        retryPolicy = try! RetryPolicy()
    }

    /// `hostname:pid`.
    public static func defaultName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    /// The longest lease, in seconds (one day; `seqtwins.claim` and `seqtwins.heartbeat` refuse longer ones).
    public static let leaseLimit: Double = 86_400

    /// Checks that the intervals are in range and make sense together: lease in (0, 86400] s, heartbeat, poll,
    /// rescue and abandon intervals in (0, 86400] s, grace period in [0, 86400] s.
    /// - Throws: `JobQueueError.invalidOption` naming the option and what was expected.
    public func validate() throws {
        let limit = Self.leaseLimit
        func positive(_ name: String, _ value: Double) throws {
            guard value > 0, value <= limit else {
                throw JobQueueError.invalidOption(name: name, value: "\(value)",
                                                  expected: "a number of seconds in (0, \(Int(limit))]")
            }
        }
        try positive("lease seconds", leaseSeconds)
        try positive("heartbeat interval", heartbeatInterval)
        try positive("poll interval", pollInterval)
        try positive("rescue interval", rescueInterval)
        try positive("abandon interval", abandonAfter)
        guard gracePeriod >= 0, gracePeriod <= limit else {
            throw JobQueueError.invalidOption(name: "grace period", value: "\(gracePeriod)",
                                              expected: "a number of seconds in [0, \(Int(limit))]")
        }
        guard heartbeatInterval < leaseSeconds else {
            throw JobQueueError.invalidOption(name: "heartbeat interval", value: "\(heartbeatInterval)",
                                              expected: "less than the lease (\(leaseSeconds) s)")
        }
        guard (1...1000).contains(prefetch.maximum) else {
            throw JobQueueError.invalidOption(name: "prefetch", value: "\(prefetch.maximum)",
                                              expected: "an integer in [1, 1000]")
        }
        if case .adaptive(_, let window) = prefetch, !(window > 0 && window <= 3600) {
            throw JobQueueError.invalidOption(name: "prefetch window", value: "\(window)",
                                              expected: "a number of seconds in (0, 3600]")
        }
        if let maxJobs, maxJobs < 1 {
            throw JobQueueError.invalidOption(name: "max jobs", value: "\(maxJobs)", expected: "an integer >= 1")
        }
    }
}

/// How many jobs a worker claims at a time.
public enum PrefetchPolicy: Sendable, Equatable {
    /// Always claim up to this many (1: one at a time, as workers did before prefetching existed).
    case fixed(Int)
    /// Claim as many jobs as the recent ones suggest this worker finishes within `window` seconds, between 1 and
    /// `maximum`: `k = clamp(⌊window / t̄⌋, 1, maximum)`, with `t̄` the moving average (weight 0.2 on the newest) of
    /// its handlers' run times; 1 until a job has run. Jobs that run for seconds are claimed one at a time, so they
    /// spread over the workers as before; floods of millisecond jobs are claimed `maximum` at a time.
    case adaptive(maximum: Int, window: Double)

    /// The workers' default: adaptive, at most 10 jobs a claim, a 0.1 s window.
    public static let automatic = PrefetchPolicy.adaptive(maximum: 10, window: 0.1)

    /// The most jobs one claim may take.
    public var maximum: Int {
        switch self {
        case .fixed(let count): count
        case .adaptive(let maximum, _): maximum
        }
    }

    /// Jobs to claim when the handlers' mean run time is `meanSeconds` (`nil`: none has run yet).
    public func claimCount(meanSeconds: Double?) -> Int {
        switch self {
        case .fixed(let count):
            return count
        case .adaptive(let maximum, let window):
            guard let meanSeconds else { return 1 }
            let fits = window / Swift.max(meanSeconds, 1e-6)
            return fits >= Double(maximum) ? maximum : Swift.max(1, Int(fits))
        }
    }
}

/// What a worker did before it stopped.
public struct WorkerSummary: Sendable, Equatable {
    /// Jobs that succeeded.
    public var succeeded = 0
    /// Attempts that failed (retried or failed for good).
    public var failed = 0
    /// Jobs stopped because they were cancelled.
    public var cancelled = 0
    /// Jobs given back to the queue on shutdown.
    public var released = 0
    /// Jobs whose lease this worker lost.
    public var lost = 0

    /// All jobs handled.
    public var total: Int { succeeded + failed + cancelled + released + lost }
}

/// A worker that runs one job at a time: claims ready jobs (as many as `prefetch` says), runs each handler on the
/// calling thread while a heartbeat thread renews the lease, finishes it with a fenced write, and repeats. Jobs
/// whose handlers return without completing them are completed (fenced per job) in the same round trip and
/// transaction that claims the next ones, so a worker draining short jobs ten at a time pays one round trip per
/// ten. Waits with LISTEN/NOTIFY and polls as the fallback; rescues expired leases; survives database restarts by
/// reconnecting.
///
/// `requestStop()` (from a signal handler) stops claiming; a running job gets `gracePeriod` seconds to finish
/// before it is released to the queue without spending an attempt.
public final class Worker: @unchecked Sendable {
    private let registry: JobRegistry
    private let options: WorkerOptions
    private let logger: Logger
    private let heartbeat: Heartbeat
    private let lock = NSLock()
    private var stopping = false
    private var jobRunning = false
    /// Whether the last failed attempt was queued again (for the metrics); touched by the job loop only.
    private var lastFailureWasRetried = false
    /// Whether the database has `seqtwins.complete_and_claim_next` (migration 0041); touched by the job loop only.
    private var combinedCompletion: Bool
    /// The moving average of the handlers' run times, in seconds (`nil` until one ran); touched by the job loop only.
    private var meanRunSeconds: Double?

    /// Creates a worker. `onAbandon` runs when a handler ignores a release after the grace period (a CLI exits).
    /// - Throws: `JobQueueError.invalidOption` for inconsistent options, `JobQueueError.unknownKind` for a `kinds`
    ///   filter naming a kind the registry lacks.
    public init(registry: JobRegistry, options: WorkerOptions,
                logger: Logger = Logger(label: "seqtwins.worker"),
                onAbandon: (@Sendable () -> Void)? = nil) throws {
        try options.validate()
        for kind in options.kinds ?? [] where registry[kind] == nil {
            throw JobQueueError.unknownKind(kind, known: registry.kinds)
        }
        self.registry = registry
        self.options = options
        combinedCompletion = options.completeWithNextClaim
        var logger = logger
        logger[metadataKey: "worker"] = "\(options.name)"
        self.logger = logger
        heartbeat = Heartbeat(databaseURL: options.databaseURL, interval: options.heartbeatInterval,
                              leaseSeconds: options.leaseSeconds, abandonAfter: options.abandonAfter, logger: logger,
                              onAbandon: onAbandon)
    }

    /// Whether `requestStop()` was called.
    public var isStopping: Bool { lock.withLock { stopping } }

    /// Stops claiming; a running job gets the grace period. Safe from any thread.
    public func requestStop() {
        let running = lock.withLock {
            stopping = true
            return jobRunning
        }
        logger.info("stop requested\(running ? "; grace period \(options.gracePeriod) s for the running job" : "")")
        if running { heartbeat.beginShutdown(grace: options.gracePeriod) }
    }

    /// Claims and runs jobs until stopped, idle (`exitWhenIdle`), done (`exitWhenDone`) or `maxJobs` are done.
    /// - Throws: with `exitWhenIdle` or `exitWhenDone`, an error other than a lost connection (e.g. an unmigrated
    ///   database); without them such errors are logged and retried every second.
    @discardableResult
    public func run() throws -> WorkerSummary {
        var summary = WorkerSummary()
        let kinds = options.kinds ?? registry.kinds
        heartbeat.start()
        defer { heartbeat.stop() }
        let orphanWatch = watchSupervisor()
        defer { orphanWatch?.cancel() }
        guard let db = connect() else { return summary }
        var lastRescue = Date.distantPast
        var started = false
        // Jobs their handlers finished, to complete together with the next claim (fenced per job).
        var pending: [FinishedJob] = []
        while !isStopping {
            if let maxJobs = options.maxJobs, summary.total + pending.count >= maxJobs { break }
            do {
                try db.reconnectIfNeeded()
                let queue = JobQueue(db)
                if !started {
                    try queue.registerKinds(registry.summaries.filter { kinds.contains($0.key) })
                    try db.listen(JobQueue.channel)
                    started = true
                    // Logged once the worker listens, so a job enqueued after this line wakes it.
                    logger.info("worker started", metadata: ["kinds": "\(kinds.joined(separator: ","))"])
                }
                if Date().timeIntervalSince(lastRescue) >= options.rescueInterval {
                    for id in try queue.rescueExpired() {
                        logger.info("rescued job with expired lease", metadata: ["job": "\(id)"])
                    }
                    lastRescue = Date()
                }
                _ = try db.pendingNotifications()
                var claimed: [ClaimedJob]
                if let next = try nextHeld(db) {
                    // A prefetched job: the finished ones wait for the next claim's round trip.
                    claimed = [next]
                } else {
                    let limit = claimLimit(done: summary.total + pending.count)
                    if pending.isEmpty {
                        claimed = try queue.claim(worker: options.name, leaseSeconds: options.leaseSeconds,
                                                  kinds: kinds, limit: limit)
                    } else {
                        // Kept until their completion went through: after a lost connection they are sent again
                        // (fenced, so a completion that did land is found by `settle` rather than written twice).
                        claimed = try completeAndClaim(&pending, queue: queue, kinds: kinds, limit: limit,
                                                       summary: &summary)
                    }
                    if claimed.count > 1 { heartbeat.hold(Array(claimed.dropFirst())) }
                }
                if let job = claimed.first {
                    // Should this job run long, the heartbeat completes the finished ones at its first renewal.
                    heartbeat.deferCompletions(pending.map { ($0.job.id, $0.job.leaseToken) })
                    let finished = run(job, db: db, summary: &summary)
                    settleDeferred(&pending, db: db, summary: &summary)
                    if let finished { pending.append(finished) }
                    continue
                }
                if options.exitWhenIdle {
                    logger.info("no job ready; exiting (--exit-when-idle)")
                    break
                }
                if options.exitWhenDone, try !queue.hasUnfinishedWork(kinds: kinds) {
                    logger.info("no job left to run; exiting (--exit-when-done)")
                    break
                }
                try waitForWork(db)
            } catch let error as PostgresError where error.isConnectionFailure {
                logger.warning("database connection lost: \(error.message); reconnecting")
                waitForReconnect(db)
            } catch {
                logger.error("worker loop error: \(error)")
                if options.exitWhenIdle || options.exitWhenDone {
                    // Leave nothing behind: the finished jobs completed (or their failures recorded), prefetched
                    // ones given back.
                    completeAlone(&pending, db: db, summary: &summary)
                    releaseHeld(heartbeat.takeAllHeld(), db: db)
                    throw error
                }
                sleepUnlessStopping(1)
            }
        }
        completeAlone(&pending, db: db, summary: &summary)
        releaseHeld(heartbeat.takeAllHeld(), db: db)
        logger.info("worker stopped", metadata: ["succeeded": "\(summary.succeeded)", "failed": "\(summary.failed)",
                                                 "released": "\(summary.released)"])
        return summary
    }

    // MARK: Running one job

    /// A job whose handler returned without completing it, and when its attempt started.
    private struct FinishedJob {
        var job: ClaimedJob
        var context: JobContext
        var started: Date
    }

    /// Runs one attempt of `job`. Returns it when its handler returned without completing it (the loop completes it
    /// with the next claim, then `settle` records it); every other outcome is recorded here.
    private func run(_ job: ClaimedJob, db: PostgresConnection, summary: inout WorkerSummary) -> FinishedJob? {
        let context = JobContext(job: job, db: db, logger: logger, leaseSeconds: options.leaseSeconds)
        context.logger.info("claimed", metadata: ["state": "running", "attempt": "\(job.attempt)/\(job.maxAttempts)"])
        WorkerMetrics.claimed(kind: job.kind)
        let started = Date()
        let before = summary
        lock.withLock { jobRunning = true }
        heartbeat.watch(context)
        if isStopping { heartbeat.beginShutdown(grace: options.gracePeriod) }
        defer {
            heartbeat.unwatch()
            lock.withLock { jobRunning = false }
        }
        do {
            guard let handler = registry[job.kind] else {
                throw PermanentJobFailure("no handler for job kind '\(job.kind)' in this worker")
            }
            try handler.run(context)
            recordRunTime(Date().timeIntervalSince(started))
            if let stop = context.stopReason { throw stop }
            if !context.isCompleted { return FinishedJob(job: job, context: context, started: started) }
            summary.succeeded += 1
            context.logger.info("succeeded", metadata: ["state": "succeeded"])
        } catch {
            finish(job, context: context, db: db, error: context.stopReason ?? error, summary: &summary)
        }
        recordOutcome(job, before: before, after: summary, started: started)
        return nil
    }

    /// Completes the `pending` jobs and claims the next ones in one round trip (`seqtwins.complete_and_claim_next`),
    /// or, with `completeWithNextClaim` off or on a database without migration 0041, completes them alone and then
    /// claims. Empties `pending` once their outcomes are recorded.
    private func completeAndClaim(_ pending: inout [FinishedJob], queue: JobQueue, kinds: [String], limit: Int,
                                  summary: inout WorkerSummary) throws -> [ClaimedJob] {
        if combinedCompletion {
            do {
                let result = try queue.completeAndClaimNext(pending.map { ($0.job.id, $0.job.leaseToken) },
                                                            worker: options.name, leaseSeconds: options.leaseSeconds,
                                                            kinds: kinds, limit: limit)
                let done = pending
                pending = []
                let completed = Set(result.completed)
                for job in done { settle(job, completed: completed.contains(job.job.id), db: queue.db, summary: &summary) }
                return result.claimed
            } catch let error as PostgresError where error.sqlState == "42883" {
                // undefined_function: the database predates migration 0041.
                logger.warning("""
                    seqtwins.complete_and_claim_next is missing (run `seqtwins db migrate`); \
                    completing and claiming in separate round trips
                    """)
                combinedCompletion = false
            }
        }
        completeAlone(&pending, db: queue.db, summary: &summary)
        return try queue.claim(worker: options.name, leaseSeconds: options.leaseSeconds, kinds: kinds, limit: limit)
    }

    /// How many jobs to claim: what the prefetch policy says for the handlers' recent run times, but no more than
    /// `maxJobs` leaves (`done` counts those handled).
    private func claimLimit(done: Int) -> Int {
        let count = options.prefetch.claimCount(meanSeconds: meanRunSeconds)
        guard let maxJobs = options.maxJobs else { return count }
        return max(1, min(count, maxJobs - done))
    }

    /// Folds a handler's run time into the moving average the adaptive prefetch reads (weight 0.2 on the newest).
    private func recordRunTime(_ seconds: Double) {
        meanRunSeconds = meanRunSeconds.map { 0.8 * $0 + 0.2 * seconds } ?? seconds
    }

    /// Records the outcomes of the pending jobs the heartbeat completed while the last job ran (it does when that
    /// job reached its first renewal) and keeps the rest pending.
    private func settleDeferred(_ pending: inout [FinishedJob], db: PostgresConnection, summary: inout WorkerSummary) {
        let results = heartbeat.takeDeferredResults()
        guard !results.isEmpty else { return }
        for job in pending {
            if let completed = results[job.job.id] { settle(job, completed: completed, db: db, summary: &summary) }
        }
        pending.removeAll { results[$0.job.id] != nil }
    }

    /// The next prefetched job, unless the worker is stopping (then they are released at the end) or they waited
    /// so long that a lease might run out before its first renewal (then they are released now).
    private func nextHeld(_ db: PostgresConnection) throws -> ClaimedJob? {
        if isStopping { return nil }
        let (next, stale) = heartbeat.takeHeld(maxAge: options.leaseSeconds - 2 * options.heartbeatInterval)
        releaseHeld(stale, db: db)
        return next
    }

    /// Gives prefetched jobs that never ran back to the queue (fenced; their attempts are given back).
    private func releaseHeld(_ jobs: [ClaimedJob], db: PostgresConnection) {
        guard !jobs.isEmpty else { return }
        do {
            for job in jobs {
                _ = try withReconnect(db) { try JobQueue(db).release(job: job.id, token: job.leaseToken) }
            }
            logger.info("released \(jobs.count) prefetched jobs to the queue")
        } catch {
            logger.warning("could not release \(jobs.count) prefetched jobs: \(error); their leases will expire")
        }
    }

    /// Completes the `pending` jobs in a round trip of their own (fenced per job), reconnecting for up to a lease's
    /// time; a completion that cannot be written fails those attempts as the handler's error would. Empties
    /// `pending`.
    private func completeAlone(_ pending: inout [FinishedJob], db: PostgresConnection, summary: inout WorkerSummary) {
        guard !pending.isEmpty else { return }
        let done = pending
        pending = []
        do {
            let completed: Set<Int64> = try withReconnect(db) {
                let queue = JobQueue(db)
                if done.count == 1, let job = done.first?.job {
                    return try queue.complete(job: job.id, token: job.leaseToken) ? [job.id] : []
                }
                return Set(try queue.completeMany(done.map { ($0.job.id, $0.job.leaseToken) }))
            }
            for job in done { settle(job, completed: completed.contains(job.job.id), db: db, summary: &summary) }
        } catch {
            for job in done {
                let before = summary
                finish(job.job, context: job.context, db: db, error: error, summary: &summary)
                recordOutcome(job.job, before: before, after: summary, started: job.started)
            }
        }
    }

    /// Records the outcome of completing `done`: succeeded when this call completed it or an earlier one did (a
    /// commit whose answer a lost connection swallowed), else its lease was lost and nothing was written.
    private func settle(_ done: FinishedJob, completed: Bool, db: PostgresConnection, summary: inout WorkerSummary) {
        let before = summary
        if completed || (try? isSucceeded(done.job, db: db)) == true {
            summary.succeeded += 1
            done.context.logger.info("succeeded", metadata: ["state": "succeeded"])
        } else {
            finish(done.job, context: done.context, db: db,
                   error: LeaseLost(jobID: done.job.id, token: done.job.leaseToken.uuidString), summary: &summary)
        }
        recordOutcome(done.job, before: before, after: summary, started: done.started)
    }

    /// Counts the attempt's outcome (what changed in `summary`) and duration in the metrics.
    private func recordOutcome(_ job: ClaimedJob, before: WorkerSummary, after summary: WorkerSummary,
                               started: Date) {
        let outcome =
            summary.succeeded > before.succeeded ? "succeeded"
            : summary.cancelled > before.cancelled ? "cancelled"
            : summary.released > before.released ? "released"
            : summary.lost > before.lost ? "lost"
            : lastFailureWasRetried ? "retried" : "failed"
        WorkerMetrics.finished(kind: job.kind, outcome: outcome, seconds: Date().timeIntervalSince(started))
    }

    private func finish(_ job: ClaimedJob, context: JobContext, db: PostgresConnection, error: any Error,
                        summary: inout WorkerSummary) {
        switch error {
        case is JobCancelled:
            summary.cancelled += 1
            _ = try? withReconnect(db) { try JobQueue(db).acknowledgeCancel(job: job.id, token: job.leaseToken) }
            context.logger.info("stopped: cancelled", metadata: ["state": "cancelled"])
        case is JobReleased:
            summary.released += 1
            context.logger.info("stopped: released to the queue", metadata: ["state": "queued"])
        case is LeaseLost:
            summary.lost += 1
            context.logger.warning("lease lost: another worker owns the job now; nothing written")
        default:
            summary.failed += 1
            lastFailureWasRetried = false
            let errorClass = JobErrorClass.of(error, handler: registry[job.kind])
            let message = errorClass.tag("\(error)")
            var generator = jitterGenerator(job)
            let delay = options.retryPolicy.delay(afterAttempt: job.attempt, using: &generator)
            do {
                let state = try withReconnect(db) {
                    try JobQueue(db).fail(job: job.id, token: job.leaseToken, error: message, retryDelay: delay,
                                          permanent: errorClass == .permanent)
                }
                lastFailureWasRetried = state == .queued
                switch state {
                case .queued?:
                    context.logger.info("attempt failed; retry in \(String(format: "%.1f", delay)) s: \(message)",
                                        metadata: ["state": "queued"])
                case let state?:
                    context.logger.error("failed for good: \(message)", metadata: ["state": "\(state.rawValue)"])
                case nil:
                    summary.failed -= 1
                    summary.lost += 1
                    context.logger.warning("attempt failed after the lease was lost; nothing written: \(error)")
                }
            } catch let finishError {
                context.logger.error("could not record the failure (\(finishError)); the lease will expire: \(error)")
            }
        }
    }

    private func isSucceeded(_ job: ClaimedJob, db: PostgresConnection) throws -> Bool {
        let current = try JobQueue(db).job(job.id)
        return current?.state == .succeeded && current?.leaseToken == job.leaseToken
    }

    private func jitterGenerator(_ job: ClaimedJob) -> SplitMix64 {
        let base = options.seed ?? UInt64(truncatingIfNeeded: Int64(Date().timeIntervalSince1970 * 1e6))
        return SplitMix64(seed: base ^ UInt64(bitPattern: job.id &* 0x9E37_79B9) ^ UInt64(job.attempt) &* 31
                          ^ UInt64(getpid()))
    }

    /// Checks every second that the supervisor still lives; stops the worker when it does not.
    private func watchSupervisor() -> (any DispatchSourceTimer)? {
        guard let supervisor = options.supervisorProcessID else { return nil }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "seqtwins.supervisor-watch"))
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in
            guard let self, getppid() != supervisor, !self.isStopping else { return }
            self.logger.warning("supervisor process \(supervisor) is gone; stopping")
            self.requestStop()
        }
        timer.resume()
        return timer
    }

    // MARK: Connection and waiting

    private func connect() -> PostgresConnection? {
        var delay = 0.2
        while !isStopping {
            do {
                let db = try PostgresConnection(url: options.databaseURL, applicationName: "seqtwins-worker")
                db.usesPreparedStatements = options.preparedStatements
                return db
            } catch {
                logger.warning("cannot connect to the database: \(error); retrying in \(delay) s")
                sleepUnlessStopping(delay)
                delay = min(delay * 2, 5)
            }
        }
        return nil
    }

    /// Retries `body` after reconnecting when the connection broke (a finishing write must not be lost to a
    /// server restart: it is fenced, so repeating it is safe). Gives up after about a lease's time.
    private func withReconnect<T>(_ db: PostgresConnection, _ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(options.leaseSeconds)
        while true {
            do {
                try db.reconnectIfNeeded()
                return try body()
            } catch let error as PostgresError where error.isConnectionFailure && Date() < deadline {
                logger.warning("database connection lost while finishing a job: \(error.message); retrying")
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }

    private func waitForReconnect(_ db: PostgresConnection) {
        var delay = 0.2
        while !isStopping {
            do {
                try db.reconnectIfNeeded()
                logger.info("reconnected to the database")
                return
            } catch {
                sleepUnlessStopping(delay)
                delay = min(delay * 2, 5)
            }
        }
    }

    /// Waits up to the poll interval for a notification, in short slices so a stop request is seen promptly.
    private func waitForWork(_ db: PostgresConnection) throws {
        let deadline = Date().addingTimeInterval(options.pollInterval)
        while !isStopping {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return }
            if try db.waitForNotification(timeout: min(remaining, 0.2)) != nil { return }
        }
    }

    private func sleepUnlessStopping(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !isStopping && Date() < deadline { Thread.sleep(forTimeInterval: min(0.1, seconds)) }
    }
}
