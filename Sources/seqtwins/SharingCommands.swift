import ArgumentParser
import Foundation
import JobQueue
import Postgres

/// `seqtwins priority EXPERIMENT P`: changes an experiment's priority (higher is served first; equal priorities
/// share the workers round-robin).
struct PriorityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "priority",
        abstract: "Set an experiment's priority: higher is served first, equal ones share the workers."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The experiment id.")
    var experiment: Int64

    @Argument(help: "The new priority, -1000000 to 1000000 (new experiments get 0).")
    var priority: Int

    func validate() throws {
        guard (-1_000_000...1_000_000).contains(priority) else {
            throw ValidationError("priority \(priority): expected -1000000 to 1000000")
        }
    }

    func run() throws {
        let db = try PostgresConnection(url: connection.resolvedURL)
        let found: Bool = try db.queryOne("""
            SELECT seqtwins.set_experiment_priority(\(experiment), \(Int32(priority))) AS found
            """)!.decode("found")
        guard found else { throw CommandFailure(description: "no experiment \(experiment)", status: ExitStatus.usage) }
        print("experiment \(experiment): priority \(priority)")
    }
}

/// `seqtwins limit KIND N|none`: caps the running jobs of a kind across every worker.
struct KindLimitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "limit",
        abstract: "Cap how many jobs of a kind run at once across all workers (`none` removes the cap)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: ArgumentHelp("The job kind: one of \(Handlers.registry.kinds.joined(separator: ", "))."))
    var kind: String

    @Argument(help: "The cap (0 holds the kind back entirely), or `none`.")
    var limit: String

    func validate() throws {
        guard limit == "none" || (Int(limit).map { $0 >= 0 && $0 <= 1_000_000 } ?? false) else {
            throw ValidationError("limit \(limit): expected a count from 0 to 1000000, or none")
        }
    }

    func run() throws {
        let db = try PostgresConnection(url: connection.resolvedURL)
        let cap = Int(limit).map(Int32.init)
        let found: Bool = try db.queryOne("SELECT seqtwins.set_kind_limit(\(kind), \(cap)) AS found")!.decode("found")
        guard found else { throw CommandFailure(description: "no job kind \(kind)", status: ExitStatus.usage) }
        print(cap.map { "\(kind): at most \($0) running at once" } ?? "\(kind): no cap")
    }
}

/// A command that ran but could not do what was asked: printed without a usage block, exiting with `status`
/// (``ExitStatus/usage`` for something that does not exist, else ``ExitStatus/otherError``).
struct CommandFailure: Error, CustomStringConvertible {
    /// What went wrong.
    var description: String
    /// The exit status.
    var status: Int32 = ExitStatus.otherError
}
