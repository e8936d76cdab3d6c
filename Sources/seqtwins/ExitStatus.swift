import ArgumentParser
import DatasetStore
import Experiments
import Foundation
import JobQueue
import Postgres
import Sequences

/// The command line's exit statuses, one meaning each (README, "The command line").
enum ExitStatus {
    /// Everything asked for was done.
    static let success: Int32 = 0
    /// `seqtwins wait`: the experiment finished with a failed or cancelled job.
    static let jobFailed: Int32 = 1
    /// Bad usage or input: an unknown option, a bad spec or dataset file, a job or experiment that does not exist.
    static let usage: Int32 = 2
    /// The database could not be reached (or, for `wait`, could not be reached again within `--reconnect-seconds`).
    static let cannotConnect: Int32 = 3
    /// `seqtwins wait --timeout` ran out before the experiment finished.
    static let timedOut: Int32 = 4
    /// Any other failure, e.g. an error from the database server or an unmigrated database.
    static let otherError: Int32 = 5

    /// The status for an error that reached the top of a command.
    static func code(for error: any Error) -> Int32 {
        switch error {
        case let error as PostgresError: return error.isConnectionFailure ? cannotConnect : otherError
        case is ValidationError, is SpecFileError, is ExperimentSpecError, is DatasetError, is DatasetImportError:
            return usage
        case let error as ResultsStoreError:
            if case .checkpointChecksumMismatch = error { return otherError }
            return usage
        case let error as JobQueueError:
            if case .internalInconsistency = error { return otherError }
            return usage
        case let error as CommandFailure: return error.status
        default: return otherError
        }
    }
}

extension SeqTwinsCommand {
    /// Parses and runs a subcommand, mapping errors to ``ExitStatus`` (ArgumentParser would exit 1 for every
    /// error, and 64 for usage errors).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let exit as ExitCode {
            Self.exit(withError: exit)
        } catch {
            let parserCode = exitCode(for: error)
            if parserCode == .success { Self.exit(withError: error) }  // --help, --version
            let status = parserCode == .validationFailure ? ExitStatus.usage : ExitStatus.code(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(status)
        }
    }
}
