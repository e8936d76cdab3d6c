import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// The queue's SQL transitions, driven in-process through `JobQueue`.
@Suite("Queue transitions", .enabled(if: TestDatabase.isAvailable))
final class QueueTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "JobQueueTests")
        db = try database.connect()
        queue = JobQueue(db)
    }

    deinit { database.drop() }

    @Test func plainSQLInsertEnqueuesAReadyJob() throws {
        try db.execute("INSERT INTO seqtwins.jobs (kind) VALUES ('noop')")
        let claimed = try queue.claim(worker: "w", leaseSeconds: 10)
        #expect(claimed.count == 1)
        #expect(claimed.first?.attempt == 1)
        #expect(claimed.first.map { String(decoding: $0.payload, as: UTF8.self) } == "{}")
    }

    @Test func claimOrderIsPriorityThenAge() throws {
        let low = try queue.enqueue(NewJob(kind: "noop"))
        let high = try queue.enqueue(NewJob(kind: "noop", priority: 5))
        let older = try queue.enqueue(NewJob(kind: "noop", runAfter: Date().addingTimeInterval(-60)))
        let order = try (0..<3).compactMap { _ in try queue.claim(worker: "w", leaseSeconds: 10).first?.id }
        #expect(order == [high, older, low])
    }

    @Test func everyClaimIssuesANewTokenAndStaleTokensCannotWrite() throws {
        let id = try queue.enqueue(NewJob(kind: "sleep"))
        let first = try #require(try queue.claim(worker: "a", leaseSeconds: 10).first)
        // Expire the lease and rescue the job: the attempt stays counted.
        try db.execute("UPDATE seqtwins.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = \(id)")
        #expect(try queue.rescueExpired() == [id])
        let second = try #require(try queue.claim(worker: "b", leaseSeconds: 10).first)
        #expect(second.id == id && second.attempt == 2 && second.leaseToken != first.leaseToken)
        // The first worker's late writes are all rejected.
        #expect(try queue.heartbeat(job: id, token: first.leaseToken, leaseSeconds: 10, progress: 0.9) == .lost)
        #expect(try queue.complete(job: id, token: first.leaseToken) == false)
        #expect(try queue.fail(job: id, token: first.leaseToken, error: "late", retryDelay: 0) == nil)
        #expect(try queue.release(job: id, token: first.leaseToken) == false)
        #expect(throws: LeaseLost.self) {
            try queue.withFencedCompletion(job: id, token: first.leaseToken) { tx in
                try tx.execute("UPDATE seqtwins.jobs SET progress_message = 'late' WHERE id = \(id)")
            }
        }
        let row = try #require(try queue.job(id))
        #expect(row.state == .running && row.leaseOwner == "b" && row.progress == 0 && row.progressMessage == nil)
        // The current holder's writes land, and the fenced transaction commits results with the transition.
        #expect(try queue.heartbeat(job: id, token: second.leaseToken, leaseSeconds: 10, progress: 0.5,
                                    message: "half") == .running)
        // A renewal without progress keeps the last progress.
        #expect(try queue.heartbeat(job: id, token: second.leaseToken, leaseSeconds: 10) == .running)
        let renewed = try #require(try queue.job(id))
        #expect(renewed.progress == 0.5 && renewed.progressMessage == "half")
        try queue.withFencedCompletion(job: id, token: second.leaseToken) { tx in
            try tx.execute("UPDATE seqtwins.jobs SET progress_message = 'results written' WHERE id = \(id)")
        }
        let done = try #require(try queue.job(id))
        #expect(done.state == .succeeded && done.progressMessage == "results written" && done.progress == 1)
    }

    @Test func retryBackoffThenFailedKeepsTheErrorAndCancelsDependants() throws {
        let parent = try queue.enqueue(NewJob(kind: "noop", maxAttempts: 2))
        let child = try queue.enqueue(NewJob(kind: "noop", dependsOn: [parent]))
        let grandchild = try queue.enqueue(NewJob(kind: "noop", dependsOn: [child]))
        #expect(try queue.job(child)?.state == .blocked)

        let first = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(try queue.fail(job: parent, token: first.leaseToken, error: "boom 1", retryDelay: 60) == .queued)
        let waiting = try #require(try queue.job(parent))
        let wait = waiting.runAfter.timeIntervalSince(Date())
        #expect(wait > 50 && wait < 70, "run_after should be about 60 s ahead, is \(wait)")
        #expect(waiting.lastError == "boom 1" && waiting.leaseToken == nil)
        // run_after in the future: not claimable.
        #expect(try queue.claim(worker: "w", leaseSeconds: 10).isEmpty)
        // Move it into the past (as if the minute had passed): claimable again.
        try db.execute("UPDATE seqtwins.jobs SET run_after = now() - interval '1 second' WHERE id = \(parent)")
        let second = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(second.attempt == 2)
        #expect(try queue.fail(job: parent, token: second.leaseToken, error: "boom 2", retryDelay: 60) == .failed)

        let failed = try #require(try queue.job(parent))
        #expect(failed.state == .failed && failed.lastError == "boom 2" && failed.attempts == 2)
        for id in [child, grandchild] {
            let job = try #require(try queue.job(id))
            #expect(job.state == .cancelled)
            #expect(job.lastError == "dependency job \(parent) (noop) failed: boom 2")
            #expect(job.cancelledBy == parent)
        }
        // Retrying the parent puts its dependants back to waiting; the chain then runs.
        #expect(try queue.retry(job: parent) == .failed)
        #expect(try queue.job(child)?.state == .blocked)
        #expect(try queue.job(grandchild)?.state == .blocked)
        let third = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(third.id == parent && third.attempt == 1)
        #expect(try queue.complete(job: parent, token: third.leaseToken))
        #expect(try queue.job(child)?.state == .queued)
    }

    @Test func completeAndClaimInOneRoundTrip() throws {
        let ids = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 5))
        var batch = try queue.claim(worker: "w", leaseSeconds: 10, limit: 2)
        var seen: [Int64] = []
        while !batch.isEmpty {
            seen += batch.map(\.id)
            batch = try queue.completeAndClaim(batch.map { ($0.id, $0.leaseToken) }, worker: "w", leaseSeconds: 10,
                                               limit: 2)
        }
        #expect(seen == ids)
        #expect(try queue.counts()[.succeeded] == 5)
    }

    @Test func permanentFailureSkipsRetries() throws {
        let id = try queue.enqueue(NewJob(kind: "noop", maxAttempts: 5))
        let job = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(try queue.fail(job: id, token: job.leaseToken, error: "bad payload", retryDelay: 1, permanent: true)
                == .failed)
    }

    @Test func expiredLeaseOnLastAttemptFails() throws {
        let id = try queue.enqueue(NewJob(kind: "noop", maxAttempts: 1))
        _ = try queue.claim(worker: "gone", leaseSeconds: 10)
        try db.execute("UPDATE seqtwins.jobs SET lease_expires_at = now() - interval '1 second' WHERE id = \(id)")
        #expect(try queue.rescueExpired() == [id])
        let job = try #require(try queue.job(id))
        #expect(job.state == .failed)
        #expect(job.lastError?.contains("lease of worker gone expired") == true)
    }

    @Test func releaseGivesTheAttemptBack() throws {
        let id = try queue.enqueue(NewJob(kind: "noop"))
        let job = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(try queue.release(job: id, token: job.leaseToken))
        let row = try #require(try queue.job(id))
        #expect(row.state == .queued && row.attempts == 0 && row.leaseToken == nil)
    }

    @Test func cancelQueuedAndRunningJobs() throws {
        let queued = try queue.enqueue(NewJob(kind: "noop", priority: -1))
        let dependant = try queue.enqueue(NewJob(kind: "noop", dependsOn: [queued]))
        let running = try queue.enqueue(NewJob(kind: "sleep", priority: 1))
        let claimed = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(claimed.id == running)

        #expect(try queue.cancel(job: queued) == .queued)
        #expect(try queue.job(queued)?.state == .cancelled)
        #expect(try queue.job(dependant)?.lastError == "dependency job \(queued) (noop) was cancelled")

        #expect(try queue.cancel(job: running) == .running)
        // The worker learns it at its next heartbeat and can write nothing more.
        #expect(try queue.heartbeat(job: running, token: claimed.leaseToken, leaseSeconds: 10) == .cancelled)
        #expect(try queue.complete(job: running, token: claimed.leaseToken) == false)
        #expect(throws: JobCancelled(jobID: running)) {
            try queue.withFencedCompletion(job: running, token: claimed.leaseToken) { _ in }
        }
        #expect(try queue.acknowledgeCancel(job: running, token: claimed.leaseToken))
        #expect(try queue.job(running)?.state == .cancelled)
        // Cancelling a finished job changes nothing.
        #expect(try queue.cancel(job: running) == .cancelled)
    }

    @Test func cancelExperiment() throws {
        // jobs.experiment_id references seqtwins.experiments (Migrations/0010).
        let ids = try db.query("""
            INSERT INTO seqtwins.experiments (name, spec) VALUES ('seven', '{}'), ('eight', '{}') RETURNING id
            """).map { try $0.decode("id", as: Int64.self) }
        let a = try queue.enqueue(NewJob(kind: "noop", experimentID: ids[0]))
        let b = try queue.enqueue(NewJob(kind: "noop", dependsOn: [a], experimentID: ids[0]))
        let other = try queue.enqueue(NewJob(kind: "noop", experimentID: ids[1]))
        #expect(try queue.cancel(experiment: ids[0]) == 2)
        #expect(try queue.job(a)?.state == .cancelled && queue.job(b)?.state == .cancelled)
        #expect(try queue.job(other)?.state == .queued)
    }

    @Test func dependantOfTwoParentsFinishingAtOnceIsQueued() throws {
        for _ in 0..<5 {
            let left = try queue.enqueue(NewJob(kind: "noop"))
            let right = try queue.enqueue(NewJob(kind: "noop"))
            let child = try queue.enqueue(NewJob(kind: "noop", dependsOn: [left, right]))
            let jobs = try queue.claim(worker: "w", leaseSeconds: 10, limit: 2)
            #expect(jobs.count == 2)
            let url = database.url
            // Two connections complete the two parents concurrently.
            DispatchQueue.concurrentPerform(iterations: 2) { index in
                let connection = try! PostgresConnection(url: url)
                _ = try! JobQueue(connection).complete(job: jobs[index].id, token: jobs[index].leaseToken)
            }
            #expect(try queue.job(child)?.state == .queued)
            try db.execute("UPDATE seqtwins.jobs SET state = 'cancelled' WHERE id = \(child)")
        }
    }

    @Test func enqueueOnAFailedParentIsCancelledAtOnce() throws {
        let parent = try queue.enqueue(NewJob(kind: "noop", maxAttempts: 1))
        let job = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        try queue.fail(job: parent, token: job.leaseToken, error: "x", retryDelay: 0)
        let child = try queue.enqueue(NewJob(kind: "noop", dependsOn: [parent]))
        let row = try #require(try queue.job(child))
        #expect(row.state == .cancelled && row.lastError == "dependency job \(parent) is failed")
    }

    @Test func badInputIsRejectedWithoutChangingTheDatabase() throws {
        try queue.enqueue(NewJob(kind: "noop"))
        let before = try snapshot(db)
        #expect(throws: JobQueueError.invalidPayload(kind: "noop", reason: "not valid JSON: {oops")) {
            try queue.enqueue(NewJob(kind: "noop", payload: "{oops"))
        }
        do {
            try queue.enqueue(NewJob(kind: "no_such_kind"))
            Issue.record("unknown kind accepted")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23503")
            #expect(error.detail?.contains("no_such_kind") == true)
        }
        #expect(throws: PostgresError.self) {
            try db.execute("INSERT INTO seqtwins.jobs (kind, payload) VALUES ('noop', '{not json')")
        }
        #expect(throws: JobQueueError.unknownDependency(424242)) {
            try queue.enqueue(NewJob(kind: "noop", dependsOn: [424242]))
        }
        #expect(throws: JobQueueError.unknownJob(999_999)) { try queue.cancel(job: 999_999) }
        #expect(throws: JobQueueError.unknownJob(999_999)) { try queue.retry(job: 999_999) }
        let queued = try #require(try queue.jobs(state: .queued).first)
        #expect(throws: JobQueueError.wrongState(job: queued.id, state: .queued, expected: "failed or cancelled")) {
            try queue.retry(job: queued.id)
        }
        #expect(try snapshot(db) == before)
    }

    @Test func payloadsAndKindsWithQuotesRoundTrip() throws {
        let payloads = [#"{"text": "a \"quoted\" word"}"#, #"{"path": "C:\\temp\\x"}"#, #"{"list": [1, "{,}"]}"#]
        let ids = try queue.enqueueMany(kind: "noop", payloads: payloads)
        let stored = try ids.map { try #require(try queue.job($0)).payload }
        let decoded = try stored.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
        let expected = try payloads.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
        #expect(decoded == expected)
        let description = #"says "hi" \ twice"#
        try queue.registerKinds(["extra_kind": description])
        let row = try db.queryOne("SELECT description FROM seqtwins.job_kinds WHERE name = 'extra_kind'")
        #expect(try row?.decode("description", as: String.self) == description)
        #expect(throws: PostgresError.self) { try queue.registerKinds(["Bad Kind": ""]) }
    }

    @Test func claimIndexIsUsed() throws {
        try db.execute("SET enable_seqscan = off")
        let plan = try db.query("""
            EXPLAIN SELECT id FROM seqtwins.jobs WHERE state = 'queued' AND run_after <= now()
            ORDER BY priority DESC, run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED
            """).map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
        try db.execute("RESET enable_seqscan")
        #expect(plan.contains("jobs_claim_idx"), "\(plan)")
        #expect(!plan.contains("Sort"), "\(plan)")
    }

    @Test func statusLinesNameWhatAPipelineJobWorksOn() throws {
        let id = try queue.enqueue(NewJob(kind: "noop", payload: #"{"series": "barlow_twins", "seed": 2, "task": "gender", "protocol": "linear_probe", "fraction": 0.1}"#))
        let job = try #require(try queue.job(id))
        #expect(StatusReport.subject(of: job) == "barlow_twins seed 2 gender linear_probe 0.1")
        let plain = try #require(try queue.job(try queue.enqueue(NewJob(kind: "noop", payload: "{}"))))
        #expect(StatusReport.subject(of: plain) == nil)
        #expect(try queue.counts(experiment: 999)[.queued] == 0)
        #expect(try queue.counts()[.queued] == 2)
    }
}
