import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// The worker loop's round trips (migration 0041): a job its handler finished is completed in the call that claims
/// the next one, fenced as before, and set-based `complete_many` releases dependants as the per-row one did.
@Suite("Worker loop", .enabled(if: TestDatabase.isAvailable))
final class WorkerLoopTests {
    let database: TestDatabase
    let db: PostgresConnection
    let queue: JobQueue

    init() throws {
        database = try TestDatabase(suite: "JobQueueWorkerLoop")
        db = try database.connect()
        queue = JobQueue(db)
    }

    deinit { database.drop() }

    private func drain(_ handlers: [any JobHandler] = [NoopHandler()], maxJobs: Int? = nil,
                       configure: (inout WorkerOptions) -> Void = { _ in }) throws -> WorkerSummary {
        var options = WorkerOptions(databaseURL: database.url, name: "loop")
        options.exitWhenIdle = true
        options.leaseSeconds = 5
        options.heartbeatInterval = 0.2
        options.maxJobs = maxJobs
        configure(&options)
        try queue.registerKinds(Dictionary(uniqueKeysWithValues: handlers.map { ($0.kind, $0.summary) }))
        return try Worker(registry: JobRegistry(handlers), options: options).run()
    }

    /// Makes `seqtwins.complete` raise, so a worker that completed a job in a round trip of its own would fail it.
    private func forbidSeparateCompletion() throws {
        try db.executeTrustedScript("""
            CREATE OR REPLACE FUNCTION seqtwins.complete(job_id bigint, token uuid) RETURNS boolean
            LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'separate completion called'; END $$
            """)
    }

