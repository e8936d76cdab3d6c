import ArgumentParser
import Dashboard
import Foundation
import Logging

/// `seqtwins serve`: the read-only web dashboard (the pages are in the Dashboard module).
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the read-only web dashboard: experiments, jobs, workers and datasets, updating live.",
        discussion: """
            Connect with a login that can only read (e.g. --database-url postgresql://seqtwins_reader@host/db): \
            the dashboard never writes, and its sessions are read-only whatever the login.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The port to listen on (0 picks a free one; the URL is printed).")
    var port = 8080

    @Option(help: "The address to listen on: 127.0.0.1 serves this machine only, 0.0.0.0 every interface.")
    var bind = "127.0.0.1"

    @Option(help: "Database connections (and queries at once), 1-64.")
    var connections = 4

    @Option(help: "Seconds between live updates of an open page; 0 turns them off.")
    var refreshSeconds = 5

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port \(port): expected 0 to 65535") }
        guard (1...64).contains(connections) else {
            throw ValidationError("--connections \(connections): expected 1 to 64")
        }
        guard (0...3_600).contains(refreshSeconds) else {
            throw ValidationError("--refresh-seconds \(refreshSeconds): expected 0 to 3600")
        }
    }

    func run() throws {
        let logger = try connection.makeLogger("seqtwins.serve")
        let site = DashboardSite(database: DashboardDatabase(url: connection.resolvedURL, connections: connections),
                                 refreshSeconds: refreshSeconds)
        var serverLogger = logger
        serverLogger.logLevel = max(logger.logLevel, .warning)
        let outcome = ServeOutcome()
        let done = DispatchSemaphore(value: 0)
        Task.detached { [bind, port] in
            do {
                try await DashboardServer.run(site: site, host: bind, port: port, logger: serverLogger) { url in
                    FileHandle.standardOutput.write(Data("dashboard on \(url) (read-only; Ctrl-C stops it)\n".utf8))
                }
            } catch {
                outcome.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = outcome.error { throw CommandFailure(description: "serve: \(error)") }
    }
}

/// How the server task ended, handed back to the command's thread.
private final class ServeOutcome: @unchecked Sendable {
    var error: (any Error)?
}
