import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// A handler built from a closure, for tests.
struct ClosureHandler: JobHandler {
    var kind: String
    var summary: String { "test handler" }
    var body: @Sendable (JobContext) throws -> Void

    func run(_ context: JobContext) throws { try body(context) }
}

/// `Worker` in this process with handlers that use the `JobContext` API: fenced result writes, progress,
/// cancellation and permanent failures.
@Suite("Handlers in process", .enabled(if: TestDatabase.isAvailable))
final class InProcessWorkerTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "JobQueueHandlers")
        db = try database.connect()
        queue = JobQueue(db)
        try db.execute("CREATE TABLE seqtwins.test_results (job_id bigint PRIMARY KEY, value text NOT NULL)")
    }

    deinit { database.drop() }

    private func drain(_ handlers: [any JobHandler]) throws -> WorkerSummary {
        var options = WorkerOptions(databaseURL: database.url, name: "in-process")
        options.exitWhenIdle = true
        options.leaseSeconds = 5
        options.heartbeatInterval = 0.2
        options.retryPolicy = try RetryPolicy(baseDelay: 60)
        try queue.registerKinds(Dictionary(uniqueKeysWithValues: handlers.map { ($0.kind, $0.summary) }))
        return try Worker(registry: JobRegistry(handlers), options: options).run()
    }

    private func results() throws -> [Int64: String] {
        var values: [Int64: String] = [:]
        for row in try db.query("SELECT job_id, value FROM seqtwins.test_results") {
            values[try row.decode("job_id")] = try row.decode("value")
        }
        return values
    }

    @Test func fencedResultWritesCommitWithTheSuccess() throws {
        let handler = ClosureHandler(kind: "write_result") { context in
            context.reportProgress(0.5, "half way")
            try context.checkCancelled()
            let payload = String(decoding: context.job.payload, as: UTF8.self)
            try context.withFencedTransaction { tx in
                try tx.execute("INSERT INTO seqtwins.test_results VALUES (\(context.job.id), \(payload))")
            }
        }
        try queue.registerKinds(["write_result": "test"])
        let id = try queue.enqueue(NewJob(kind: "write_result", payload: #"{"x": 1}"#))
        let summary = try drain([handler])
        #expect(summary.succeeded == 1 && summary.total == 1)
        #expect(try queue.job(id)?.state == .succeeded)
        #expect(try results()[id] == #"{"x": 1}"#)
    }

    @Test func resultsOfAWorkerWhoseLeaseWasTakenOverAreRolledBack() throws {
        let url = database.url
        let handler = ClosureHandler(kind: "stolen") { context in
            // Another worker takes the job over (as after an expired lease) while this one still runs it.
            let other = try PostgresConnection(url: url)
            try other.execute("UPDATE seqtwins.jobs SET lease_token = gen_random_uuid() WHERE id = \(context.job.id)")
            try context.withFencedTransaction { tx in
                try tx.execute("INSERT INTO seqtwins.test_results VALUES (\(context.job.id), 'late')")
            }
        }
        try queue.registerKinds(["stolen": "test"])
        let id = try queue.enqueue(NewJob(kind: "stolen"))
        let summary = try drain([handler])
        #expect(summary.lost == 1 && summary.succeeded == 0)
        #expect(try results().isEmpty)
        #expect(try queue.job(id)?.state == .running, "the job stays with the worker that took it over")
    }

    @Test func permanentFailureFailsAtOnceAndOrdinaryErrorsRetry() throws {
        struct Boom: Error, CustomStringConvertible { var description: String { "boom" } }
        let permanent = ClosureHandler(kind: "bad_input") { _ in throw PermanentJobFailure("field 'x': expected 1") }
        let flaky = ClosureHandler(kind: "flaky") { _ in throw Boom() }
        try queue.registerKinds(["bad_input": "test", "flaky": "test"])
        let bad = try queue.enqueue(NewJob(kind: "bad_input", maxAttempts: 5))
        let retried = try queue.enqueue(NewJob(kind: "flaky", maxAttempts: 5))
        let summary = try drain([permanent, flaky])
        #expect(summary.failed == 2)
        let badJob = try #require(try queue.job(bad))
        #expect(badJob.state == .failed && badJob.attempts == 1 && badJob.lastError == "[permanent] field 'x': expected 1")
        let flakyJob = try #require(try queue.job(retried))
        #expect(flakyJob.state == .queued && flakyJob.lastError == "[transient] boom")
        #expect(flakyJob.runAfter.timeIntervalSinceNow > 30, "backoff of about 60 s")
    }

    @Test func cancelledWhileRunningStopsTheHandlerAndWritesNothing() throws {
        let url = database.url
        let handler = ClosureHandler(kind: "long_loop") { context in
            let other = try PostgresConnection(url: url)
            _ = try JobQueue(other).cancel(job: context.job.id)
            // A training loop: checks for cancellation each step; the heartbeat sets it within 0.2 s.
            for step in 0..<1000 {
                try context.checkCancelled()
                context.reportProgress(Double(step) / 1000)
                Thread.sleep(forTimeInterval: 0.01)
            }
            try context.withFencedTransaction { tx in
                try tx.execute("INSERT INTO seqtwins.test_results VALUES (\(context.job.id), 'finished')")
            }
        }
        try queue.registerKinds(["long_loop": "test"])
        let id = try queue.enqueue(NewJob(kind: "long_loop"))
        let summary = try drain([handler])
        #expect(summary.cancelled == 1)
        #expect(try queue.job(id)?.state == .cancelled)
        #expect(try results().isEmpty)
    }

    @Test func handlerIgnoringTheReleaseIsAbandonedAfterTheGracePeriod() throws {
        final class Flag: @unchecked Sendable {
            private let lock = NSLock()
            private var value = false
            var isSet: Bool { lock.withLock { value } }
            func set() { lock.withLock { value = true } }
        }
        let abandoned = Flag()
        // A CPU-bound loop that never checks for cancellation (bounded, so the test cannot hang).
        let handler = ClosureHandler(kind: "stubborn") { _ in
            let deadline = Date().addingTimeInterval(20)
            while !abandoned.isSet && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        }
        try queue.registerKinds(["stubborn": "test"])
        let id = try queue.enqueue(NewJob(kind: "stubborn"))
        var options = WorkerOptions(databaseURL: database.url, name: "in-process")
        options.exitWhenIdle = true
        options.heartbeatInterval = 0.2
        options.gracePeriod = 0.2
        options.abandonAfter = 0.3
        let worker = try Worker(registry: JobRegistry([handler]), options: options) { abandoned.set() }
        let url = database.url
        Thread.detachNewThread {
            let watcher = try? JobQueue(PostgresConnection(url: url))
            _ = waitUntil(timeout: 20) { (try? watcher?.job(id)?.state) == .running }
            worker.requestStop()
        }
        let summary = try worker.run()
        #expect(abandoned.isSet)
        #expect(summary.released == 1)
        let job = try #require(try queue.job(id))
        #expect(job.state == .queued && job.attempts == 0)
    }
}
