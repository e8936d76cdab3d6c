import Postgres

/// One row of `seqtwins.experiment_progress`: how far an experiment has come.
public struct ExperimentProgress: Sendable, Equatable {
    /// The experiment.
    public var experimentID: Int64
    /// Its name.
    public var name: String
    /// All its jobs, the plan job included.
    public var jobs: Int
    /// Jobs waiting on parents.
    public var blocked: Int
    /// Jobs ready to run.
    public var queued: Int
    /// Jobs running.
    public var running: Int
    /// Jobs done.
    public var succeeded: Int
    /// Jobs failed for good.
    public var failed: Int
    /// Jobs cancelled.
    public var cancelled: Int
    /// Finished work plus the running jobs' progress, over all the work (0...1), each job weighted by
    /// `seqtwins.job_work` (a pretraining job by its epochs).
    public var fractionDone: Double
    /// Whether every job has finished (succeeded, failed or cancelled).
    public var finished: Bool

    /// Reads the progress of one experiment, or of every experiment (newest first) when `experiment` is `nil`.
    public static func read(_ db: PostgresConnection, experiment: Int64? = nil, limit: Int = 20) throws -> [ExperimentProgress] {
        let filter: SQL = experiment.map { "WHERE experiment_id = \($0)" } ?? ""
        return try db.query("""
            SELECT * FROM seqtwins.experiment_progress \(filter) ORDER BY experiment_id DESC LIMIT \(limit)
            """).map { row in
            ExperimentProgress(
                experimentID: try row.decode("experiment_id"), name: try row.decode("name"),
                jobs: try row.decode("jobs"), blocked: try row.decode("blocked"), queued: try row.decode("queued"),
                running: try row.decode("running"), succeeded: try row.decode("succeeded"),
                failed: try row.decode("failed"), cancelled: try row.decode("cancelled"),
                fractionDone: try row.decode("fraction_done"), finished: try row.decode("finished", as: Bool?.self) ?? true)
        }
    }

    /// `#3 demo  [#####.....]  52%  12 jobs: 5 succeeded, 1 running, 6 blocked`.
    public func line(barWidth: Int = 20) -> String {
        let filled = Int((fractionDone * Double(barWidth)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: max(0, barWidth - filled))
        var parts: [String] = []
        for (count, label) in [(succeeded, "succeeded"), (running, "running"), (queued, "queued"),
                               (blocked, "blocked"), (failed, "failed"), (cancelled, "cancelled")] where count > 0 {
            parts.append("\(count) \(label)")
        }
        let percent = Int((fractionDone * 100).rounded(.down))
        return "#\(experimentID) \(name)  [\(bar)] \(percent)%  \(jobs) jobs: " + parts.joined(separator: ", ")
    }
}
