import Foundation
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
}
