// bench-queue: no-op job throughput of the PostgreSQL queue.
//
// Enqueues N no-op jobs, then drains them with 1, 2 and 4 workers (threads, each with its own connection), each
// round trip completing the last batch and claiming up to K more jobs (`seqtwins.complete_and_claim`), and prints
// jobs/s for claim+complete. Runs in a throwaway database on the server named by DATABASE_URL (or
// libpq's PG* variables), created and dropped here.
//
//   swift build -c release --product bench-queue
//   DATABASE_URL="$(scripts/pg.sh start)" .build/release/bench-queue \
//       [--jobs 20000] [--batch 1,10,100] [--workers 1,2,4]
//   .build/release/bench-queue worker [--jobs 20000] [--workers 1,2,4] [--rounds 3] [--pgqueuer python3]
//                                                  (WorkerLoop.swift: the real Worker loop, before and after 0041)
//   .build/release/bench-queue simulate [--jobs 1000000] [--claimers 64] ...   (Simulate.swift: many worker hosts)
import ArgumentParser
import Foundation
import JobQueue
import Postgres

/// A comma-separated list of positive integers, e.g. `1,2,4`.
struct PositiveIntegers: ExpressibleByArgument {
    var values: [Int]

    init(_ values: [Int]) { self.values = values }

    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false)
        let values = parts.compactMap { Int($0) }
        guard !values.isEmpty, values.count == parts.count, values.allSatisfy({ $0 > 0 }) else { return nil }
        self.values = values
    }

    var defaultValueDescription: String { values.map(String.init).joined(separator: ",") }
}

/// Drains the queue with `workers` threads claiming `batch` jobs per round trip; returns seconds and jobs done.
func drain(url: String, workers: Int, batch: Int) -> (seconds: Double, done: Int) {
    let group = DispatchGroup()
    let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: workers)
    counts.initialize(repeating: 0)
    defer { counts.deallocate() }
    let start = Date()
    for index in 0..<workers {
        group.enter()
        nonisolated(unsafe) let slot = counts
        Thread.detachNewThread {
            defer { group.leave() }
            do {
                let queue = JobQueue(try PostgresConnection(url: url, applicationName: "bench-queue"))
                var jobs = try queue.claim(worker: "bench-\(index)", leaseSeconds: 60, kinds: ["noop"], limit: batch)
                while !jobs.isEmpty {
                    // One round trip completes this batch and claims the next.
                    slot[index] += jobs.count
                    jobs = try queue.completeAndClaim(jobs.map { ($0.id, $0.leaseToken) }, worker: "bench-\(index)",
                                                      leaseSeconds: 60, kinds: ["noop"], limit: batch)
                }
            } catch {
                FileHandle.standardError.write(Data("worker \(index): \(error)\n".utf8))
            }
        }
    }
    group.wait()
    return (Date().timeIntervalSince(start), counts.reduce(0, +))
}

/// `bench-queue`: throughput (the default) or the many-hosts simulation.
@main
struct BenchQueue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-queue",
        abstract: "Benchmarks of the PostgreSQL job queue.",
        subcommands: [Throughput.self, WorkerLoop.self, Simulate.self], defaultSubcommand: Throughput.self)
}

/// `bench-queue simulate`: C claimers (worker hosts) drain N jobs; see Simulate.swift for the options.
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drain N no-op jobs with C claimers as C worker hosts would; print rates, latencies, sizes and a hosts estimate.",
        discussion: "Options: --jobs N (1000000) --claimers C (64) --buckets B (10) --combined --heartbeat-seconds S (10) --explain --keep")

    @Argument(parsing: .allUnrecognized, help: "The simulation's options.")
    var options: [String] = []

    func run() throws { try simulate(arguments: options[...]) }
}

/// `bench-queue throughput`: enqueue and drain no-op jobs at each batch size and worker count, and print the rates.
struct Throughput: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throughput",
        abstract: "Time enqueueing and draining no-op jobs through the PostgreSQL job queue.",
        discussion: """
            Creates a throwaway database on the server named by DATABASE_URL (or libpq's PG* variables), migrates \
            it, and for each batch size and worker count enqueues the jobs and drains them with worker threads, \
            each on its own connection, one round trip completing a batch and claiming the next. Prints the server \
            version, then one row per run: workers, batch, enqueue jobs/s and claim+complete jobs/s. Runs with \
            batch 1 are capped at 5,000 jobs. The database is dropped at the end.
            """)

    @Option(help: "No-op jobs per run.")
    var jobs = 20_000
    @Option(help: "Jobs claimed per round trip, comma-separated.")
    var batch = PositiveIntegers([1, 10, 100])
    @Option(help: "Worker threads, comma-separated.")
    var workers = PositiveIntegers([1, 2, 4])

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("--jobs must be a positive integer") }
    }

    func run() throws {
        let server = ProcessInfo.processInfo.environment["DATABASE_URL"]
        let admin = try PostgresConnection(url: server)
        let name = "seqtwins_bench_\(getpid())"
        try admin.executeTrustedScript("CREATE DATABASE \(admin.quoteIdentifier(name))")
        defer {
            _ = try? admin.executeTrustedScript("DROP DATABASE IF EXISTS \(admin.quoteIdentifier(name)) WITH (FORCE)")
        }
        let url = replacingDatabase(in: server ?? "", with: name)
        let db = try PostgresConnection(url: url)
        try Migrator(directory: try Migrator.locateDirectory()).migrate(db)
        let queue = JobQueue(db)
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("bench-queue: \(jobs) no-op jobs per run, \(cores) cores, "
              + "server \(try db.queryOne("SHOW server_version")!.decode(0, as: String.self))")
        print("workers  batch  enqueue jobs/s  claim+complete jobs/s")
        for batch in batch.values {
            // Single-job round trips are slow; keep their runs short.
            let count = batch == 1 ? min(jobs, 5000) : jobs
            for workers in workers.values {
                try db.execute("TRUNCATE seqtwins.jobs CASCADE")
                let enqueueStart = Date()
                var remaining = count
                while remaining > 0 {
                    let chunk = min(remaining, 5000)
                    try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: chunk))
                    remaining -= chunk
                }
                let enqueueRate = Double(count) / Date().timeIntervalSince(enqueueStart)
                try db.execute("VACUUM ANALYZE seqtwins.jobs")
                let (seconds, done) = drain(url: url, workers: workers, batch: batch)
                let succeeded = try db.queryOne("SELECT count(*) AS n FROM seqtwins.jobs WHERE state = 'succeeded'")
                guard done == count, try succeeded?.decode("n", as: Int.self) == count else {
                    throw JobQueueError.internalInconsistency("drained \(done) of \(count) jobs")
                }
                print(String(format: "%7d  %5d  %14.0f  %21.0f", workers, batch, enqueueRate, Double(done) / seconds))
            }
        }
    }
}

/// Points a URL at another database (the same rule as the test fixture; `key=value` strings get `dbname=`).
func replacingDatabase(in url: String, with database: String) -> String {
    guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://"), let schemeEnd = url.range(of: "://")
    else {
        return url.isEmpty ? "dbname=\(database)" : url + " dbname=\(database)"
    }
    let rest = url[schemeEnd.upperBound...]
    let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
    let authority = rest[..<queryStart]
        .split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    return String(url[..<schemeEnd.upperBound]) + authority + "/" + database + rest[queryStart...]
}

