import ArgumentParser
import Experiments
import Foundation
import JobQueue
import Logging

/// `seqtwins worker`: claims and runs jobs until stopped.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Claim and run jobs until stopped (SIGTERM/SIGINT: finish or release the running job, then exit)."
    )

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "Run N jobs at once, in N child worker processes.")
    var concurrency = 1

    @Flag(help: "Exit once no job is ready to claim (for cron).")
    var exitWhenIdle = false

    @Flag(help: """
        Exit once no job is left to run: none of its kinds queued or blocked and none running anywhere (waits for \
        running jobs and retry delays; for running an experiment to its end).
        """)
    var exitWhenDone = false

    @Option(help: "Exit after N jobs (per process with --concurrency).")
    var maxJobs: Int?

    @Option(help: """
        Jobs per claim: 'auto' (default) claims one at a time until jobs prove short, then as many as finish in \
        about 0.1 s (at most 10); N claims up to N (1: one at a time). Jobs waiting their turn keep their own \
        leases and go back to the queue when the running job is long.
        """)
    var prefetch = PrefetchPolicy.automatic

    @Option(help: "Only run these job kinds (comma separated; default: every kind this build knows).")
    var kinds: String?

    @Option(help: "Lease length in seconds; a dead worker's job is rescued after it runs out.")
    var leaseSeconds = 30.0

    @Option(help: "Seconds between lease renewals (and progress writes).")
    var heartbeatSeconds = 5.0

    @Option(help: "Seconds between polls when no notification arrives.")
    var pollSeconds = 5.0

    @Option(help: "Seconds between rescues of expired leases.")
    var rescueSeconds = 10.0

    @Option(help: "Seconds a running job may continue after SIGTERM before it is released to the queue.")
    var graceSeconds = 30.0

    @Option(help: "Delay after the first failed attempt, in seconds; doubles per attempt, with ±25% jitter.")
    var retryBaseSeconds = 1.0

    @Option(help: "Largest retry delay in seconds.")
    var retryMaxSeconds = 3600.0

    @Option(help: "Lease owner name (default: host:pid).")
    var name: String?

    @Option(help: "Serve Prometheus metrics on /metrics and a health check on /health at this port (with --concurrency N, ports P to P+N-1, one per worker process).")
    var metricsPort: Int?

    @Option(help: "The address the metrics endpoint listens on.")
    var metricsBind = "0.0.0.0"

    @Option(help: "Refuse a job whose estimated memory exceeds this many GiB (default: $SEQTWINS_MAX_JOB_MEMORY_GB, else 3/4 of this machine's memory).")
    var maxJobMemoryGb: Double?

    @Option(help: ArgumentHelp(
        "OPENBLAS_CORETYPE for the worker processes: auto (default: when OpenBLAS runs a generic kernel, pick the "
            + "fastest the CPU flags allow), none, or a name such as SkylakeX or Haswell.",
        valueName: "auto|none|NAME"))
    var openblasCoretype: String?

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency \(concurrency): expected an integer >= 1") }
        guard !(exitWhenIdle && exitWhenDone) else {
            throw ValidationError("--exit-when-idle and --exit-when-done: choose one (idle exits at the first moment "
                                  + "nothing is ready; done waits until nothing is left)")
        }
        // Checked here, before any child process starts, with the option's own name in the message.
        let flags = ["lease seconds": "--lease-seconds", "heartbeat interval": "--heartbeat-seconds",
                     "poll interval": "--poll-seconds", "rescue interval": "--rescue-seconds",
                     "grace period": "--grace-seconds", "retry base delay": "--retry-base-seconds",
                     "retry max delay": "--retry-max-seconds", "max jobs": "--max-jobs",
                     "prefetch": "--prefetch"]
        do {
            var options = WorkerOptions(databaseURL: nil)
            options.leaseSeconds = leaseSeconds
            options.heartbeatInterval = heartbeatSeconds
            options.pollInterval = pollSeconds
            options.rescueInterval = rescueSeconds
            options.gracePeriod = graceSeconds
            options.maxJobs = maxJobs
            options.prefetch = prefetch
            options.retryPolicy = try RetryPolicy(baseDelay: retryBaseSeconds, maxDelay: retryMaxSeconds)
            try options.validate()
        } catch JobQueueError.invalidOption(let name, let value, let expected) {
            throw ValidationError("\(flags[name] ?? name) \(value): expected \(expected)")
        }
        if let maxJobMemoryGb, !(maxJobMemoryGb > 0 && maxJobMemoryGb <= 1_000_000) {
            throw ValidationError("--max-job-memory-gb \(maxJobMemoryGb): expected a number of GiB in (0, 1000000]")
        }
        if let metricsPort, !(1...65_535).contains(metricsPort) || metricsPort + concurrency - 1 > 65_535 {
            throw ValidationError("--metrics-port \(metricsPort): expected a port from 1 to 65535 (leaving room for --concurrency)")
        }
    }

    func run() throws {
        let logger = try connection.makeLogger("seqtwins.worker")
        // Handlers and child processes read the limit from the environment.
        if let maxJobMemoryGb { setenv(ResourceEstimate.limitVariable, "\(maxJobMemoryGb)", 1) }
        let environment = ProcessInfo.processInfo.environment
        let coretype = ComputeEnvironment.coreTypeForWorkers(
            requested: openblasCoretype ?? environment["SEQTWINS_OPENBLAS_CORETYPE"], environment: environment)
        // OpenBLAS reads OPENBLAS_CORETYPE when it loads, so it must be set for a new process.
        let needsCoretype = coretype.map { environment["OPENBLAS_CORETYPE"] != $0 } ?? false
        if concurrency > 1 {
            try supervise(logger: logger, coretype: coretype)
            return
        }
        if let coretype, needsCoretype {
            // A single worker restarts itself in place (same process id) so OpenBLAS loads with the kernel set.
            logger.info("restarting with OPENBLAS_CORETYPE=\(coretype) (OpenBLAS runs \(ComputeEnvironment.blasCoreName))")
            setenv("OPENBLAS_CORETYPE", coretype, 1)
            let executable = WorkerSupervisor.currentExecutable().path
            let arguments = [executable] + CommandLine.arguments.dropFirst()
            var cArguments = arguments.map { strdup($0) } + [nil]
            execv(executable, &cArguments)
            throw ValidationError("could not restart \(executable) with OPENBLAS_CORETYPE set: errno \(errno)")
        }
        ComputeEnvironment.configureThreads(environment: environment)
        ComputeEnvironment.configureMemory()
        logger.info("\(ComputeEnvironment.blasSummary) OPENBLAS_CORETYPE=\(environment["OPENBLAS_CORETYPE"] ?? "unset")")
        var options = WorkerOptions(databaseURL: connection.resolvedURL)
        if let name { options.name = "\(name):\(getpid())" }
        options.leaseSeconds = leaseSeconds
        options.heartbeatInterval = heartbeatSeconds
        options.pollInterval = pollSeconds
        options.rescueInterval = rescueSeconds
        options.gracePeriod = graceSeconds
        options.exitWhenIdle = exitWhenIdle
        options.exitWhenDone = exitWhenDone
        options.maxJobs = maxJobs
        options.prefetch = prefetch
        options.kinds = kinds.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        options.retryPolicy = try RetryPolicy(baseDelay: retryBaseSeconds, maxDelay: retryMaxSeconds)
        options.supervisorProcessID = environment[WorkerSupervisor.parentVariable].flatMap { Int32($0) }
        if let metricsPort {
            // A supervisor's children each serve on their own port: P + their slot.
            let slot = environment[WorkerSupervisor.slotVariable].flatMap { Int($0) } ?? 0
            MetricsEndpoint.start(port: metricsPort + slot, bind: metricsBind, databaseURL: connection.resolvedURL,
                                  workerName: options.name, logger: logger)
        }
        let worker = try Worker(registry: Handlers.registry, options: options, logger: logger) {
            Foundation.exit(0)
        }
        let trap = SignalTrap { signal in
            logger.info("received signal \(signal)")
            worker.requestStop()
        }
        defer { withExtendedLifetime(trap) {} }
        try worker.run()
    }

    /// Runs `concurrency` children, each `seqtwins worker --concurrency 1` with the same options.
    private func supervise(logger: Logger, coretype: String?) throws {
        var arguments = ["worker", "--concurrency", "1", "--lease-seconds", "\(leaseSeconds)",
                         "--heartbeat-seconds", "\(heartbeatSeconds)", "--poll-seconds", "\(pollSeconds)",
                         "--rescue-seconds", "\(rescueSeconds)", "--grace-seconds", "\(graceSeconds)",
                         "--retry-base-seconds", "\(retryBaseSeconds)", "--retry-max-seconds", "\(retryMaxSeconds)"]
        if let url = connection.databaseURL { arguments += ["--database-url", url] }
        if let level = connection.logLevel { arguments += ["--log-level", level] }
        if exitWhenIdle { arguments.append("--exit-when-idle") }
        if exitWhenDone { arguments.append("--exit-when-done") }
        if let maxJobs { arguments += ["--max-jobs", "\(maxJobs)"] }
        if prefetch != .automatic { arguments += ["--prefetch", prefetch.argument] }
        if let kinds { arguments += ["--kinds", kinds] }
        if let name { arguments += ["--name", name] }
        if let metricsPort { arguments += ["--metrics-port", "\(metricsPort)", "--metrics-bind", metricsBind] }
        if let format = connection.logFormat { arguments += ["--log-format", format] }
        // The children must not pick a kernel of their own: they get the resolved choice (or none).
        arguments += ["--openblas-coretype", coretype ?? "none"]
        var environment: [String: String] = [
            ComputeEnvironment.threadsVariable: String(ComputeEnvironment.threadsPerProcess(concurrency)),
        ]
        if let coretype {
            environment["OPENBLAS_CORETYPE"] = coretype
            logger.info("setting OPENBLAS_CORETYPE=\(coretype) for worker processes")
        }
        // Under --exit-when-idle a process that failed is not restarted: a child that exits on an error (an unmigrated
        // database, a missing privilege) would otherwise restart forever and the run would never end; cron's next run
        // starts afresh.
        let supervisor = try WorkerSupervisor(executable: WorkerSupervisor.currentExecutable(), arguments: arguments,
                                              count: concurrency, environment: environment,
                                              restartCrashed: !exitWhenIdle && !exitWhenDone, logger: logger)
        let trap = SignalTrap { signal in supervisor.forward(signal) }
        defer { withExtendedLifetime(trap) {} }
        let status = try supervisor.run()
        if status != 0 { throw ExitCode(status) }
    }
}

extension PrefetchPolicy: ExpressibleByArgument {
    /// `auto` or a positive integer.
    public init?(argument: String) {
        if argument == "auto" {
            self = .automatic
        } else if let count = Int(argument) {
            self = .fixed(count)  // the range is checked with the other options
        } else {
            return nil
        }
    }

    /// The argument that gives this policy back (`auto` for the default).
    var argument: String {
        switch self {
        case .fixed(let count): "\(count)"
        case .adaptive: "auto"
        }
    }

    public var defaultValueDescription: String { argument }
}
