import Foundation
import Postgres

/// The job queue's operations over one connection; each is one short statement or transaction, and every write
/// about a running job is fenced by (job id, lease token).
///
/// The SQL lives in `Migrations/0002_jobs.sql` as `seqtwins.*` functions, so psql users get the same transitions.
/// A `JobQueue` uses its connection from one thread at a time, like the connection itself.
public struct JobQueue {
    /// The connection every operation runs on.
    public let db: PostgresConnection

    /// Wraps a connection.
    public init(_ db: PostgresConnection) {
        self.db = db
    }

    /// The channel the queue notifies when jobs become ready (payload: the job kind).
    public static let channel = "seqtwins_jobs"

    // MARK: Enqueue

    /// Enqueues a job and returns its id. With `dependsOn` it starts `blocked` (or `cancelled` when a parent has
    /// already failed); it is `queued` when every parent has succeeded.
    /// - Throws: `JobQueueError.invalidPayload` for text that is not JSON, `JobQueueError.unknownDependency`,
    ///   `PostgresError` otherwise (an unknown kind violates the `job_kinds` foreign key).
    @discardableResult
    public func enqueue(_ job: NewJob) throws -> Int64 {
        guard (try? JSONSerialization.jsonObject(with: Data(job.payload.utf8), options: [.fragmentsAllowed])) != nil
        else {
            throw JobQueueError.invalidPayload(kind: job.kind, reason: "not valid JSON: \(job.payload.prefix(80))")
        }
        do {
            let row = try db.queryOne("""
                SELECT seqtwins.enqueue(
                    kind => \(job.kind)::text, payload => \(PostgresJSON(text: job.payload)),
                    priority => \(job.priority)::integer, depends_on => \(Self.arrayLiteral(job.dependsOn))::bigint[],
                    run_after => coalesce(\(job.runAfter), now()), max_attempts => \(job.maxAttempts)::integer,
                    experiment_id => \(job.experimentID)) AS id
                """)
            return try row!.decode("id")
        } catch let error as PostgresError where error.sqlState == "23503" {
            if let id = job.dependsOn.first(where: { error.message.contains("job \($0) ") }) {
                throw JobQueueError.unknownDependency(id)
            }
            throw error
        }
    }

    /// Enqueues many independent jobs in one statement (plain `INSERT`); returns their ids in order.
    /// - Throws: `PostgresError` (nothing is inserted when one row is bad).
    @discardableResult
    public func enqueueMany(kind: String, payloads: [String], priority: Int = 0, maxAttempts: Int = 5) throws
        -> [Int64]
    {
        guard !payloads.isEmpty else { return [] }
        let rows = try db.query("""
            INSERT INTO seqtwins.jobs (kind, payload, priority, max_attempts)
            SELECT \(kind), p::jsonb, \(priority), \(maxAttempts)
            FROM unnest(\(Self.arrayLiteral(payloads))::text[]) WITH ORDINALITY AS t(p, n)
            ORDER BY n
            RETURNING id
            """)
        return try rows.map { try $0.decode("id") }.sorted()
    }

    /// Declares kinds in `seqtwins.job_kinds` (a worker declares the kinds it runs, with its handlers' summaries):
    /// new kinds are added, and a known kind's description is replaced when the handler's summary differs, so the
    /// table always says what the running code does. `max_running` caps are left alone.
    public func registerKinds(_ kinds: [String: String]) throws {
        guard !kinds.isEmpty else { return }
        let names = kinds.keys.sorted()
        let descriptions = names.map { kinds[$0] ?? "" }
        try db.execute("""
            INSERT INTO seqtwins.job_kinds (name, description)
            SELECT * FROM unnest(\(Self.arrayLiteral(names))::text[], \(Self.arrayLiteral(descriptions))::text[])
            ON CONFLICT (name) DO UPDATE SET description = EXCLUDED.description
            WHERE job_kinds.description IS DISTINCT FROM EXCLUDED.description
            """)
    }

    // MARK: Claim and lease

    /// Whether any job is left that a worker running `kinds` could still get: one of those kinds `queued` (ready
    /// or waiting for a retry delay) or `blocked`, or a job of any kind `running` (its success may unblock more).
    public func hasUnfinishedWork(kinds: [String]) throws -> Bool {
        let row = try db.queryOne("""
            SELECT EXISTS (SELECT 1 FROM seqtwins.jobs
                           WHERE state IN ('queued', 'blocked') AND kind = ANY(\(Self.arrayLiteral(kinds))::text[]))
                OR EXISTS (SELECT 1 FROM seqtwins.jobs WHERE state = 'running') AS unfinished
            """)
        return try row?.decode("unfinished", as: Bool.self) ?? false
    }

