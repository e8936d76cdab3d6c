// bench-queue worker: the real worker loop on no-op jobs, against the raw claim+complete rate and pgqueuer.
//
// For each round and worker count W it enqueues N no-op jobs and drains them, in turn:
//   - before: W `Worker`s (JobQueue's worker loop, one per thread, each with its own connections, as each process of
//     `seqtwins worker --concurrency W` runs one) completing each job in a round trip of its own and sending unnamed
//     statements, on a database migrated only up to 0040: the loop as it was before migration 0041;
//   - after: W `Worker`s as they run now (completion with the next claim, prepared statements), all migrations;
//     one job per claim (`seqtwins worker --prefetch 1`), then as workers run by default (`--prefetch auto`: claims
//     grow to 10 jobs as they prove short), then with each `--prefetch` above 1 (`seqtwins worker --prefetch K`);
//   - raw: the `throughput` benchmark's loop (threads calling `seqtwins.complete_and_claim`, no Worker) at each
//     `--batch`;
//   - pgqueuer (with `--pgqueuer PYTHON`): scripts/bench-pgqueuer.py, pgqueuer's default loop with W processes.
// Every run is checked (all N jobs succeeded). Prints each run as it ends, then medians over the rounds.
import ArgumentParser
import Foundation
import JobQueue
import Logging
import Postgres

