import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// The queue's SQL refuses or bounds what would otherwise wedge or bloat it (Migrations/0030_hardening.sql).
@Suite("Queue hardening", .enabled(if: TestDatabase.isAvailable))
final class QueueHardeningTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "QueueHardening")
        db = try database.connect()
        queue = JobQueue(db)
    }

    deinit { database.drop() }

    private func text(_ sql: SQL) throws -> String? {
        try db.queryOne(sql)?.decode("t", as: String?.self)
    }

    private func sqlError(_ sql: SQL) -> String {
        do {
            try db.execute(sql)
            return "no error"
        } catch let error as PostgresError {
            return error.message + " " + (error.detail ?? "")
        } catch {
            return "\(error)"
        }
    }

    @Test func errorAndProgressTextsAreBounded() throws {
        let parent = try queue.enqueue(NewJob(kind: "noop", maxAttempts: 1))
        let child = try queue.enqueue(NewJob(kind: "noop", dependsOn: [parent]))
        let job = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(job.id == parent)
        let huge = String(repeating: "e", count: 1 << 20)
        _ = try queue.heartbeat(job: job.id, token: job.leaseToken, leaseSeconds: 10, progress: 0.5, message: huge)
        let progress = try #require(try text("SELECT progress_message AS t FROM seqtwins.jobs WHERE id = \(parent)"))
        #expect(progress.count <= 4000)
        #expect(progress.hasSuffix("… [1048576 characters in all]"))
        #expect(try queue.fail(job: job.id, token: job.leaseToken, error: huge, retryDelay: nil) == .failed)
        let error = try #require(try text("SELECT last_error AS t FROM seqtwins.jobs WHERE id = \(parent)"))
        #expect(error.count <= 4000 && error.hasPrefix("eeee") && error.hasSuffix("[1048576 characters in all]"))
        let reason = try #require(try text("SELECT last_error AS t FROM seqtwins.jobs WHERE id = \(child)"))
        #expect(reason.count <= 4000 && reason.hasPrefix("dependency job \(parent) (noop) failed: eeee"))
        // A plain UPDATE is bounded the same way; short texts are left alone.
        try db.execute("UPDATE seqtwins.jobs SET last_error = repeat('x', 5000) WHERE id = \(child)")
        #expect(try text("SELECT last_error AS t FROM seqtwins.jobs WHERE id = \(child)")
                == String(repeating: "x", count: 3960) + "… [5000 characters in all]")
        try db.execute("UPDATE seqtwins.jobs SET last_error = 'short' WHERE id = \(child)")
        #expect(try text("SELECT last_error AS t FROM seqtwins.jobs WHERE id = \(child)") == "short")
    }

    @Test func leaseTimesOutsideTheRangeAreRefusedEvenWithNothingToClaim() throws {
        for lease in [-1, 0, Double.nan, .infinity, 86401] {
            let error = try #require(throws: PostgresError.self) { try queue.claim(worker: "w", leaseSeconds: lease) }
            #expect(error.message.contains("expected a number of seconds in (0, 86400]"), "\(lease): \(error)")
        }
        let id = try queue.enqueue(NewJob(kind: "noop"))
        let job = try #require(try queue.claim(worker: "w", leaseSeconds: 86400).first)
        #expect(job.id == id)
        let message = sqlError("SELECT seqtwins.heartbeat(\(id), \(job.leaseToken), -5)")
        #expect(message.contains("lease_seconds = -5: expected a number of seconds in (0, 86400]"), "\(message)")
        #expect(try queue.heartbeat(job: id, token: job.leaseToken, leaseSeconds: 30, progress: nil, message: nil)
                == .running)
    }

    @Test func runAfterMustBeFinite() throws {
        let enqueue = sqlError("SELECT seqtwins.enqueue('noop', run_after => 'infinity')")
        #expect(enqueue.contains("jobs_run_after_finite"), "\(enqueue)")
        let insert = sqlError("INSERT INTO seqtwins.jobs (kind, run_after) VALUES ('noop', '-infinity')")
        #expect(insert.contains("jobs_run_after_finite"), "\(insert)")
        #expect(try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.jobs")?.decode("n", as: Int.self) == 0)
    }

    @Test func absurdRetryDelaysAreClampedAndTheErrorIsKept() throws {
        for (delay, expected) in [(1e300, 604_800.0), (Double.nan, 604_800.0), (-5, 0.0)] {
            let id = try queue.enqueue(NewJob(kind: "noop"))
            let job = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
            #expect(job.id == id)
            #expect(try queue.fail(job: id, token: job.leaseToken, error: "boom \(delay)", retryDelay: delay)
                    == .queued)
            let row = try #require(try db.queryOne("""
                SELECT extract(epoch FROM run_after - now())::float8 AS wait, last_error FROM seqtwins.jobs
                WHERE id = \(id)
                """))
            #expect(abs(try row.decode("wait", as: Double.self) - expected) < 60)
            #expect(try row.decode("last_error", as: String.self) == "boom \(delay)")
            try db.execute("UPDATE seqtwins.jobs SET state = 'cancelled' WHERE id = \(id)")
        }
    }

    @Test func dependencyCyclesAreRefusedHoweverTheyAreWritten() throws {
        let a = try queue.enqueue(NewJob(kind: "noop"))
        let b = try queue.enqueue(NewJob(kind: "noop", dependsOn: [a]))
        let c = try queue.enqueue(NewJob(kind: "noop", dependsOn: [b]))
        let closing = sqlError("INSERT INTO seqtwins.job_dependencies (job_id, depends_on) VALUES (\(a), \(c))")
        #expect(closing.contains("job \(a) cannot depend on job \(c): that would close a cycle"), "\(closing)")
        #expect(closing.contains("job \(c) already waits on job \(a)"), "\(closing)")
        let twoCycle = sqlError("INSERT INTO seqtwins.job_dependencies (job_id, depends_on) VALUES (\(a), \(b))")
        #expect(twoCycle.contains("would close a cycle"), "\(twoCycle)")
        let update = sqlError("UPDATE seqtwins.job_dependencies SET depends_on = \(c) WHERE job_id = \(b)")
        #expect(update.contains("would close a cycle"), "\(update)")
        // Edges that close no cycle are still accepted, by INSERT and by enqueue.
        try db.execute("INSERT INTO seqtwins.job_dependencies (job_id, depends_on) VALUES (\(c), \(a))")
        let d = try queue.enqueue(NewJob(kind: "noop", dependsOn: [a, b, c]))
        let edges = try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.job_dependencies")
        #expect(try edges?.decode("n", as: Int.self) == 6)
        #expect(try queue.job(d)?.state == .blocked)
    }
}
