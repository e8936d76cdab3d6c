import Foundation
import Logging

/// Runs N single-job worker processes (`--concurrency N`): each child is the same executable with its own
/// connections, so CPU-bound jobs use N cores. SIGTERM/SIGINT to the supervisor are forwarded to every child;
/// a child that crashes (non-zero exit or signal) is restarted unless the supervisor is stopping.
public final class WorkerSupervisor: @unchecked Sendable {
    private let executable: URL
    private let arguments: [String]
    private let count: Int
    private let environment: [String: String]
    private let restartCrashed: Bool
    private let logger: Logger
    private let lock = NSLock()
    private var stopping = false
    private var children: [Int: Process] = [:]
    private let exited = DispatchSemaphore(value: 0)

    /// Prepares `count` children running `executable arguments` with `environment` added to this process's.
    /// - Throws: `JobQueueError.invalidOption` when `count < 1`.
    public init(executable: URL, arguments: [String], count: Int, environment: [String: String] = [:],
                restartCrashed: Bool = true, logger: Logger) throws {
        guard count >= 1 else {
            throw JobQueueError.invalidOption(name: "concurrency", value: "\(count)", expected: "an integer >= 1")
        }
        self.executable = executable
        self.arguments = arguments
        self.count = count
        self.environment = environment
        self.restartCrashed = restartCrashed
        self.logger = logger
    }

    /// The environment variable that tells a child its slot, `0..<count` (a restarted child keeps its slot), e.g.
    /// for a per-process metrics port.
    public static let slotVariable = "SEQTWINS_WORKER_SLOT"

    /// The environment variable that tells a child its supervisor's process id (see
    /// `WorkerOptions.supervisorProcessID`).
    public static let parentVariable = "SEQTWINS_SUPERVISOR_PID"

    /// This executable's path (`/proc/self/exe` on Linux).
    public static func currentExecutable() -> URL {
        let proc = URL(fileURLWithPath: "/proc/self/exe")
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: proc.path) {
            return URL(fileURLWithPath: target)
        }
        return Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    }

    /// Forwards `signal` to every child and stops restarting them.
    public func forward(_ signal: Int32) {
        let pids: [Int32] = lock.withLock {
            stopping = true
            return children.values.filter(\.isRunning).map(\.processIdentifier)
        }
        logger.info("forwarding signal \(signal) to \(pids.count) worker processes")
        for pid in pids { kill(pid, signal) }
    }

    /// Starts the children and waits until all have exited.
    /// - Returns: 0 when every child's last run exited 0, else 1.
    /// - Throws: when a child cannot be started at all.
    public func run() throws -> Int32 {
        for slot in 0..<count { try spawn(slot) }
        var failures = 0
        while true {
            exited.wait()
            let (alive, restart): (Int, [Int]) = lock.withLock {
                var restart: [Int] = []
                for (slot, process) in children where !process.isRunning {
                    children[slot] = nil
                    let crashed = process.terminationReason == .uncaughtSignal || process.terminationStatus != 0
                    if crashed && restartCrashed && !stopping {
                        restart.append(slot)
                    } else if crashed {
                        failures += 1
                    }
                }
                return (children.count, restart)
            }
            for slot in restart {
                logger.warning("worker process \(slot) crashed; restarting it")
                Thread.sleep(forTimeInterval: 0.5)
                try spawn(slot)
            }
            if alive == 0 && restart.isEmpty { break }
        }
        return failures == 0 ? 0 : 1
    }

    private func spawn(_ slot: Int) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var childEnvironment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        childEnvironment[Self.parentVariable] = "\(getpid())"
        childEnvironment[Self.slotVariable] = "\(slot)"
        process.environment = childEnvironment
        process.terminationHandler = { [exited] _ in exited.signal() }
        try process.run()
        lock.withLock { children[slot] = process }
        logger.info("started worker process \(slot)", metadata: ["pid": "\(process.processIdentifier)"])
    }
}
