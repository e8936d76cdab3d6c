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
//   .build/release/bench-queue simulate [--jobs 1000000] [--claimers 64] ...   (Simulate.swift: many worker hosts)
import Foundation
import JobQueue
import Postgres

/// Command-line options.
struct BenchOptions {
    var jobs = 20_000
    var batches = [1, 10, 100]
    var workers = [1, 2, 4]

    init(arguments: [String]) throws {
        var rest = arguments.dropFirst()
        func list(_ text: String?, _ name: String) throws -> [Int] {
            let values = (text ?? "").split(separator: ",").compactMap { Int($0) }
            guard !values.isEmpty, values.allSatisfy({ $0 > 0 }) else {
                throw JobQueueError.invalidOption(name: name, value: text ?? "",
                                                  expected: "positive integers, e.g. 1,2,4")
            }
            return values
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--jobs": jobs = try list(rest.popFirst(), "--jobs")[0]
            case "--batch": batches = try list(rest.popFirst(), "--batch")
            case "--workers": workers = try list(rest.popFirst(), "--workers")
            default:
                throw JobQueueError.invalidOption(name: "argument", value: argument,
                                                  expected: "--jobs N, --batch K[,K...], --workers W[,W...]")
            }
        }
    }
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

func main() throws {
    if CommandLine.arguments.dropFirst().first == "simulate" {
        return try simulate(arguments: CommandLine.arguments.dropFirst(2))
    }
    let options = try BenchOptions(arguments: CommandLine.arguments)
    let server = ProcessInfo.processInfo.environment["DATABASE_URL"]
    let admin = try PostgresConnection(url: server)
    let name = "seqtwins_bench_\(getpid())"
    try admin.executeTrustedScript("CREATE DATABASE \(admin.quoteIdentifier(name))")
    defer { _ = try? admin.executeTrustedScript("DROP DATABASE IF EXISTS \(admin.quoteIdentifier(name)) WITH (FORCE)") }
    let url = replacingDatabase(in: server ?? "", with: name)
    let db = try PostgresConnection(url: url)
    try Migrator(directory: try Migrator.locateDirectory()).migrate(db)
    let queue = JobQueue(db)
    let cores = ProcessInfo.processInfo.activeProcessorCount
    print("bench-queue: \(options.jobs) no-op jobs per run, \(cores) cores, "
          + "server \(try db.queryOne("SHOW server_version")!.decode(0, as: String.self))")
    print("workers  batch  enqueue jobs/s  claim+complete jobs/s")
    for batch in options.batches {
        // Single-job round trips are slow; keep their runs short.
        let count = batch == 1 ? min(options.jobs, 5000) : options.jobs
        for workers in options.workers {
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

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("bench-queue: \(error)\n".utf8))
    exit(1)
}
