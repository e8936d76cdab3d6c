import Foundation

/// Polls `condition` every 50 ms until it holds or `timeout` seconds pass; returns whether it held.
public func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    }
    return try condition()
}

/// A `seqtwins` process started by a test, its standard error collected in a temporary file.
public final class SeqTwinsProcess {
    /// The running process.
    public let process = Process()
    /// Where its standard output and error go.
    public let logURL: URL

    /// Starts `seqtwins arguments` against `databaseURL`, in `currentDirectory` when given.
    public init(_ arguments: [String], databaseURL: String, environment: [String: String] = [:],
                currentDirectory: String? = nil) throws {
        let executable = RepositoryPaths.seqtwinsExecutable
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw MissingExecutable(path: executable.path)
        }
        logURL = FileManager.default.temporaryDirectory
            .appendingPathComponent("seqtwins-test-\(getpid())-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
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
    public func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits up to `timeout` seconds for the process to exit; returns its status, or nil (and kills it) on timeout.
    @discardableResult
    public func wait(timeout: Double) -> Int32? {
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
    public var log: String {
        (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
    }
}

/// Runs `seqtwins arguments` to completion (in `currentDirectory` when given) and returns (status, output).
public func runSeqTwins(_ arguments: [String], databaseURL: String, timeout: Double = 60,
                        currentDirectory: String? = nil) throws -> (Int32?, String) {
    let process = try SeqTwinsProcess(arguments, databaseURL: databaseURL, currentDirectory: currentDirectory)
    let status = process.wait(timeout: timeout)
    return (status, process.log)
}

/// The `seqtwins` executable was not built next to the tests.
public struct MissingExecutable: Error, CustomStringConvertible {
    /// Where it was expected.
    public var path: String
    public var description: String { "no seqtwins executable at \(path): run `swift build --build-tests` first" }
}
