import Postgres

/// Whether retrying a failed attempt can help: `permanent` errors (bad input, a corrupt checkpoint, a spec that
/// cannot train) fail the job at once; `transient` ones (a lost connection, a deadlock, anything unknown) are
/// retried with backoff. A failed attempt's `last_error` starts with its class: `[permanent] …` or `[transient] …`.
public enum JobErrorClass: String, Sendable, Equatable {
    /// Retrying cannot fix it: the job fails at once.
    case permanent
    /// It may pass on a later attempt: the job is retried while attempts remain.
    case transient

    /// SQLSTATE classes whose errors a retry cannot fix: data exceptions (22, e.g. 22P05 for NUL in text), syntax
    /// errors or undefined objects (42), unsupported features (0A).
    static let permanentSQLStateClasses: Set<String> = ["22", "42", "0A"]

    /// The class of an attempt's error: the error's own (`ClassifiedJobError`, `PermanentJobFailure`), else the
    /// handler's verdict (`JobHandler.errorClass(of:)`), else by SQLSTATE for a `PostgresError` (a lost
    /// connection is transient), else transient.
    public static func of(_ error: any Error, handler: (any JobHandler)? = nil) -> JobErrorClass {
        if let classified = error as? any ClassifiedJobError { return classified.errorClass }
        if let verdict = handler?.errorClass(of: error) { return verdict }
        if let postgres = error as? PostgresError {
            guard !postgres.isConnectionFailure, let state = postgres.sqlState, state.count == 5 else {
                return .transient
            }
            return permanentSQLStateClasses.contains(String(state.prefix(2))) ? .permanent : .transient
        }
        return .transient
    }

    /// `[permanent] message`: how a failed attempt's error is stored in `last_error`.
    public func tag(_ message: String) -> String { "[\(rawValue)] \(message)" }
}

/// An error that says whether a retry can fix it.
public protocol ClassifiedJobError: Error {
    /// Permanent or transient.
    var errorClass: JobErrorClass { get }
}

extension PermanentJobFailure: ClassifiedJobError {
    /// Always permanent.
    public var errorClass: JobErrorClass { .permanent }
}
