import ArgumentParser
import Foundation
import JobQueue
import Postgres

/// `seqtwins enqueue-job --kind K --payload JSON`: adds one job (experiments use `seqtwins enqueue FILE`).
struct EnqueueJobCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue-job",
        abstract: "Enqueue one job of a known kind; prints its id."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: ArgumentHelp("The job kind: one of \(Handlers.registry.kinds.joined(separator: ", "))."))
    var kind: String

    @Option(help: "The payload, a JSON object.")
    var payload = "{}"

    @Option(help: "Higher runs first.")
    var priority = 0

    @Option(help: "Comma-separated ids of jobs that must succeed first.")
    var dependsOn: String?

    @Option(help: "Attempts before the job fails for good.")
    var maxAttempts = 5

    @Option(help: "Do not run before this many seconds from now.")
    var delaySeconds = 0.0

    @Option(help: "The experiment the job belongs to.")
    var experiment: Int64?

    func run() throws {
        // Check everything before touching the database: a bad job changes nothing.
        try Handlers.registry.validate(kind: kind, payload: payload)
        var parents: [Int64] = []
        for part in (dependsOn ?? "").split(separator: ",") {
            guard let id = Int64(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--depends-on: '\(part)' is not a job id (expected comma-separated integers)")
            }
            parents.append(id)
        }
        guard maxAttempts >= 1 else { throw ValidationError("--max-attempts \(maxAttempts): expected >= 1") }
        let db = try PostgresConnection(url: connection.resolvedURL)
        let job = NewJob(kind: kind, payload: payload, priority: priority, dependsOn: parents,
                         runAfter: delaySeconds > 0 ? Date().addingTimeInterval(delaySeconds) : nil,
                         maxAttempts: maxAttempts, experimentID: experiment)
        print(try JobQueue(db).enqueue(job))
    }
}

/// `seqtwins cancel JOB | --experiment ID`.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Cancel a job (queued: at once; running: at its next heartbeat) and its waiting dependants."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The job id.")
    var job: Int64?

    @Option(help: "Cancel every unfinished job of this experiment instead.")
    var experiment: Int64?

    func validate() throws {
        guard (job == nil) != (experiment == nil) else {
            throw ValidationError("give either a job id or --experiment ID")
        }
    }

    func run() throws {
        let db = try PostgresConnection(url: connection.resolvedURL)
        let queue = JobQueue(db)
        if let experiment {
            print("cancelled \(try queue.cancel(experiment: experiment)) jobs of experiment \(experiment)")
            return
        }
        guard let job else { return }
        let previous = try queue.cancel(job: job)
        if previous.isFinished {
            print("job \(job) had already \(previous.rawValue); nothing to cancel")
        } else {
            print("cancelled job \(job) (was \(previous.rawValue))")
        }
    }
}

/// `seqtwins retry JOB`.
struct RetryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry",
        abstract: "Requeue a failed or cancelled job with fresh attempts (its cancelled dependants wait again)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The job id.")
    var job: Int64

    func run() throws {
        let db = try PostgresConnection(url: connection.resolvedURL)
        let previous = try JobQueue(db).retry(job: job)
        print("requeued job \(job) (was \(previous.rawValue))")
    }
}