    /// Claims up to `limit` ready jobs (`FOR UPDATE SKIP LOCKED`, by priority then age), each with a fresh lease
    /// token valid for `leaseSeconds`. `kinds` restricts the kinds claimed (`nil`: any).
    public func claim(worker: String, leaseSeconds: Double, kinds: [String]? = nil, limit: Int = 1) throws
        -> [ClaimedJob]
    {
        let kindsLiteral: String? = kinds.map { Self.arrayLiteral($0) }
        let rows = try db.queryPrepared("""
            SELECT id, kind, payload::text AS payload, attempts, max_attempts, experiment_id, lease_token
            FROM seqtwins.claim(\(worker)::text, \(leaseSeconds), \(kindsLiteral)::text[], \(limit)::integer)
            ORDER BY priority DESC, run_after, id
            """)
        return try rows.map(Self.claimedJob)
    }

    /// Completes `done` (fenced per job) and claims up to `limit` more jobs in one round trip.
    public func completeAndClaim(_ done: [(id: Int64, token: UUID)], worker: String, leaseSeconds: Double,
                                 kinds: [String]? = nil, limit: Int = 1) throws -> [ClaimedJob] {
        let kindsLiteral: String? = kinds.map { Self.arrayLiteral($0) }
        let rows = try db.queryPrepared("""
            SELECT id, kind, payload::text AS payload, attempts, max_attempts, experiment_id, lease_token
            FROM seqtwins.complete_and_claim(\(Self.arrayLiteral(done.map(\.id)))::bigint[], \
            \(Self.arrayLiteral(done.map { $0.token.uuidString }))::uuid[], \(worker)::text, \(leaseSeconds), \
            \(kindsLiteral)::text[], \(limit)::integer)
            ORDER BY priority DESC, run_after, id
            """)
        return try rows.map(Self.claimedJob)
    }

    /// What `completeAndClaimNext` did: the ids it completed (those whose lease still held) and the jobs it claimed.
    public struct CompletedAndClaimed {
        /// The ids completed, ascending; a job missing here was not written (its lease was no longer the caller's).
        public var completed: [Int64]
        /// The jobs claimed, best first.
        public var claimed: [ClaimedJob]
    }

    /// Completes `done` (fenced per job) and claims up to `limit` more jobs in one round trip and one transaction
    /// (`seqtwins.complete_and_claim_next`), saying which were completed: the worker loop's call after a handler
    /// returned. A named prepared statement.
    public func completeAndClaimNext(_ done: [(id: Int64, token: UUID)], worker: String, leaseSeconds: Double,
                                     kinds: [String]? = nil, limit: Int = 1) throws -> CompletedAndClaimed {
        let kindsLiteral: String? = kinds.map { Self.arrayLiteral($0) }
        let rows = try db.queryPrepared("""
            SELECT completed::text AS completed, id, kind, payload::text AS payload, attempts, max_attempts,
                   experiment_id, lease_token
            FROM seqtwins.complete_and_claim_next(\(Self.arrayLiteral(done.map(\.id)))::bigint[], \
            \(Self.arrayLiteral(done.map { $0.token.uuidString }))::uuid[], \(worker)::text, \(leaseSeconds), \
            \(kindsLiteral)::text[], \(limit)::integer)
            ORDER BY priority DESC, run_after, id
            """)
        let completedText: String = try rows.first?.decode("completed") ?? "{}"
        let completed = completedText.trimmingCharacters(in: CharacterSet(charactersIn: "{}"))
            .split(separator: ",").compactMap { Int64($0) }
        let claimed = try rows.filter { !$0.isNull("id") }.map(Self.claimedJob)
        return CompletedAndClaimed(completed: completed, claimed: claimed)
    }

    /// Decodes a row of `claim`'s result.
    private static func claimedJob(_ row: PostgresRow) throws -> ClaimedJob {
        ClaimedJob(id: try row.decode("id"), kind: try row.decode("kind"),
                   payload: Data((try row.decode("payload", as: String.self)).utf8),
                   attempt: try row.decode("attempts"), maxAttempts: try row.decode("max_attempts"),
                   experimentID: try row.decode("experiment_id"), leaseToken: try row.decode("lease_token"))
    }

    /// What a heartbeat found.
    public enum HeartbeatOutcome: String, Sendable {
        /// The lease was renewed.
        case running
        /// The job was cancelled while this lease held it: stop.
        case cancelled
        /// The lease is no longer this worker's: stop and write nothing.
        case lost
    }

