import Foundation

/// `noop`: succeeds at once. For tests, smoke checks and throughput benchmarks.
public struct NoopHandler: JobHandler {
    /// Creates the handler.
    public init() {}

    /// The kind this handler runs.
    public var kind: String { "noop" }
    /// One line for `seqtwins.job_kinds`.
    public var summary: String { "Does nothing; for tests and throughput benchmarks." }

    /// Does nothing; the worker completes the job.
    public func run(_ context: JobContext) throws {}
}
