import ArgumentParser
import Experiments
import Foundation
import JobQueue
import Postgres

/// `seqtwins status`: counts per state and the running jobs with their progress.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show job counts per state, and each running job with its progress bar and worker."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Also list the N most recent failed jobs with their errors.")
    var failed = 0

    @Option(help: "Show only this experiment: its progress, job counts, running and failed jobs.")
    var experiment: Int64?

    func run() throws {
        let db = try PostgresConnection(url: connection.resolvedURL)
        let queue = JobQueue(db)
        let running = try queue.jobs(state: .running, experiment: experiment, limit: 1000).sorted { $0.id < $1.id }
        let experiments = try ExperimentProgress.read(db, experiment: experiment, limit: experiment == nil ? 10 : 1)
        if !experiments.isEmpty {
            print("experiments:")
            for progress in experiments { print("  " + progress.line()) }
        }
        print(StatusReport.render(counts: try queue.counts(experiment: experiment), running: running))
        if failed > 0 {
            let jobs = try queue.jobs(state: .failed, experiment: experiment, limit: failed)
            if !jobs.isEmpty { print("failed:") }
            for job in jobs {
                print("  #\(job.id) \(job.kind) after \(job.attempts) attempts: \(job.lastError ?? "")")
            }
        }
    }
}
