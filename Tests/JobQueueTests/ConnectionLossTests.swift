import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// Fault injection: a worker's connection is terminated again and again while its job runs. Reads, fenced writes
/// and the final fenced transaction reconnect and go through, so the job succeeds on its first attempt.
@Suite("Lost connections during a job", .enabled(if: TestDatabase.isAvailable))
final class ConnectionLossTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "ConnectionLoss")
        db = try database.connect()
        queue = JobQueue(db)
        try db.execute("CREATE TABLE seqtwins.test_writes (job_id bigint, step int, PRIMARY KEY (job_id, step))")
    }

    deinit { database.drop() }

    /// Terminates the worker's own connection (not the heartbeat's) and waits until its backend is gone.
    private static func terminateWorkerConnection(url: String) throws {
        let admin = try PostgresConnection(url: url)
        let pids: [Int32] = try admin.query("""
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'seqtwins-worker'
            """).map { try $0.decode("pid") }
        #expect(pids.count == 1)
        for pid in pids { try admin.execute("SELECT pg_terminate_backend(\(pid))") }
        for pid in pids {
            _ = try waitUntil(timeout: 30) {
                try admin.query("SELECT 1 AS alive FROM pg_stat_activity WHERE pid = \(pid)").isEmpty
            }
        }
    }

    @Test func aJobWhoseConnectionIsTerminatedRepeatedlySucceedsOnItsFirstAttempt() throws {
        let url = database.url
        let handler = ClosureHandler(kind: "flaky_connection") { context in
            let id = context.job.id
            for step in 1...3 {
                try Self.terminateWorkerConnection(url: url)
                try context.withFencedWrite { tx in
                    try tx.execute("""
                        INSERT INTO seqtwins.test_writes VALUES (\(id), \(Int32(step))) ON CONFLICT DO NOTHING
                        """)
                }
            }
            try Self.terminateWorkerConnection(url: url)
            let written = try context.withLeaseCheckedRead { db in
                try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.test_writes WHERE job_id = \(id)")!
                    .decode("n", as: Int.self)
            }
            try Self.terminateWorkerConnection(url: url)
            try context.withFencedTransaction { tx in
                try tx.execute("INSERT INTO seqtwins.test_writes VALUES (\(id), \(Int32(written + 1)))")
            }
        }
        try queue.registerKinds([handler.kind: handler.summary])
        let id = try queue.enqueue(NewJob(kind: "flaky_connection", maxAttempts: 3))
        var options = WorkerOptions(databaseURL: database.url, name: "flaky")
        options.exitWhenIdle = true
        options.leaseSeconds = 20
        options.heartbeatInterval = 0.5
        options.retryPolicy = try RetryPolicy(baseDelay: 600)  // a failed attempt would stay queued
        let summary = try Worker(registry: JobRegistry([handler]), options: options).run()
        #expect(summary.succeeded == 1 && summary.failed == 0, "\(summary)")
        let job = try #require(try queue.job(id))
        #expect(job.state == .succeeded)
        #expect(job.attempts == 1)
        let steps = try db.query("SELECT step FROM seqtwins.test_writes WHERE job_id = \(id) ORDER BY step")
            .map { try $0.decode("step", as: Int.self) }
        #expect(steps == [1, 2, 3, 4])
    }
}
