import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// Operations: `seqtwins db prune` (old finished jobs go, live experiments' jobs and every result stay) and JSON
/// log lines for log collectors.
@Suite("Operations", .enabled(if: TestDatabase.isAvailable))
final class OperationsTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "Operations")
        db = try database.connect()
    }

    deinit { database.drop() }

    private func job(state: String, experiment: Int64?, daysAgo: Int32) throws -> Int64 {
        let id: Int64 = try db.queryOne("""
            SELECT seqtwins.enqueue('noop', '{}', 0, '{}', now(), 3, \(experiment)) AS id
            """)!.decode("id")
        try db.execute("""
            UPDATE seqtwins.jobs SET state = \(state),
                finished_at = CASE WHEN \(state) IN ('succeeded', 'failed', 'cancelled')
                                   THEN now() - make_interval(days => \(daysAgo)) END
            WHERE id = \(id)
            """)
        return id
    }

    private func exists(_ id: Int64) throws -> Bool {
        try db.queryOne("SELECT count(*)::int FROM seqtwins.jobs WHERE id = \(id)")!.decode(0, as: Int.self) == 1
    }

    @Test func oldFinishedJobsGoWhileLiveExperimentsAndResultsStay() throws {
        let done: Int64 = try db.queryOne("INSERT INTO seqtwins.experiments (name, spec) VALUES ('done', '{}') RETURNING id")!
            .decode("id")
        let live: Int64 = try db.queryOne("INSERT INTO seqtwins.experiments (name, spec) VALUES ('live', '{}') RETURNING id")!
            .decode("id")
        let oldStandalone = try job(state: "succeeded", experiment: nil, daysAgo: 40)
        let recentStandalone = try job(state: "failed", experiment: nil, daysAgo: 2)
        let oldOfDone = try job(state: "succeeded", experiment: done, daysAgo: 40)
        let oldOfLive = try job(state: "succeeded", experiment: live, daysAgo: 40)
        let queuedOfLive = try job(state: "queued", experiment: live, daysAgo: 0)
        let run: Int64 = try db.queryOne("""
            INSERT INTO seqtwins.runs (experiment_id, series, method, seed, pretrain_job_id)
            VALUES (\(done), 'none', 'none', 0, \(oldOfDone)) RETURNING id
            """)!.decode("id")

        let (dryStatus, dry) = try runSeqTwins(["db", "prune", "--finished-before", "30d", "--dry-run"],
                                               databaseURL: database.url)
        #expect(dryStatus == 0 && dry.contains("would remove 2 finished job(s)"), "\(dry)")
        #expect(try exists(oldStandalone))

        let (status, output) = try runSeqTwins(["db", "prune", "--finished-before", "30d"], databaseURL: database.url)
        #expect(status == 0 && output.contains("removed 2 finished job(s)"), "\(output)")
        #expect(try !exists(oldStandalone))
        #expect(try !exists(oldOfDone))
        #expect(try exists(recentStandalone))
        #expect(try exists(oldOfLive), "a live experiment keeps its finished jobs")
        #expect(try exists(queuedOfLive))
        let kept: Int64? = try db.queryOne("SELECT pretrain_job_id FROM seqtwins.runs WHERE id = \(run)")!
            .decode("pretrain_job_id")
        #expect(kept == nil, "the run stays, its job reference cleared")

        let (bad, badOutput) = try runSeqTwins(["db", "prune", "--finished-before", "soon"], databaseURL: database.url)
        #expect(bad != 0 && badOutput.contains("--finished-before soon"), "\(badOutput)")
    }

    @Test func jsonLogLinesAreOneObjectEach() throws {
        let id = try job(state: "queued", experiment: nil, daysAgo: 0)
        let (status, output) = try runSeqTwins(fastWorker + ["--exit-when-idle", "--log-format", "json"],
                                               databaseURL: database.url)
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n")
        #expect(lines.count >= 4, "\(output)")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
            #expect(object?["level"] != nil && object?["message"] != nil && object?["time"] != nil, "\(line)")
        }
        #expect(lines.contains { $0.contains("\"job\":\"\(id)\"") && $0.contains("succeeded") }, "\(output)")
        let (bad, badOutput) = try runSeqTwins(["worker", "--log-format", "xml"], databaseURL: database.url)
        #expect(bad != 0 && badOutput.contains("--log-format xml"), "\(badOutput)")
    }

    @Test func experimentProgressCountsWorkNotJobs() throws {
        let experiment: Int64 = try db.queryOne(
            "INSERT INTO seqtwins.experiments (name, spec) VALUES ('work', '{}') RETURNING id")!.decode("id")
        let pretrain: Int64 = try db.queryOne("""
            SELECT seqtwins.enqueue('noop', '{"method": {"name": "barlow_twins", "epochs": 100}}', 0, '{}', now(), 3,
                                    \(experiment)) AS id
            """)!.decode("id")
        try db.execute("""
            UPDATE seqtwins.jobs SET kind = 'pretrain', state = 'running', lease_token = gen_random_uuid(),
                lease_expires_at = now() + interval '1 hour', progress = 0.45 WHERE id = \(pretrain)
            """)
        for _ in 0..<10 {
            try db.execute("SELECT seqtwins.enqueue('noop', '{}', 0, '{}', now(), 3, \(experiment))")
        }
        let fraction: Double = try db.queryOne("""
            SELECT fraction_done FROM seqtwins.experiment_progress WHERE experiment_id = \(experiment)
            """)!.decode("fraction_done")
        // 45 of 110 work units (100 epochs + 10 one-unit jobs), where counting jobs would say 0.45 of 11.
        #expect(abs(fraction - 45.0 / 110) < 1e-9, "\(fraction)")
    }

    /// A TCP port that was free a moment ago (bound to 0 and released).
    private func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        #expect(bound == 0)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// GET `url`: (status, body), or nil when nothing answers.
    private func get(_ url: String) -> (Int, String)? {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        URLSession.shared.dataTask(with: URL(string: url)!) { data, response, _ in
            if let response = response as? HTTPURLResponse {
                result.set((response.statusCode, String(decoding: data ?? Data(), as: UTF8.self)))
            }
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 10)
        return result.value
    }

    @Test func workersServePrometheusMetricsAndHealthOnePortPerProcess() throws {
        for _ in 0..<3 { _ = try job(state: "queued", experiment: nil, daysAgo: 0) }
        let port = try freePort()
        let worker = try SeqTwinsProcess(
            fastWorker + ["--concurrency", "2", "--metrics-port", "\(port)", "--metrics-bind", "127.0.0.1"],
            databaseURL: database.url)
        defer {
            worker.signal(SIGTERM)
            worker.wait(timeout: 20)
        }
        var metrics = ""
        #expect(waitUntil(timeout: 30) {
            metrics = get("http://127.0.0.1:\(port)/metrics")?.1 ?? ""
            let other = get("http://127.0.0.1:\(port + 1)/metrics")?.1 ?? ""
            return metrics.contains("seqtwins_queue_jobs{state=\"succeeded\"} 3") && other.contains("seqtwins_queue_jobs")
        }, "\(metrics)\n\(worker.log.suffix(2000))")
        #expect(metrics.contains("# TYPE seqtwins_queue_jobs gauge"))
        #expect(metrics.contains("seqtwins_heartbeat_age_seconds"))
        let claimedHere = get("http://127.0.0.1:\(port)/metrics")?.1 ?? ""
        let claimedThere = get("http://127.0.0.1:\(port + 1)/metrics")?.1 ?? ""
        // The three no-op jobs were claimed by the two processes between them.
        let claims = [claimedHere, claimedThere].map { text in
            text.split(separator: "\n").filter { $0.hasPrefix("seqtwins_jobs_claimed_total{kind=\"noop\"}") }
                .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
        }
        #expect(claims.reduce(0, +) == 3, "\(claims)")
        let health = get("http://127.0.0.1:\(port)/health")
        #expect(health?.0 == 200 && health?.1 == "ok\n")
    }
}

/// One value handed across threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (Int, String)?

    func set(_ value: (Int, String)) { lock.withLock { stored = value } }
    var value: (Int, String)? { lock.withLock { stored } }
}
