import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// The CLI's documented exit statuses (0 ok, 1 a job failed, 2 usage or input, 3 no database, 4 wait timed out,
/// 5 anything else), and `seqtwins wait` riding out lost connections.
@Suite("Command line exit statuses", .enabled(if: TestDatabase.isAvailable))
final class CommandLineExitTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "CommandLineExit")
        db = try database.connect()
        queue = JobQueue(db)
    }

    deinit { database.drop() }

    /// An experiment whose only job, its `plan`, stays queued (no worker runs here).
    private func experiment() throws -> Int64 {
        try db.queryOne("""
            SELECT seqtwins.enqueue_experiment('{"name": "w", "dataset": {"kind": "synthetic"}}'::jsonb) AS id
            """)!.decode("id")
    }

    /// Backends of this database other than the test's own connection.
    private func otherBackends() throws -> [Int32] {
        try db.query("""
            SELECT pid FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            """).map { try $0.decode("pid") }
    }

    @Test func waitReconnectsWhenItsConnectionIsDroppedAndKeepsWaiting() throws {
        let id = try experiment()
        let wait = try SeqTwinsProcess(["wait", "\(id)", "--interval", "0.1"], databaseURL: database.url)
        var seen = Set<Int32>()
        for round in 1...3 {
            var current: [Int32] = []
            #expect(try waitUntil(timeout: 30) {
                current = try otherBackends().filter { !seen.contains($0) }
                return !current.isEmpty
            }, "round \(round): wait has no connection:\n\(wait.log)")
            seen.formUnion(current)
            // What a server restart does to a client: its backend goes away mid-session.
            for pid in current { try db.execute("SELECT pg_terminate_backend(\(pid))") }
            #expect(wait.process.isRunning, "round \(round):\n\(wait.log)")
        }
        #expect(try waitUntil(timeout: 30) { try !otherBackends().filter { !seen.contains($0) }.isEmpty },
                "wait did not reconnect:\n\(wait.log)")
        let plan = try #require(try queue.claim(worker: "test", leaseSeconds: 60, kinds: ["plan"]).first)
        #expect(try queue.complete(job: plan.id, token: plan.leaseToken))
        #expect(wait.wait(timeout: 30) == 0, "\(wait.log)")
        #expect(wait.log.contains("reconnected to the database"), "\(wait.log)")
    }

    @Test func eachOutcomeHasItsOwnExitStatus() throws {
        let id = try experiment()
        let unreachable = "postgresql://postgres@/postgres?host=/nonexistent-seqtwins-socket-dir"
        let cases: [(arguments: [String], url: String, status: Int32, output: String)] = [
            (["wait", "\(id)", "--timeout", "0.2", "--interval", "0.05"], database.url, 4, "1 queued"),
            (["wait", "987654"], database.url, 2, "experiment 987654 does not exist"),
            (["wait"], database.url, 2, "Missing expected argument"),
            (["wait", "\(id)", "--interval", "0"], database.url, 2, "--interval 0.0: expected 0.05 to 3600 seconds"),
            (["enqueue", "/nonexistent/spec.json", "--dry-run"], database.url, 2, "no such file"),
            (["retry", "987654"], database.url, 2, "job 987654 does not exist"),
            (["worker", "--exit-when-idle", "--retry-max-seconds", "1e300"], database.url, 2,
             "--retry-max-seconds 1e+300: expected a number of seconds in 0...604800 (7 days)"),
            (["worker", "--exit-when-idle", "--lease-seconds=-3"], database.url, 2,
             "--lease-seconds -3.0: expected a number of seconds in (0, 86400]"),
            (["status"], unreachable, 3, "could not connect to PostgreSQL"),
            (["wait", "\(id)"], unreachable, 3, "could not connect to PostgreSQL"),
        ]
        for expected in cases {
            let (status, output) = try runSeqTwins(expected.arguments, databaseURL: expected.url)
            #expect(status == expected.status, "\(expected.arguments): \(output)")
            #expect(output.contains(expected.output), "\(expected.arguments): \(output)")
        }
        // A server error that is no one's input: an unmigrated database.
        let empty = try TestDatabase(suite: "CommandLineExitEmpty", migrate: false)
        defer { empty.drop() }
        let (emptyStatus, emptyOutput) = try runSeqTwins(["status"], databaseURL: empty.url)
        #expect(emptyStatus == 5, "\(emptyOutput)")
        // A finished experiment with a cancelled job.
        _ = try queue.cancel(experiment: id)
        let (cancelledStatus, cancelledOutput) = try runSeqTwins(["wait", "\(id)"], databaseURL: database.url)
        #expect(cancelledStatus == 1, "\(cancelledOutput)")
    }
}
