import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass; returns whether it held.
func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}

/// A `seqtwins` process started by a test, its standard error collected in a temporary file.
final class SeqTwinsProcess {
    let process = Process()
    let logURL: URL

    /// Starts `seqtwins arguments` against `databaseURL`.
    init(_ arguments: [String], databaseURL: String, environment: [String: String] = [:]) throws {
        let executable = RepositoryPaths.seqtwinsExecutable
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw MissingExecutable(path: executable.path)
        }
        logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("seqtwins-test-\(getpid())-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        env["DATABASE_URL"] = databaseURL
        process.environment = env
        let log = try FileHandle(forWritingTo: logURL)
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: logURL)
    }

    /// Sends a signal.
    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits up to `timeout` seconds for the process to exit; returns its status, or nil (and kills it) on timeout.
    @discardableResult
    func wait(timeout: Double) -> Int32? {
        let exited = waitUntil(timeout: timeout) { !process.isRunning }
        guard exited else {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Everything it wrote so far.
    var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }
}

/// Runs `seqtwins arguments` to completion and returns (status, output).
func runSeqTwins(_ arguments: [String], databaseURL: String, timeout: Double = 60) throws -> (Int32?, String) {
    let process = try SeqTwinsProcess(arguments, databaseURL: databaseURL)
    let status = process.wait(timeout: timeout)
    return (status, process.log)
}

/// A snapshot of every job row, to check that a rejected command changed nothing.
func snapshot(_ db: PostgresConnection) throws -> [String] {
    try db.query("SELECT j::text AS row FROM seqtwins.jobs j ORDER BY id").map { try $0.decode("row") }
        + db.query("SELECT d::text AS row FROM seqtwins.job_dependencies d ORDER BY 1").map { try $0.decode("row") }
}

/// Fast worker options for tests: short leases and heartbeats, quick polls.
let fastWorker = ["worker", "--lease-seconds", "3", "--heartbeat-seconds", "0.3", "--poll-seconds", "0.3",
                  "--rescue-seconds", "0.3", "--log-level", "info"]

/// The `seqtwins` executable was not built next to the tests.
struct MissingExecutable: Error, CustomStringConvertible {
    var path: String
    var description: String { "no seqtwins executable at \(path): run `swift build --build-tests` first" }
}