    /// Renews a lease for `leaseSeconds` and stores progress (fenced).
    public func heartbeat(job: Int64, token: UUID, leaseSeconds: Double, progress: Double? = nil,
                          message: String? = nil) throws -> HeartbeatOutcome {
        let row = try db.queryPrepared("""
            SELECT seqtwins.heartbeat(\(job), \(token), \(leaseSeconds), \(progress), \(message)::text) AS outcome
            """).first
        let text: String = try row!.decode("outcome")
        return HeartbeatOutcome(rawValue: text) ?? .lost
    }

    // MARK: Finish

    /// Marks a running job succeeded and queues its ready dependants (fenced).
    /// - Returns: `false` when the lease is no longer the caller's (nothing was written).
    @discardableResult
    public func complete(job: Int64, token: UUID) throws -> Bool {
        let row = try db.queryPrepared("SELECT seqtwins.complete(\(job), \(token)) AS done").first
        return try row!.decode("done")
    }

    /// Completes many running jobs in one round trip (fenced per job). Returns the ids that were completed.
    @discardableResult
    public func completeMany(_ jobs: [(id: Int64, token: UUID)]) throws -> [Int64] {
        guard !jobs.isEmpty else { return [] }
        let rows = try db.queryPrepared("""
            SELECT seqtwins.complete_many(\(Self.arrayLiteral(jobs.map(\.id)))::bigint[], \
            \(Self.arrayLiteral(jobs.map { $0.token.uuidString }))::uuid[]) AS id
            """)
        return try rows.map { try $0.decode("id") }
    }

    /// Records a failed attempt (fenced): queued again after `retryDelay` seconds while attempts remain and the
    /// failure is not `permanent`, else `failed` with the error kept and dependants cancelled.
    /// - Returns: the job's new state, or `nil` when the lease is no longer the caller's.
    @discardableResult
    public func fail(job: Int64, token: UUID, error: String, retryDelay: Double?, permanent: Bool = false) throws
        -> JobState?
    {
        let row = try db.queryPrepared("""
            SELECT seqtwins.fail(\(job), \(token), \(error)::text, \(retryDelay), \(permanent)) AS state
            """).first
        let text: String? = try row!.decode("state")
        return text.flatMap(JobState.init(rawValue:))
    }

    /// Gives a running job back to the queue without spending an attempt (fenced).
    /// - Returns: `false` when the lease is no longer the caller's.
    @discardableResult
    public func release(job: Int64, token: UUID) throws -> Bool {
        let row = try db.queryPrepared("SELECT seqtwins.release(\(job), \(token)) AS done").first
        return try row!.decode("done")
    }

    /// Records that the worker stopped a job cancelled under its lease (fenced; the state is already cancelled).
    @discardableResult
    public func acknowledgeCancel(job: Int64, token: UUID) throws -> Bool {
        let row = try db.queryOne("SELECT seqtwins.acknowledge_cancel(\(job), \(token)) AS done")
        return try row!.decode("done")
    }

    /// Requeues running jobs whose lease expired (their attempt stays counted), or fails those out of attempts.
    /// - Returns: the ids rescued.
    @discardableResult
    public func rescueExpired() throws -> [Int64] {
        try db.queryPrepared("SELECT seqtwins.rescue_expired() AS id").map { try $0.decode("id") }
    }

    // MARK: Fenced transactions

    /// Runs `body`'s writes in one transaction guarded by (job id, lease token) and marks the job `succeeded` in
    /// the same transaction.
    /// - Throws: `LeaseLost` or `JobCancelled` (nothing written), or what `body` throws (rolled back).
    @discardableResult
    public func withFencedCompletion<T>(job: Int64, token: UUID, _ body: (PostgresConnection) throws -> T) throws -> T {
        try withFencedLease(job: job, token: token) { tx in
            let value = try body(tx)
            guard try JobQueue(tx).complete(job: job, token: token) else {
                throw LeaseLost(jobID: job, token: token.uuidString)
            }
            return value
        }
    }

    /// Checks that `token` still holds the job's lease, then runs `body` outside any transaction and without locking
    /// the job's row: for a handler's reads (a spec, checkpoint bytes, embeddings), which need no fencing but should
    /// stop once the lease is gone. The heartbeat is never blocked by it.
    /// - Throws: `LeaseLost` or `JobCancelled`, or what `body` throws.
    @discardableResult
    public func withLeaseCheck<T>(job: Int64, token: UUID, _ body: (PostgresConnection) throws -> T) throws -> T {
        let row = try db.queryPrepared("SELECT state FROM seqtwins.jobs WHERE id = \(job) AND lease_token = \(token)")
            .first
        switch try row?.decode("state", as: String.self) {
        case "running": return try body(db)
        case "cancelled": throw JobCancelled(jobID: job)
        default: throw LeaseLost(jobID: job, token: token.uuidString)
        }
    }

