import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// Sharing one cluster: experiments of equal priority share the workers, a higher experiment priority is served
/// first, and a kind's cluster-wide cap holds under several workers.
@Suite("Fair share and kind caps", .serialized, .enabled(if: TestDatabase.isAvailable))
final class FairShareTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "FairShare")
        db = try database.connect()
    }

    deinit { database.drop() }

    private func experiment(_ name: String, priority: Int32 = 0) throws -> Int64 {
        try db.queryOne("""
            INSERT INTO seqtwins.experiments (name, spec, priority) VALUES (\(name), '{}', \(priority)) RETURNING id
            """)!.decode("id")
    }

    private func enqueue(_ count: Int, kind: String = "noop", payload: String = "{}", experiment: Int64?,
                         priority: Int32 = 0) throws {
        try db.execute("""
            SELECT seqtwins.enqueue(\(kind), \(PostgresJSON(text: payload)), \(priority), '{}', now(), 3, \(experiment))
            FROM generate_series(1, \(Int32(count)))
            """)
    }

    private func claimOne() throws -> (experiment: Int64?, priority: Int)? {
        try db.queryOne("SELECT experiment_id, priority FROM seqtwins.claim('test', 30, NULL, 1)").map {
            (try $0.decode("experiment_id"), try $0.decode("priority"))
        }
    }

    @Test func claimsGoRoundRobinBetweenExperimentsOfEqualPriority() throws {
        let big = try experiment("big")
        let small = try experiment("small")
        try enqueue(20, experiment: big)
        try enqueue(3, experiment: small)
        // Without fair share the first 20 claims would all be the big experiment's (it was enqueued first).
        let order = try (0..<6).map { _ in try #require(try claimOne()).experiment }
        #expect(order == [big, small, big, small, big, small])
        // With the small experiment drained, the big one gets every worker.
        #expect(try (0..<3).map { _ in try claimOne()?.experiment } == [big, big, big])
    }

    @Test func experimentPriorityComesFirstAndCanBeChanged() throws {
        let low = try experiment("low")
        let high = try experiment("high", priority: 5)
        try enqueue(3, experiment: low)
        try enqueue(3, experiment: high)
        #expect(try (0..<3).map { _ in try claimOne()?.experiment } == [high, high, high])
        #expect(try claimOne()?.experiment == low)

        let later = try experiment("later")
        try enqueue(2, experiment: later)
        let changed: Bool = try db.queryOne("SELECT seqtwins.set_experiment_priority(\(later), 9) AS ok")!.decode("ok")
        #expect(changed)
        #expect(try claimOne()?.experiment == later)
        #expect(throws: PostgresError.self) {
            try db.execute("SELECT seqtwins.set_experiment_priority(\(later), 2000000000)")
        }
    }

    @Test func jobPriorityOrdersStagesWithinAnExperiment() throws {
        let only = try experiment("stages")
        try enqueue(2, experiment: only, priority: 0)
        try enqueue(2, experiment: only, priority: 2)
        #expect(try (0..<4).map { _ in try claimOne()?.priority } == [2, 2, 0, 0])
    }

    @Test func aBatchClaimSharesItsJobsOut() throws {
        let a = try experiment("a")
        let b = try experiment("b")
        try enqueue(10, experiment: a)
        try enqueue(10, experiment: b)
        let rows = try db.query("SELECT experiment_id FROM seqtwins.claim('test', 30, NULL, 6)")
        let counts = Dictionary(grouping: try rows.map { try $0.decode("experiment_id", as: Int64.self) }, by: { $0 })
            .mapValues(\.count)
        #expect(counts == [a: 3, b: 3])
    }

    @Test func theSmallExperimentFinishesLongBeforeTheBigOneWithRealWorkers() throws {
        let big = try experiment("sweep")
        let small = try experiment("colleague")
        try enqueue(24, kind: "sleep", payload: #"{"seconds": 0.25}"#, experiment: big)
        try enqueue(3, kind: "sleep", payload: #"{"seconds": 0.25}"#, experiment: small)
        let workers = try (0..<2).map { _ in
            try SeqTwinsProcess(fastWorker + ["--exit-when-idle"], databaseURL: database.url)
        }
        for worker in workers { #expect(worker.wait(timeout: 120) == 0, "\(worker.log.suffix(2000))") }
        let bigFinishedFirst: Int = try db.queryOne("""
            SELECT count(*)::int FROM seqtwins.jobs b
            WHERE b.experiment_id = \(big)
              AND b.finished_at < (SELECT max(finished_at) FROM seqtwins.jobs s WHERE s.experiment_id = \(small))
            """)!.decode(0)
        // Round-robin: the small experiment's three jobs finish while at most a handful of the big one's do
        // (first come, first served would finish all 24 first).
        #expect(bigFinishedFirst <= 6, "\(bigFinishedFirst) of the big experiment's jobs finished first")
        let done: Int = try db.queryOne("SELECT count(*)::int FROM seqtwins.jobs WHERE state = 'succeeded'")!.decode(0)
        #expect(done == 27)
    }

    @Test func aKindCapHoldsUnderSeveralWorkers() throws {
        let set: Bool = try db.queryOne("SELECT seqtwins.set_kind_limit('sleep', 2) AS ok")!.decode("ok")
        #expect(set)
        try enqueue(8, kind: "sleep", payload: #"{"seconds": 0.4}"#, experiment: nil)
        try enqueue(20, kind: "noop", experiment: nil)
        // Two supervisors with two children each: four worker processes claiming at once.
        let supervisors = try (0..<2).map { _ in
            try SeqTwinsProcess(fastWorker + ["--concurrency", "2", "--exit-when-idle"], databaseURL: database.url)
        }
        for supervisor in supervisors {
            #expect(supervisor.wait(timeout: 120) == 0, "\(supervisor.log.suffix(2000))")
        }
        // At no sleep job's start were two others running.
        let overlapping: Int = try db.queryOne("""
            SELECT coalesce(max(c), 0)::int FROM (
                SELECT (SELECT count(*) FROM seqtwins.jobs o
                        WHERE o.kind = 'sleep' AND o.started_at <= s.started_at AND o.finished_at > s.started_at) AS c
                FROM seqtwins.jobs s WHERE s.kind = 'sleep') t
            """)!.decode(0)
        #expect(overlapping <= 2, "\(overlapping) sleep jobs ran at once")
        #expect(overlapping == 2, "the cap allows two at once, and four workers should use it")
        let done: Int = try db.queryOne("SELECT count(*)::int FROM seqtwins.jobs WHERE state = 'succeeded'")!.decode(0)
        #expect(done == 28)
        #expect(throws: PostgresError.self) { try db.execute("SELECT seqtwins.set_kind_limit('sleep', -1)") }
    }
}
