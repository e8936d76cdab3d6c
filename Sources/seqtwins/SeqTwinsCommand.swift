import ArgumentParser
import Experiments
import Foundation
import JobQueue
import Logging

/// `seqtwins`: the command line. Thin: every subcommand parses options and calls a library.
@main
struct SeqTwinsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seqtwins",
        abstract: "Batch jobs for self-supervised user representations, with PostgreSQL as the queue.",
        subcommands: [EnqueueExperimentCommand.self, WorkerCommand.self, StatusCommand.self, WaitCommand.self,
                      ReportCommand.self, CancelCommand.self, RetryCommand.self, PriorityCommand.self,
                      KindLimitCommand.self, EnqueueJobCommand.self, ServeCommand.self,
                      DatasetCommand.self, SpecCommand.self, DatabaseCommand.self]
    )
}

/// The job handlers this build can run, by kind.
enum Handlers {
    /// `noop`, `sleep` and the experiment pipeline's `plan`, `pretrain`, `embed`, `evaluate`.
    static var registry: JobRegistry { ExperimentHandlers.registry }
}

/// Options every database command takes.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .customLong("database-url"),
            help: "PostgreSQL URL (default: $DATABASE_URL, else libpq's PG* variables).")
    var databaseURL: String?

    @Option(help: "Log level: trace … critical (default: $SEQTWINS_LOG_LEVEL, else info).")
    var logLevel: String?

    @Option(help: "Log lines as text or json, one object per line for log collectors (default: $SEQTWINS_LOG_FORMAT, else text).")
    var logFormat: String?

    /// The URL to connect with, or `nil` for libpq's defaults.
    var resolvedURL: String? {
        if let databaseURL, !databaseURL.isEmpty { return databaseURL }
        let environment = ProcessInfo.processInfo.environment["DATABASE_URL"]
        return environment?.isEmpty == false ? environment : nil
    }

    /// Sets up swift-log (one line per event on standard error) and returns a logger.
    func makeLogger(_ label: String) throws -> Logger {
        let text = logLevel ?? ProcessInfo.processInfo.environment["SEQTWINS_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("--log-level \(text): expected one of "
                                  + Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let format = logFormat ?? ProcessInfo.processInfo.environment["SEQTWINS_LOG_FORMAT"] ?? "text"
        guard format == "text" || format == "json" else {
            throw ValidationError("--log-format \(format): expected text or json")
        }
        // Worker processes started by a supervisor inherit the choice through the environment.
        setenv("SEQTWINS_LOG_FORMAT", format, 1)
        LogSetup.bootstrapOnce(level: level, json: format == "json")
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

enum LogSetup {
    nonisolated(unsafe) private static var done = false

    /// Bootstraps the logging system once per process.
    static func bootstrapOnce(level: Logger.Level, json: Bool = false) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            if json {
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