    @Test func aWorkerCompletesEachJobInTheCallThatClaimsTheNext() throws {
        try forbidSeparateCompletion()
        let ids = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 12))
        let summary = try drain()
        #expect(summary.succeeded == 12 && summary.total == 12)
        #expect(try queue.counts()[.succeeded] == 12)
        #expect(try ids.allSatisfy { try queue.job($0)?.attempts == 1 })
    }

    @Test func maxJobsCompletesTheLastJobWithoutClaimingAnother() throws {
        try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 5))
        let summary = try drain(maxJobs: 3)
        #expect(summary.succeeded == 3)
        let counts = try queue.counts()
        #expect(counts[.succeeded] == 3 && counts[.queued] == 2 && counts[.running] == 0)
    }

    @Test func aFinishedJobWhoseLeaseWasTakenOverIsNotCompleted() throws {
        let url = database.url
        let handler = ClosureHandler(kind: "stolen") { context in
            // Another worker takes the job over (as after an expired lease) before this one completes it.
            let other = try PostgresConnection(url: url)
            try other.execute("UPDATE seqtwins.jobs SET lease_token = gen_random_uuid() WHERE id = \(context.job.id)")
        }
        try queue.registerKinds(["stolen": "test"])
        let id = try queue.enqueue(NewJob(kind: "stolen"))
        let next = try queue.enqueue(NewJob(kind: "noop"))
        let summary = try drain([handler, NoopHandler()])
        #expect(summary.lost == 1 && summary.succeeded == 1)
        #expect(try queue.job(id)?.state == .running, "the job stays with the worker that took it over")
        #expect(try queue.job(next)?.state == .succeeded)
    }

    @Test func dependantsRunAfterTheirParentsComplete() throws {
        let parent = try queue.enqueue(NewJob(kind: "noop"))
        let child = try queue.enqueue(NewJob(kind: "noop", dependsOn: [parent]))
        let grandchild = try queue.enqueue(NewJob(kind: "noop", dependsOn: [child, parent]))
        let summary = try drain()
        #expect(summary.succeeded == 3)
        let jobs = try [parent, child, grandchild].map { try #require(try queue.job($0)) }
        #expect(jobs.allSatisfy { $0.state == .succeeded })
        let starts = try db.query("""
            SELECT id FROM seqtwins.jobs WHERE id IN (\(parent), \(child), \(grandchild)) ORDER BY started_at, id
            """).map { try $0.decode("id", as: Int64.self) }
        #expect(starts == [parent, child, grandchild])
    }

    @Test func aDatabaseWithoutTheCombinedCallFallsBackToSeparateCompletion() throws {
        try db.executeTrustedScript("DROP FUNCTION seqtwins.complete_and_claim_next")
        try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 4))
        let summary = try drain()
        #expect(summary.succeeded == 4)
        #expect(try queue.counts()[.succeeded] == 4)
    }

    @Test func theLoopAsItWasStillWorks() throws {
        try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 4))
        let summary = try drain {
            $0.completeWithNextClaim = false
            $0.preparedStatements = false
        }
        #expect(summary.succeeded == 4)
        #expect(try queue.counts()[.succeeded] == 4)
    }

    @Test func completeAndClaimNextSaysWhatItCompleted() throws {
        let ids = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 3))
        let first = try #require(try queue.claim(worker: "w", leaseSeconds: 10).first)
        #expect(first.id == ids[0])
        let stale = try queue.completeAndClaimNext([(first.id, UUID())], worker: "w", leaseSeconds: 10)
        #expect(stale.completed.isEmpty, "a wrong token completes nothing")
        #expect(try queue.job(first.id)?.state == .running)
        #expect(stale.claimed.map(\.id) == [ids[1]])
        let both = try queue.completeAndClaimNext([(first.id, first.leaseToken), (ids[1], stale.claimed[0].leaseToken)],
                                                  worker: "w", leaseSeconds: 10, limit: 5)
        #expect(both.completed == [ids[0], ids[1]])
        #expect(both.claimed.map(\.id) == [ids[2]])
        let last = try queue.completeAndClaimNext([(ids[2], both.claimed[0].leaseToken)], worker: "w",
                                                  leaseSeconds: 10)
        #expect(last.completed == [ids[2]] && last.claimed.isEmpty)
        #expect(try queue.counts()[.succeeded] == 3)
    }

    @Test func completeManyReleasesEveryChildWhoseParentsAllSucceeded() throws {
        let left = try queue.enqueue(NewJob(kind: "noop"))
        let right = try queue.enqueue(NewJob(kind: "noop"))
        let waiting = try queue.enqueue(NewJob(kind: "noop"))
        let ofBoth = try queue.enqueue(NewJob(kind: "noop", dependsOn: [left, right]))
        let ofLeft = try queue.enqueue(NewJob(kind: "noop", dependsOn: [left]))
        let ofLeftAndWaiting = try queue.enqueue(NewJob(kind: "noop", dependsOn: [left, waiting]))
        let jobs = try queue.claim(worker: "w", leaseSeconds: 10, limit: 2)
        #expect(Set(jobs.map(\.id)) == [left, right])
        let done = try queue.completeMany(jobs.map { ($0.id, $0.leaseToken) } + [(waiting, UUID())])
        #expect(done == [left, right])
        #expect(try queue.job(ofBoth)?.state == .queued)
        #expect(try queue.job(ofLeft)?.state == .queued)
        #expect(try queue.job(ofLeftAndWaiting)?.state == .blocked)
        #expect(try queue.job(waiting)?.state == .queued)
    }

    @Test func claimOutsideExperimentsKeepsPriorityThenAgeAndSkipsCappedKinds() throws {
        let low = try queue.enqueue(NewJob(kind: "noop"))
        let high = try queue.enqueue(NewJob(kind: "noop", priority: 5))
        let older = try queue.enqueue(NewJob(kind: "noop", runAfter: Date().addingTimeInterval(-60)))
        let later = try queue.enqueue(NewJob(kind: "noop", priority: 9, runAfter: Date().addingTimeInterval(3600)))
        #expect(try queue.claim(worker: "w", leaseSeconds: 10, limit: 5).map(\.id) == [high, older, low])
        #expect(try queue.job(later)?.state == .queued)
        // With a cap on the kind the claim takes the fair-share path, which honours it.
        try db.execute("UPDATE seqtwins.jobs SET run_after = now() - interval '1 s' WHERE id = \(later)")
        try db.execute("SELECT seqtwins.set_kind_limit('noop', 3)")
        #expect(try queue.claim(worker: "w", leaseSeconds: 10).isEmpty, "three noop jobs run: the cap is full")
    }

    @Test func prefetchedJobsEachRunOnceUnderTheirOwnLease() throws {
        let ids = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 12))
        let summary = try drain { $0.prefetch = .fixed(5) }
        #expect(summary.succeeded == 12 && summary.total == 12)
        #expect(try ids.allSatisfy { try queue.job($0)?.attempts == 1 && queue.job($0)?.state == .succeeded })
        let tokens = try db.query("SELECT count(DISTINCT lease_token)::int AS n FROM seqtwins.jobs")
        #expect(try tokens.first?.decode("n", as: Int.self) == 12)
    }

    @Test func jobsPrefetchedBehindALongJobGoBackToTheQueueAtItsFirstHeartbeat() throws {
        let url = database.url
        let sawReleased = LockedFlag()
        let long = ClosureHandler(kind: "long") { context in
            // While this job runs past a heartbeat interval, the jobs claimed with it are given back.
            let other = try PostgresConnection(url: url)
            let released = try waitUntil(timeout: 10) {
                try other.queryOne("""
                    SELECT count(*)::int AS n FROM seqtwins.jobs WHERE kind = 'noop' AND state = 'queued'
                      AND attempts = 0 AND lease_token IS NULL
                    """)?.decode("n", as: Int.self) == 3
            }
            if released { sawReleased.set() }
            try context.checkCancelled()
        }
        try queue.registerKinds(["long": "test"])
        let first = try queue.enqueue(NewJob(kind: "long", priority: 1))
        let noops = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 3))
        let summary = try drain([long, NoopHandler()]) { $0.prefetch = .fixed(4) }
        #expect(sawReleased.value, "the prefetched jobs were queued again while the long job ran")
        #expect(summary.succeeded == 4)
        #expect(try queue.job(first)?.state == .succeeded)
        #expect(try noops.allSatisfy { try queue.job($0)?.state == .succeeded && queue.job($0)?.attempts == 1 })
    }

    @Test func aStoppingWorkerGivesItsPrefetchedJobsBack() throws {
        let box = WorkerBox()
        let stopper = ClosureHandler(kind: "stopper") { _ in box.worker?.requestStop() }
        try queue.registerKinds(["stopper": "test", "noop": "test"])
        let first = try queue.enqueue(NewJob(kind: "stopper", priority: 1))
        let rest = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 3))
        var options = WorkerOptions(databaseURL: database.url, name: "stopping")
        options.leaseSeconds = 5
        options.heartbeatInterval = 0.2
        options.prefetch = .fixed(4)
        let worker = try Worker(registry: JobRegistry([stopper, NoopHandler()]), options: options)
        box.worker = worker
        let summary = try worker.run()
        #expect(summary.succeeded == 1 && summary.total == 1)
        #expect(try queue.job(first)?.state == .succeeded)
        #expect(try rest.allSatisfy { try queue.job($0)?.state == .queued && queue.job($0)?.attempts == 0 })
    }

    @Test func prefetchOutOfRangeIsRefused() {
        var options = WorkerOptions(databaseURL: nil)
        options.prefetch = .fixed(0)
        #expect(throws: JobQueueError.self) { try options.validate() }
        options.prefetch = .fixed(1001)
        #expect(throws: JobQueueError.self) { try options.validate() }
        options.prefetch = .adaptive(maximum: 10, window: 0)
        #expect(throws: JobQueueError.self) { try options.validate() }
        options.prefetch = .adaptive(maximum: 0, window: 0.1)
        #expect(throws: JobQueueError.self) { try options.validate() }
    }

    @Test func adaptivePrefetchClaimsWhatFitsInItsWindow() {
        let policy = PrefetchPolicy.adaptive(maximum: 10, window: 0.1)
        #expect(policy.claimCount(meanSeconds: nil) == 1, "one at a time until a job has run")
        #expect(policy.claimCount(meanSeconds: 0.0001) == 10)
        #expect(policy.claimCount(meanSeconds: 0.03) == 3)
        #expect(policy.claimCount(meanSeconds: 0.2) == 1)
        #expect(policy.claimCount(meanSeconds: 3600) == 1)
        #expect(PrefetchPolicy.fixed(4).claimCount(meanSeconds: 100) == 4)
        #expect(WorkerOptions(databaseURL: nil).prefetch == .automatic)
    }

    /// The claim batches a drain made, from the lease tokens' claim times: jobs claimed in one call share `started_at`
    /// (the transaction's time).
    private func claimBatchSizes() throws -> [Int] {
        try db.query("""
            SELECT count(*)::int AS n FROM seqtwins.jobs GROUP BY started_at ORDER BY min(id)
            """).map { try $0.decode("n", as: Int.self) }
    }

    @Test func byDefaultShortJobsAreClaimedTenAtATimeAndCompletedTogether() throws {
        try forbidSeparateCompletion()
        let ids = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 41))
        let summary = try drain()
        #expect(summary.succeeded == 41 && summary.total == 41)
        #expect(try ids.allSatisfy { try queue.job($0)?.state == .succeeded && queue.job($0)?.attempts == 1 })
        // The first claim takes one job (no run time known yet); no-op jobs then prove short, so claims grow to the
        // maximum (on a quiet machine: 1, 10, 10, 10, 10; a first run slowed by a busy machine delays the growth).
        let batches = try claimBatchSizes()
        #expect(batches.first == 1 && batches.max() == 10 && batches.reduce(0, +) == 41)
        #expect(batches.count <= 20, "claims: \(batches)")  // one job per claim would take 41
    }

    @Test func byDefaultJobsLongerThanTheWindowAreClaimedOneAtATime() throws {
        let slow = ClosureHandler(kind: "slow") { _ in Thread.sleep(forTimeInterval: 0.15) }
        try queue.registerKinds(["slow": "test"])
        try queue.enqueueMany(kind: "slow", payloads: Array(repeating: "{}", count: 4))
        let summary = try drain([slow])
        #expect(summary.succeeded == 4)
        #expect(try claimBatchSizes() == [1, 1, 1, 1])
    }

    @Test func jobsFinishedBeforeALongOneAreCompletedAtItsFirstHeartbeat() throws {
        let url = database.url
        let sawCompleted = LockedFlag()
        let quick = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 2))
        let long = ClosureHandler(kind: "long") { _ in
            // The no-op jobs claimed with this one finished before it; their completions waited for the next
            // claim, and the heartbeat sends them once this job has run a heartbeat interval.
            let other = try PostgresConnection(url: url)
            let completed = try waitUntil(timeout: 10) {
                try other.queryOne("""
                    SELECT count(*)::int AS n FROM seqtwins.jobs WHERE kind = 'noop' AND state = 'succeeded'
                    """)?.decode("n", as: Int.self) == 2
            }
            if completed { sawCompleted.set() }
        }
        try queue.registerKinds(["long": "test"])
        let last = try queue.enqueue(NewJob(kind: "long", priority: -1))
        let summary = try drain([long, NoopHandler()]) { $0.prefetch = .fixed(3) }
        #expect(sawCompleted.value, "the finished jobs were completed while the long job ran")
        #expect(summary.succeeded == 3 && summary.total == 3)
        #expect(try (quick + [last]).allSatisfy { try queue.job($0)?.state == .succeeded && queue.job($0)?.attempts == 1 })
    }

    @Test func finishedJobsWhoseLeaseWasTakenOverAreNotCountedAsSucceeded() throws {
        // Two no-op jobs claimed together; while the second runs, the first's lease is taken over by another
        // worker, so the deferred completion must not write it.
        let ids = try queue.enqueueMany(kind: "noop", payloads: Array(repeating: "{}", count: 1))
        let url = database.url
        let thief = ClosureHandler(kind: "thief") { _ in
            let other = try PostgresConnection(url: url)
            try other.execute("""
                UPDATE seqtwins.jobs SET lease_token = gen_random_uuid(), lease_owner = 'other' WHERE id = \(ids[0])
                """)
        }
        try queue.registerKinds(["thief": "test"])
        let second = try queue.enqueue(NewJob(kind: "thief", priority: -1))
        let summary = try drain([thief, NoopHandler()]) {
            $0.prefetch = .fixed(2)
            $0.heartbeatInterval = 2  // the heartbeat must not complete the first job before the theft
        }
        #expect(summary.succeeded == 1 && summary.lost == 1)
        #expect(try queue.job(ids[0])?.state == .running, "the other worker's lease still holds it")
        #expect(try queue.job(second)?.state == .succeeded)
    }
}

/// A flag set from another thread.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    /// Sets it.
    func set() { lock.withLock { flag = true } }
    /// Whether it was set.
    var value: Bool { lock.withLock { flag } }
}

/// The worker a handler stops, set after the worker is made.
final class WorkerBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Worker?
    /// The worker.
    var worker: Worker? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
