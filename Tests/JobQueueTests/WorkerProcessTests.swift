import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// Real `seqtwins worker` processes against a fresh database: races, crashes, signals and dependency chains.
/// Serialized: these tests depend on leases running out on time, which parallel load on 2 cores would blur.
@Suite("Worker processes", .serialized, .enabled(if: TestDatabase.isAvailable))
final class WorkerProcessTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "JobQueueWorkers")
        db = try database.connect()
        queue = JobQueue(db)
    }

    deinit { database.drop() }

    private func state(_ id: Int64) throws -> JobState? { try queue.job(id)?.state }

    @Test func claimRaceFourProcessesFiveHundredJobsEachRunsOnce() throws {
        // 10 ms jobs: a process alone would take 5 s, so the four really race (claiming ten no-op jobs at a time,
        // the first process to start can drain 500 before the others have connected).
        let ids = try queue.enqueueMany(kind: "sleep", payloads: Array(repeating: #"{"seconds": 0.01}"#, count: 500))
        #expect(ids.count == 500)
        // Two supervisors with two children each: four worker processes, also exercising --concurrency.
        let supervisors = try (0..<2).map { _ in
            try SeqTwinsProcess(fastWorker + ["--concurrency", "2", "--exit-when-idle"], databaseURL: database.url)
        }
        for supervisor in supervisors { #expect(supervisor.wait(timeout: 90) == 0, "\(supervisor.log.suffix(2000))") }

        let rows = try db.query("""
            SELECT count(*) FILTER (WHERE state = 'succeeded') AS done, count(*) FILTER (WHERE attempts = 1) AS once,
                   count(DISTINCT lease_owner) AS owners, count(*) AS total
            FROM seqtwins.jobs
            """)
        let row = try #require(rows.first)
        #expect(try row.decode("total", as: Int.self) == 500)
        #expect(try row.decode("done", as: Int.self) == 500)
        #expect(try row.decode("once", as: Int.self) == 500)
        #expect(try row.decode("owners", as: Int.self) >= 2)
        // Each job was claimed exactly once across all four processes' logs.
        let logs = supervisors.map(\.log).joined(separator: "\n")
        var claims: [String: Int] = [:]
        for line in logs.split(separator: "\n") where line.hasSuffix("claimed") {
            if let range = line.range(of: #"job=\d+"#, options: .regularExpression) {
                claims[String(line[range]), default: 0] += 1
            }
        }
        #expect(claims.count == 500)
        #expect(claims.values.allSatisfy { $0 == 1 })
    }

    @Test func killedWorkersJobIsRescuedAndItsLateWritesAreRejected() throws {
        let id = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 1.5}"#))
        let first = try SeqTwinsProcess(fastWorker, databaseURL: database.url)
        #expect(try waitUntil(timeout: 20) { try state(id) == .running })
        let oldToken = try #require(try queue.job(id)?.leaseToken)
        // Kill it once a heartbeat has renewed the lease: the job is well under way, not just claimed.
        #expect(try waitUntil(timeout: 20) {
            try db.queryOne("SELECT heartbeat_at > started_at AS renewed FROM seqtwins.jobs WHERE id = \(id)")!
                .decode("renewed", as: Bool.self)
        })
        first.signal(SIGKILL)
        #expect(first.wait(timeout: 10) != 0)

        let second = try SeqTwinsProcess(fastWorker, databaseURL: database.url)
        defer { second.signal(SIGKILL) }
        // The 3 s lease runs out, the second worker rescues the job and runs it to the end.
        #expect(try waitUntil(timeout: 30) { try state(id) == .succeeded }, "\(second.log)")
        let job = try #require(try queue.job(id))
        #expect(job.attempts == 2)
        #expect(job.leaseOwner?.hasSuffix(":\(second.process.processIdentifier)") == true)
        #expect(second.log.contains("rescued job with expired lease"))
        // The killed worker's late writes, carrying the old token, change nothing.
        #expect(try queue.complete(job: id, token: oldToken) == false)
        #expect(try queue.heartbeat(job: id, token: oldToken, leaseSeconds: 30) == .lost)
        #expect(try queue.fail(job: id, token: oldToken, error: "late", retryDelay: 0) == nil)
        #expect(try queue.job(id) == job)
        second.signal(SIGTERM)
        #expect(second.wait(timeout: 10) == 0)
    }

    @Test func sigtermLetsTheRunningJobFinishWithinTheGracePeriod() throws {
        let id = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 1.5}"#))
        let worker = try SeqTwinsProcess(fastWorker + ["--grace-seconds", "20"], databaseURL: database.url)
        #expect(try waitUntil(timeout: 20) { try state(id) == .running })
        worker.signal(SIGTERM)
        #expect(worker.wait(timeout: 20) == 0)
        let job = try #require(try queue.job(id))
        #expect(job.state == .succeeded && job.attempts == 1)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func stopSignalReleasesAJobThatOutlivesTheGracePeriodWithoutSpendingAnAttempt(signal: Int32) throws {
        let id = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 60}"#, maxAttempts: 1))
        let worker = try SeqTwinsProcess(fastWorker + ["--grace-seconds", "0.5"], databaseURL: database.url)
        #expect(try waitUntil(timeout: 20) { try state(id) == .running })
        worker.signal(signal)
        #expect(worker.wait(timeout: 20) == 0, "\(worker.log)")
        let job = try #require(try queue.job(id))
        #expect(job.state == .queued && job.attempts == 0 && job.leaseToken == nil)
        #expect(worker.log.contains("released to the queue"))
    }

    @Test func supervisorForwardsSigtermToItsWorkerProcesses() throws {
        let ids = try (0..<2).map { _ in
            try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 60}"#))
        }
        let supervisor = try SeqTwinsProcess(fastWorker + ["--concurrency", "2", "--grace-seconds", "0.5"],
                                             databaseURL: database.url)
        #expect(try waitUntil(timeout: 20) { try ids.allSatisfy { try state($0) == .running } })
        let owners = Set(try ids.compactMap { try queue.job($0)?.leaseOwner })
        #expect(owners.count == 2, "two child processes hold one job each")
        supervisor.signal(SIGTERM)
        #expect(supervisor.wait(timeout: 20) == 0, "\(supervisor.log)")
        for id in ids {
            let job = try #require(try queue.job(id))
            #expect(job.state == .queued && job.attempts == 0)
        }
    }

    @Test func workerProcessesStopWhenTheirSupervisorIsKilled() throws {
        let id = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 60}"#))
        let supervisor = try SeqTwinsProcess(fastWorker + ["--concurrency", "2", "--grace-seconds", "0.5"],
                                             databaseURL: database.url)
        #expect(try waitUntil(timeout: 20) { try state(id) == .running })
        let owner = try #require(try queue.job(id)?.leaseOwner)
        let child = try #require(owner.split(separator: ":").last.flatMap { Int32($0) })
        supervisor.signal(SIGKILL)
        supervisor.wait(timeout: 10)
        // The orphaned child notices within a second, releases its job after the grace period, and exits.
        #expect(waitUntil(timeout: 20) { kill(child, 0) != 0 }, "worker \(child) outlived its supervisor")
        let job = try #require(try queue.job(id))
        #expect(job.state == .queued && job.attempts == 0)
    }

    @Test func cancellingARunningJobStopsItAtTheNextHeartbeat() throws {
        let id = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 60}"#))
        let worker = try SeqTwinsProcess(fastWorker + ["--exit-when-idle"], databaseURL: database.url)
        #expect(try waitUntil(timeout: 20) { try state(id) == .running })
        let (status, output) = try runSeqTwins(["cancel", "\(id)"], databaseURL: database.url)
        #expect(status == 0 && output.contains("cancelled job \(id)"))
        #expect(worker.wait(timeout: 20) == 0, "\(worker.log)")
        #expect(worker.log.contains("stopped: cancelled"))
        #expect(try state(id) == .cancelled)
    }

    @Test func retriesWithBackoffThenFailedAndDependantsCancelled() throws {
        let flaky = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 0, "fail_times": 1}"#))
        let doomed = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 0, "fail_times": 9}"#,
                                              maxAttempts: 2))
        let dependant = try queue.enqueue(NewJob(kind: "noop", dependsOn: [doomed]))
        // A long base delay: after one pass both failed jobs wait about a minute.
        let (status, log) = try runSeqTwins(fastWorker + ["--exit-when-idle", "--retry-base-seconds", "60"],
                                            databaseURL: database.url)
        #expect(status == 0, "\(log)")
        for id in [flaky, doomed] {
            let job = try #require(try queue.job(id))
            let wait = job.runAfter.timeIntervalSinceNow
            #expect(job.state == .queued && job.attempts == 1 && wait > 30 && wait < 80, "\(job)")
        }
        // Pretend the minute has passed.
        try db.execute("UPDATE seqtwins.jobs SET run_after = now() WHERE state = 'queued'")
        let (status2, log2) = try runSeqTwins(fastWorker + ["--exit-when-idle", "--retry-base-seconds", "60"],
                                              databaseURL: database.url)
        #expect(status2 == 0, "\(log2)")
        #expect(try state(flaky) == .succeeded)
        let failed = try #require(try queue.job(doomed))
        #expect(failed.state == .failed && failed.attempts == 2)
        #expect(failed.lastError == "[transient] sleep: planned failure of attempt 2 of 9")
        let cancelled = try #require(try queue.job(dependant))
        #expect(cancelled.state == .cancelled)
        #expect(cancelled.lastError?.hasPrefix("dependency job \(doomed) (sleep) failed") == true)
        // seqtwins retry requeues the failed job.
        let (status3, output3) = try runSeqTwins(["retry", "\(doomed)"], databaseURL: database.url)
        #expect(status3 == 0 && output3.contains("requeued job \(doomed)"))
        #expect(try state(doomed) == .queued && state(dependant) == .blocked)
    }

    @Test func threeLevelChainRunsInOrder() throws {
        let a = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 0.1}"#))
        let b = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 0.1}"#, dependsOn: [a]))
        let c = try queue.enqueue(NewJob(kind: "noop", dependsOn: [b]))
        // Higher-priority independent jobs do not overtake the order within the chain.
        try queue.enqueueMany(kind: "noop", payloads: ["{}", "{}"], priority: 10)
        let workers = try (0..<2).map { _ in try SeqTwinsProcess(fastWorker, databaseURL: database.url) }
        defer { workers.forEach { $0.signal(SIGKILL) } }
        #expect(try waitUntil(timeout: 30) { try state(c) == .succeeded })
        let jobs = try [a, b, c].map { try #require(try queue.job($0)) }
        #expect(jobs.allSatisfy { $0.state == .succeeded })
        #expect(jobs[0].finishedAt! <= jobs[1].startedAt! && jobs[1].finishedAt! <= jobs[2].startedAt!)
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(worker.wait(timeout: 10) == 0) }
    }

    @Test func notificationWakesAWaitingWorkerLongBeforeItsNextPoll() throws {
        let worker = try SeqTwinsProcess(fastWorker + ["--poll-seconds", "300"], databaseURL: database.url)
        defer { worker.signal(SIGKILL) }
        // "worker started" is logged once the worker LISTENs, so the insert below cannot be missed.
        #expect(waitUntil(timeout: 20) { worker.log.contains("worker started") })
        // A plain SQL insert, as a user would write it; the trigger's NOTIFY wakes the worker.
        let id: Int64 = try #require(try db.queryOne("INSERT INTO seqtwins.jobs (kind) VALUES ('noop') RETURNING id"))
            .decode("id")
        #expect(try waitUntil(timeout: 30) { try state(id) == .succeeded }, "\(worker.log)")
        worker.signal(SIGTERM)
        #expect(worker.wait(timeout: 10) == 0)
    }

    @Test func dbCommandsReportAppliedMigrations() throws {
        let (status, output) = try runSeqTwins(["db", "status"], databaseURL: database.url)
        #expect(status == 0 && output.contains("0001_schema  applied") && output.contains("0002_jobs  applied"),
                "\(output)")
        let (status2, output2) = try runSeqTwins(["db", "migrate"], databaseURL: database.url)
        #expect(status2 == 0 && output2.contains("database is up to date"), "\(output2)")
    }

    @Test func kindsFilterLeavesOtherKindsQueued() throws {
        let sleep = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 0}"#))
        let noop = try queue.enqueue(NewJob(kind: "noop"))
        let (status, log) = try runSeqTwins(fastWorker + ["--exit-when-idle", "--kinds", "noop"],
                                            databaseURL: database.url)
        #expect(status == 0, "\(log)")
        #expect(try state(noop) == .succeeded && state(sleep) == .queued)
        let (badStatus, badLog) = try runSeqTwins(fastWorker + ["--kinds", "nope"], databaseURL: database.url)
        #expect(badStatus != 0 && badLog.contains("unknown job kind 'nope'"), "\(badLog)")
    }

    @Test func exitWhenIdleWithConcurrencyEndsOnAnErrorInsteadOfRestartingItsProcesses() throws {
        let unmigrated = try TestDatabase(suite: "JobQueueWorkersUnmigrated", migrate: false)
        defer { unmigrated.drop() }
        let (status, log) = try runSeqTwins(fastWorker + ["--concurrency", "2", "--exit-when-idle"],
                                            databaseURL: unmigrated.url, timeout: 30)
        #expect(status != nil && status != 0, "\(log.suffix(2000))")
        #expect(!log.contains("restarting"), "\(log.suffix(2000))")
    }

    @Test func maxJobsStopsAfterThatManyJobs() throws {
        try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 5))
        let (status, log) = try runSeqTwins(fastWorker + ["--max-jobs", "2"], databaseURL: database.url)
        #expect(status == 0, "\(log)")
        #expect(try queue.counts()[.succeeded] == 2 && queue.counts()[.queued] == 3)
    }

    @Test func cliRejectsBadInputWithoutChangingTheDatabase() throws {
        try queue.enqueue(NewJob(kind: "noop"))
        let before = try snapshot(db)
        let cases: [([String], String)] = [
            (["enqueue-job", "--kind", "sleep", "--payload", #"{"seconds": 1"#], "not valid JSON"),
            (["enqueue-job", "--kind", "sleep", "--payload", #"{"seconds": "soon"}"#], "field 'seconds'"),
            (["enqueue-job", "--kind", "train_everything"], "unknown job kind 'train_everything'"),
            (["enqueue-job", "--kind", "noop", "--depends-on", "987654"], "dependency job 987654 does not exist"),
            (["cancel", "987654"], "job 987654 does not exist"),
            (["retry", "987654"], "job 987654 does not exist"),
        ]
        for (arguments, message) in cases {
            let (status, output) = try runSeqTwins(arguments, databaseURL: database.url)
            #expect(status != 0 && output.contains(message), "\(arguments): \(output)")
        }
        #expect(try snapshot(db) == before)
    }

    @Test func statusShowsCountsAndRunningJobsWithProgress() throws {
        let id = try queue.enqueue(NewJob(kind: "sleep", payload: #"{"seconds": 30}"#))
        let worker = try SeqTwinsProcess(fastWorker, databaseURL: database.url)
        defer { worker.signal(SIGKILL) }
        #expect(try waitUntil(timeout: 20) { (try queue.job(id)?.progress ?? 0) > 0 })
        let (status, output) = try runSeqTwins(["status"], databaseURL: database.url)
        #expect(status == 0)
        #expect(output.contains("running 1"), "\(output)")
        #expect(output.contains("#\(id) sleep"), "\(output)")
        #expect(output.contains("worker "), "\(output)")
        #expect(output.contains("[#") || output.contains("[-"), "\(output)")
        try queue.cancel(job: id)
        worker.signal(SIGTERM)
        #expect(worker.wait(timeout: 10) == 0)
    }
}
