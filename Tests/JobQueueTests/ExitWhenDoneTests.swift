import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// `exitWhenDone`: a worker that finds nothing ready keeps waiting while another worker's running job can still
/// unblock work, and exits once nothing is left; `exitWhenIdle` exits at once in the same situation.
@Suite("Exit when done", .enabled(if: TestDatabase.isAvailable))
final class ExitWhenDoneTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "exit_when_done")
        db = try database.connect()
        queue = JobQueue(db)
    }

    deinit { database.drop() }

    private func options(_ name: String, done: Bool) -> WorkerOptions {
        var options = WorkerOptions(databaseURL: database.url, name: name)
        options.exitWhenDone = done
        options.exitWhenIdle = !done
        options.pollInterval = 0.2
        return options
    }

    /// A 1.5 s `sleep` job with a `noop` behind it; `first` claims the sleep job, then `second` starts.
    private func run(secondWaitsUntilDone: Bool) throws -> (second: WorkerSummary, secondEnded: Date, parentEnded: Date) {
        let parent = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 1.5}"#))
        _ = try queue.enqueue(NewJob(kind: "noop", dependsOn: [parent]))
        let firstOptions = options("first", done: true)
        let firstEnded = DispatchSemaphore(value: 0)
        Thread {
            _ = try? Worker(registry: .standard, options: firstOptions).run()
            firstEnded.signal()
        }.start()
        defer { _ = firstEnded.wait(timeout: .now() + 30) }
        let deadline = Date().addingTimeInterval(30)
        while try queue.job(parent)?.state != .running && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        #expect(try queue.job(parent)?.state == .running)
        let second = try Worker(registry: .standard, options: options("second", done: secondWaitsUntilDone)).run()
        let secondEnded = Date()
        while try queue.job(parent)?.finishedAt == nil && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let parentEnded = try #require(try queue.job(parent)?.finishedAt)
        while try queue.hasUnfinishedWork(kinds: ["noop", "sleep"]) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        return (second, secondEnded, parentEnded)
    }

    @Test func aWorkerWaitsWhileRunningJobsCanUnblockWorkThenExits() throws {
        let (_, secondEnded, parentEnded) = try run(secondWaitsUntilDone: true)
        #expect(secondEnded >= parentEnded, "the second worker waited for the running parent")
        #expect(try queue.hasUnfinishedWork(kinds: ["noop", "sleep"]) == false)
        let states = try db.query("SELECT state::text AS state FROM seqtwins.jobs").map { try $0.decode("state", as: String.self) }
        #expect(states == ["succeeded", "succeeded"])
    }

    @Test func exitWhenIdleLeavesAtOnceInTheSameSituation() throws {
        let (second, secondEnded, parentEnded) = try run(secondWaitsUntilDone: false)
        #expect(second.total == 0)
        #expect(secondEnded < parentEnded, "--exit-when-idle does not wait for the running parent")
    }
}
