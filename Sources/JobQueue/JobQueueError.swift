/// Errors from queue operations, each naming the job, kind or field concerned and what was expected.
public enum JobQueueError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No job has this id.
    case unknownJob(Int64)
    /// No handler is registered for this kind; `known` lists the kinds that are.
    case unknownKind(String, known: [String])
    /// The payload is not valid for its kind (or not JSON at all).
    case invalidPayload(kind: String, reason: String)
    /// The job is not in a state that allows the operation.
    case wrongState(job: Int64, state: JobState, expected: String)
    /// A dependency names a job that does not exist.
    case unknownDependency(Int64)
    /// An option is out of range.
    case invalidOption(name: String, value: String, expected: String)
    /// The database returned something the queue cannot explain (a bug).
    case internalInconsistency(String)

    /// A one-line, human-readable message.
    public var description: String {
        switch self {
        case .unknownJob(let id):
            return "job \(id) does not exist"
        case .unknownKind(let kind, let known):
            return "unknown job kind '\(kind)'; expected one of: \(known.sorted().joined(separator: ", "))"
        case .invalidPayload(let kind, let reason):
            return "invalid payload for job kind '\(kind)': \(reason)"
        case .wrongState(let job, let state, let expected):
            return "job \(job) is \(state.rawValue); expected \(expected)"
        case .unknownDependency(let id):
            return "dependency job \(id) does not exist"
        case .invalidOption(let name, let value, let expected):
            return "\(name) = \(value): expected \(expected)"
        case .internalInconsistency(let message):
            return "internal error: \(message)"
        }
    }
}

/// Thrown inside a job when its lease is no longer this worker's: another worker took the job over (after the
/// lease expired), or the job was released. Nothing more may be written for it.
public struct LeaseLost: Error, CustomStringConvertible, Sendable, Equatable {
    /// The job.
    public var jobID: Int64
    /// The token that no longer matches.
    public var token: String

    /// Creates the error.
    public init(jobID: Int64, token: String) {
        self.jobID = jobID
        self.token = token
    }

    /// A one-line, human-readable message.
    public var description: String { "lease of job \(jobID) (token \(token)) is no longer held by this worker" }
}

/// Thrown inside a job that was cancelled while it ran; the worker stops it and writes nothing more.
public struct JobCancelled: Error, CustomStringConvertible, Sendable, Equatable {
    /// The job.
    public var jobID: Int64

    /// Creates the error.
    public init(jobID: Int64) {
        self.jobID = jobID
    }

    /// A one-line, human-readable message.
    public var description: String { "job \(jobID) was cancelled" }
}

/// Thrown inside a job that the worker gave back to the queue because it is shutting down (grace period over).
public struct JobReleased: Error, CustomStringConvertible, Sendable, Equatable {
    /// The job.
    public var jobID: Int64

    /// Creates the error.
    public init(jobID: Int64) {
        self.jobID = jobID
    }

    /// A one-line, human-readable message.
    public var description: String { "job \(jobID) was released to the queue: the worker is stopping" }
}

/// A handler's failure that retrying cannot fix (e.g. a payload that does not validate): the job fails at once.
public struct PermanentJobFailure: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    public var message: String

    /// Wraps a message.
    public init(_ message: String) { self.message = message }

    /// A one-line, human-readable message.
    public var description: String { message }
}