    /// Runs `body`'s writes in one transaction guarded by (job id, lease token), leaving the job running: for
    /// intermediate results such as per-epoch metrics and periodic checkpoints.
    /// - Throws: `LeaseLost` or `JobCancelled` (nothing written), or what `body` throws (rolled back).
    @discardableResult
    public func withFencedLease<T>(job: Int64, token: UUID, _ body: (PostgresConnection) throws -> T) throws -> T {
        try db.transaction { tx in
            let held = try tx.queryOne("""
                SELECT 1 AS held FROM seqtwins.jobs
                WHERE id = \(job) AND lease_token = \(token) AND state = 'running' FOR UPDATE
                """)
            guard held != nil else {
                let cancelled = try tx.queryOne("""
                    SELECT 1 AS cancelled FROM seqtwins.jobs
                    WHERE id = \(job) AND lease_token = \(token) AND state = 'cancelled'
                    """)
                if cancelled != nil { throw JobCancelled(jobID: job) }
                throw LeaseLost(jobID: job, token: token.uuidString)
            }
            return try body(tx)
        }
    }

    // MARK: Administration

    /// Cancels a job that has not finished (a running one stops at its next heartbeat) and its blocked dependants.
    /// - Returns: the state the job had (a finished job is left as it was).
    /// - Throws: `JobQueueError.unknownJob`.
    @discardableResult
    public func cancel(job: Int64, reason: String = "cancelled by user") throws -> JobState {
        do {
            let row = try db.queryOne("SELECT seqtwins.cancel(\(job), \(reason)::text) AS previous")
            let text: String = try row!.decode("previous")
            return JobState(rawValue: text) ?? .cancelled
        } catch let error as PostgresError where error.sqlState == "P0002" {
            throw JobQueueError.unknownJob(job)
        }
    }

    /// Cancels every unfinished job of an experiment. Returns how many were cancelled.
    @discardableResult
    public func cancel(experiment: Int64, reason: String = "experiment cancelled by user") throws -> Int {
        let row = try db.queryOne("SELECT seqtwins.cancel_experiment(\(experiment), \(reason)::text) AS n")
        return try row!.decode("n")
    }

    /// Requeues a failed or cancelled job with fresh attempts; the dependants it had cancelled wait on it again.
    /// - Returns: the state the job had.
    /// - Throws: `JobQueueError.unknownJob`, or `JobQueueError.wrongState` for a job that has not failed.
    @discardableResult
    public func retry(job: Int64) throws -> JobState {
        do {
            let row = try db.queryOne("SELECT seqtwins.retry(\(job)) AS previous")
            let text: String = try row!.decode("previous")
            return JobState(rawValue: text) ?? .failed
        } catch let error as PostgresError where error.sqlState == "P0002" {
            throw JobQueueError.unknownJob(job)
        } catch let error as PostgresError where error.sqlState == "55000" {
            let state = try self.job(job).map(\.state) ?? .failed
            throw JobQueueError.wrongState(job: job, state: state, expected: "failed or cancelled")
        }
    }

    /// Reads one job, or `nil` when there is none with this id.
    public func job(_ id: Int64) throws -> Job? {
        try db.queryOne("SELECT \(Job.columns) FROM seqtwins.jobs WHERE id = \(id)").map(Job.init(row:))
    }

    /// Reads jobs, newest first, optionally only those in `state`.
    public func jobs(state: JobState? = nil, experiment: Int64? = nil, limit: Int = 100) throws -> [Job] {
        try db.query("""
            SELECT \(Job.columns) FROM seqtwins.jobs
            WHERE (\(state?.rawValue)::text IS NULL OR state = \(state?.rawValue)::text)
              AND (\(experiment)::bigint IS NULL OR experiment_id = \(experiment)::bigint)
            ORDER BY id DESC LIMIT \(limit)
            """).map(Job.init(row:))
    }

    /// How many jobs are in each state (every state present, zero when none).
    public func counts(experiment: Int64? = nil) throws -> [JobState: Int] {
        var result = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, 0) })
        for row in try db.query("""
            SELECT state, count(*) AS n FROM seqtwins.jobs
            WHERE \(experiment)::bigint IS NULL OR experiment_id = \(experiment)::bigint GROUP BY state
            """) {
            let text: String = try row.decode("state")
            if let state = JobState(rawValue: text) { result[state] = try row.decode("n") }
        }
        return result
    }

    // MARK: Array literals

    /// A PostgreSQL array literal (`{1,2,3}`) for a bigint array, bound as one text parameter.
    static func arrayLiteral(_ values: [Int64]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    /// A PostgreSQL array literal for text values, each double-quoted with `\` and `"` escaped.
    static func arrayLiteral(_ values: [String]) -> String {
        let quoted = values.map { value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"")
            return "\"" + escaped + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}
