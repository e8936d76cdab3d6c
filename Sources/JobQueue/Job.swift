import Foundation
import Postgres

/// Where a job is in its life. `blocked → queued → running → succeeded | failed | cancelled`; a running job goes
/// back to `queued` on a retryable failure, on release (SIGTERM) or when its lease expires.
public enum JobState: String, Sendable, CaseIterable, Codable {
    /// Waiting for its parent jobs to succeed.
    case blocked
    /// Ready to be claimed once its `runAfter` time has come.
    case queued
    /// Claimed by a worker that holds its lease.
    case running
    /// Finished well.
    case succeeded
    /// Out of attempts, or failed permanently; `lastError` says why.
    case failed
    /// Cancelled by a user or because a parent failed; `lastError` says why.
    case cancelled

    /// Whether the job will not change again (unless retried by hand).
    public var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
}

/// One row of `seqtwins.jobs`.
public struct Job: Sendable, Equatable {
    /// The job's id.
    public var id: Int64
    /// The handler kind, a row of `seqtwins.job_kinds`.
    public var kind: String
    /// The payload as JSON text.
    public var payload: String
    /// Higher runs first.
    public var priority: Int
    /// The current state.
    public var state: JobState
    /// How many times it was claimed (a release gives one back).
    public var attempts: Int
    /// Claims allowed before it fails for good.
    public var maxAttempts: Int
    /// It is not claimed before this time.
    public var runAfter: Date
    /// The worker holding or last holding its lease.
    public var leaseOwner: String?
    /// The token of the current lease; every claim issues a new one.
    public var leaseToken: UUID?
    /// When the lease runs out unless renewed.
    public var leaseExpiresAt: Date?
    /// The last heartbeat.
    public var heartbeatAt: Date?
    /// Progress in 0...1.
    public var progress: Double
    /// The latest progress message.
    public var progressMessage: String?
    /// The last failure, or the reason it was cancelled.
    public var lastError: String?
    /// For a cancelled job, the job whose failure or cancellation caused it.
    public var cancelledBy: Int64?
    /// The experiment the job belongs to, if any.
    public var experimentID: Int64?
    /// When it was enqueued.
    public var createdAt: Date
    /// When the last attempt started.
    public var startedAt: Date?
    /// When it reached a final state.
    public var finishedAt: Date?

    /// The columns `init(row:)` reads, for `SELECT` lists.
    static let columns: SQL = """
        id, kind, payload::text AS payload, priority, state, attempts, max_attempts, run_after, lease_owner, \
        lease_token, lease_expires_at, heartbeat_at, progress, progress_message, last_error, cancelled_by, \
        experiment_id, created_at, started_at, finished_at
        """

    /// Decodes a row selected with `Job.columns`.
    /// - Throws: `PostgresDecodingError` for a missing or malformed column.
    public init(row: PostgresRow) throws {
        id = try row.decode("id")
        kind = try row.decode("kind")
        payload = try row.decode("payload")
        priority = try row.decode("priority")
        let stateText: String = try row.decode("state")
        guard let state = JobState(rawValue: stateText) else {
            throw PostgresDecodingError(column: "state", expected: "a job state", found: stateText)
        }
        self.state = state
        attempts = try row.decode("attempts")
        maxAttempts = try row.decode("max_attempts")
        runAfter = try row.decode("run_after")
        leaseOwner = try row.decode("lease_owner")
        leaseToken = try row.decode("lease_token")
        leaseExpiresAt = try row.decode("lease_expires_at")
        heartbeatAt = try row.decode("heartbeat_at")
        progress = try row.decode("progress")
        progressMessage = try row.decode("progress_message")
        lastError = try row.decode("last_error")
        cancelledBy = try row.decode("cancelled_by")
        experimentID = try row.decode("experiment_id")
        createdAt = try row.decode("created_at")
        startedAt = try row.decode("started_at")
        finishedAt = try row.decode("finished_at")
    }
}

/// What to enqueue: a kind, a JSON payload and scheduling options.
public struct NewJob: Sendable {
    /// The handler kind.
    public var kind: String
    /// The payload as JSON text (an object by convention).
    public var payload: String
    /// Higher runs first.
    public var priority: Int
    /// Jobs that must succeed before this one is queued.
    public var dependsOn: [Int64]
    /// Not claimed before this time (`nil`: now).
    public var runAfter: Date?
    /// Claims allowed before it fails for good.
    public var maxAttempts: Int
    /// The experiment it belongs to.
    public var experimentID: Int64?

    /// Describes a job; defaults match the table's.
    public init(kind: String, payload: String = "{}", priority: Int = 0, dependsOn: [Int64] = [],
                runAfter: Date? = nil, maxAttempts: Int = 5, experimentID: Int64? = nil) {
        self.kind = kind
        self.payload = payload
        self.priority = priority
        self.dependsOn = dependsOn
        self.runAfter = runAfter
        self.maxAttempts = maxAttempts
        self.experimentID = experimentID
    }
}

/// A job a worker holds: its row as claimed, including the lease token that fences every later write.
public struct ClaimedJob: Sendable, Equatable {
    /// The job's id.
    public var id: Int64
    /// The handler kind.
    public var kind: String
    /// The payload as UTF-8 JSON.
    public var payload: Data
    /// This attempt's number, from 1.
    public var attempt: Int
    /// Claims allowed in all.
    public var maxAttempts: Int
    /// The experiment it belongs to, if any.
    public var experimentID: Int64?
    /// This lease's token; writes about the job must carry it.
    public var leaseToken: UUID

    /// Creates a claimed job.
    public init(id: Int64, kind: String, payload: Data, attempt: Int, maxAttempts: Int, experimentID: Int64?,
                leaseToken: UUID) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.experimentID = experimentID
        self.leaseToken = leaseToken
    }
}