/// `bench-queue worker`: the real worker loop before and after, the raw queue rate and pgqueuer, alternated.
struct WorkerLoop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Drain no-op jobs with the real worker loop (before and after 0041), the raw loop and pgqueuer.",
        discussion: """
            Creates throwaway databases on the server named by DATABASE_URL (one migrated up to 0040 for the loop \
            as it was, one fully), and per round and worker count W drains N no-op jobs with W Worker loops on \
            threads (each with its own connections, like the W processes of `seqtwins worker --concurrency W`), \
            before and after, then with the raw complete_and_claim loop, then (with --pgqueuer) with pgqueuer's \
            default loop in W processes. Prints every run, then the median jobs/s per W over the rounds. The \
            databases are dropped at the end.
            """)

    @Option(help: "No-op jobs per run.")
    var jobs = 20_000
    @Option(help: "Worker counts, comma-separated.")
    var workers = PositiveIntegers([1, 2, 4])
    @Option(help: "Rounds (each runs every variant once per worker count).")
    var rounds = 3
    @Option(help: "Batch sizes of the raw complete_and_claim loop, comma-separated.")
    var batch = PositiveIntegers([1, 10])
    @Option(help: "Also run the loop with these fixed --prefetch values (jobs claimed at a time), comma-separated.")
    var prefetch = PositiveIntegers([10])
    @Option(help: "The workers' log level (the real worker logs every transition at info).")
    var logLevel = "warning"
    @Option(help: "A Python with pgqueuer and asyncpg installed: also run scripts/bench-pgqueuer.py.")
    var pgqueuer: String?

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("--jobs must be a positive integer") }
        guard rounds > 0 else { throw ValidationError("--rounds must be a positive integer") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): expected trace, debug, info, notice, warning, error or critical")
        }
    }

    func run() throws {
        let server = ProcessInfo.processInfo.environment["DATABASE_URL"]
        let admin = try PostgresConnection(url: server)
        let prefix = "seqtwins_bench_worker_\(getpid())"
        let names = ["before", "after", "pgqueuer"].map { "\(prefix)_\($0)" }
        for name in names { try admin.executeTrustedScript("CREATE DATABASE \(admin.quoteIdentifier(name))") }
        defer {
            for name in names {
                _ = try? admin.executeTrustedScript("DROP DATABASE IF EXISTS \(admin.quoteIdentifier(name)) WITH (FORCE)")
            }
        }
        let urls = names.map { replacingDatabase(in: server ?? "", with: $0) }
        let migrator = try Migrator(directory: try Migrator.locateDirectory())
        let before = try PostgresConnection(url: urls[0])
        try Migrator(migrations: migrator.migrations.filter { $0.version <= 40 }).migrate(before)
        let after = try PostgresConnection(url: urls[1])
        try migrator.migrate(after)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("bench-queue worker: \(jobs) no-op jobs per run, \(rounds) rounds, \(cores) cores, "
              + "server \(try after.queryOne("SHOW server_version")!.decode(0, as: String.self)), "
              + "worker log level \(logLevel)")
        var results: [String: [Int: [Double]]] = [:]
        func record(_ variant: String, _ workers: Int, _ rate: Double) {
            results[variant, default: [:]][workers, default: []].append(rate)
            print("  " + padded(variant, 32) + "W=\(workers)  " + String(format: "%8.0f jobs/s", rate))
            fflush(nil)
        }
        for round in 1...rounds {
            print("round \(round)")
            for workers in workers.values {
                record("worker loop, before 0041", workers,
                       try workerLoop(before, url: urls[0], workers: workers, combined: false, prefetch: .fixed(1)))
                record("worker loop, prefetch 1", workers,
                       try workerLoop(after, url: urls[1], workers: workers, combined: true, prefetch: .fixed(1)))
                record("worker loop, default (auto)", workers,
                       try workerLoop(after, url: urls[1], workers: workers, combined: true, prefetch: .automatic))
                for prefetch in prefetch.values where prefetch > 1 {
                    record("worker loop, prefetch \(prefetch)", workers,
                           try workerLoop(after, url: urls[1], workers: workers, combined: true,
                                          prefetch: .fixed(prefetch)))
                }
                for batch in batch.values {
                    record("raw complete_and_claim b=\(batch)", workers, try rawLoop(after, url: urls[1],
                                                                                   workers: workers, batch: batch))
                }
                if let pgqueuer {
                    record("pgqueuer default loop", workers, try pgqueuerLoop(python: pgqueuer, url: urls[2],
                                                                              workers: workers))
                }
            }
        }
        print("\nmedian jobs/s over \(rounds) rounds")
        let counts = workers.values
        print(padded("variant", 34) + counts.map { String(repeating: " ", count: max(0, 8 - "W=\($0)".count)) + "W=\($0)" }
            .joined())
        for variant in results.keys.sorted(by: { variantOrder($0) < variantOrder($1) }) {
            let row = counts.map { String(format: "%8.0f", median(results[variant]?[$0] ?? [])) }.joined()
            print(padded(variant, 34) + row)
        }
    }

    /// Display order: before, after, raw, pgqueuer.
    private func variantOrder(_ name: String) -> String {
        name.hasPrefix("worker loop, before") ? "0" : name.hasPrefix("worker loop") ? "1" + name
            : name.hasPrefix("raw") ? "2" + name : "3"
    }

    /// Fills the queue with `jobs` no-op jobs (nothing else in it).
    private func refill(_ db: PostgresConnection) throws {
        try db.execute("TRUNCATE seqtwins.jobs CASCADE")
        let queue = JobQueue(db)
        var remaining = jobs
        while remaining > 0 {
            let chunk = min(remaining, 5000)
            try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: chunk))
            remaining -= chunk
        }
        try db.execute("VACUUM ANALYZE seqtwins.jobs")
    }

    /// Throws unless every job succeeded.
    private func checkDrained(_ db: PostgresConnection, reported: Int) throws {
        let succeeded: Int = try db.queryOne(
            "SELECT count(*) AS n FROM seqtwins.jobs WHERE state = 'succeeded'")!.decode("n")
        guard reported == jobs, succeeded == jobs else {
            throw JobQueueError.internalInconsistency("drained \(reported) of \(jobs) jobs, \(succeeded) succeeded")
        }
    }

    /// Drains the queue with `workers` real `Worker` loops (exit when idle); returns jobs/s.
    private func workerLoop(_ db: PostgresConnection, url: String, workers: Int, combined: Bool,
                            prefetch: PrefetchPolicy)
        throws -> Double
    {
        try refill(db)
        let level = Logger.Level(rawValue: logLevel) ?? .warning
        let loops = try (0..<workers).map { index in
            var options = WorkerOptions(databaseURL: url, name: "bench-worker-\(index)")
            options.exitWhenIdle = true
            options.completeWithNextClaim = combined
            options.preparedStatements = combined
            options.prefetch = prefetch
            var logger = Logger(label: "bench-queue.worker")
            logger.logLevel = level
            return try Worker(registry: JobRegistry([NoopHandler()]), options: options, logger: logger)
        }
        let group = DispatchGroup()
        let summaries = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
        summaries.initialize(repeating: 0)
        defer { summaries.deallocate() }
        let start = Date()
        for (index, loop) in loops.enumerated() {
            group.enter()
            nonisolated(unsafe) let slot = summaries
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    slot[index] = try loop.run().succeeded
                } catch {
                    FileHandle.standardError.write(Data("worker \(index): \(error)\n".utf8))
                }
            }
        }
        group.wait()
        let seconds = Date().timeIntervalSince(start)
        try checkDrained(db, reported: summaries.reduce(0, +))
        return Double(jobs) / seconds
    }

    /// Drains the queue with the `throughput` benchmark's loop; returns jobs/s.
    private func rawLoop(_ db: PostgresConnection, url: String, workers: Int, batch: Int) throws -> Double {
        try refill(db)
        let (seconds, done) = drain(url: url, workers: workers, batch: batch)
        try checkDrained(db, reported: done)
        return Double(done) / seconds
    }

    /// Runs scripts/bench-pgqueuer.py for one worker count; returns its jobs/s.
    private func pgqueuerLoop(python: String, url: String, workers: Int) throws -> Double {
        let script = try Migrator.locateDirectory().deletingLastPathComponent()
            .appendingPathComponent("scripts/bench-pgqueuer.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, script.path, "--dsn", url, "--jobs", "\(jobs)", "--workers", "\(workers)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let field = text.split(whereSeparator: \.isWhitespace).first(where: { $0.hasPrefix("jobs_per_s=") }),
              let rate = Double(field.dropFirst("jobs_per_s=".count))
        else {
            throw JobQueueError.internalInconsistency(
                "\(script.path) exited \(process.terminationStatus) without a jobs_per_s figure: \(text.prefix(400))")
        }
        return rate
    }
}

/// The median of `values` (NaN when empty).
func median(_ values: [Double]) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/// `text` padded with spaces to `width` characters.
func padded(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(1, width - text.count))
}
