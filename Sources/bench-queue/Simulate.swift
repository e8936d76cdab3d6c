// bench-queue simulate: the queue past one machine, simulated on one.
//
// Enqueues N no-op jobs through the real schema (INSERT ... SELECT generate_series), then C claimers (threads, each
// on its own connection, as C worker hosts would be) claim one job (`seqtwins.claim`, batch 1) and complete it
// (fenced `seqtwins.complete`; `--combined`: `seqtwins.complete_and_claim`, one round trip) until the queue is
// empty. Prints claims/s and claim latency per tenth of the queue drained, table and index sizes and dead tuples
// after the drain (autovacuum at the server's settings), the measured cost of a heartbeat and of a rescue pass under
// the same concurrency, and from these how many worker hosts one PostgreSQL serves for 1 s, 10 s and 10 min jobs.
//
//   DATABASE_URL="$(scripts/pg.sh start)" .build/release/bench-queue simulate \
//       [--jobs 1000000] [--claimers 64] [--buckets 10] [--combined] [--heartbeat-seconds 10] [--explain] [--keep]
import Dispatch
import Foundation
import JobQueue
import Postgres

/// Options of `bench-queue simulate`.
struct SimulateOptions {
    var jobs = 1_000_000
    var claimers = 64
    var buckets = 10
    var combined = false
    var heartbeatSeconds = 10.0
    var explain = false
    var keep = false

    init(arguments: ArraySlice<String>) throws {
        var rest = arguments
        func positive(_ text: String?, _ name: String) throws -> Int {
            guard let text, let value = Int(text), value > 0 else {
                throw JobQueueError.invalidOption(name: name, value: text ?? "", expected: "a positive integer")
            }
            return value
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--jobs": jobs = try positive(rest.popFirst(), "--jobs")
            case "--claimers": claimers = try positive(rest.popFirst(), "--claimers")
            case "--buckets": buckets = try positive(rest.popFirst(), "--buckets")
            case "--heartbeat-seconds": heartbeatSeconds = Double(try positive(rest.popFirst(), "--heartbeat-seconds"))
            case "--combined": combined = true
            case "--explain": explain = true
            case "--keep": keep = true
            default:
                throw JobQueueError.invalidOption(
                    name: "argument", value: argument,
                    expected: "simulate [--jobs N] [--claimers C] [--buckets B] [--combined] "
                        + "[--heartbeat-seconds S] [--explain] [--keep]")
            }
        }
    }
}

/// One claim+complete as a claimer saw it: when the claim returned (seconds since the drain began) and how long the
/// claim and the completion took.
struct ClaimSample {
    var at: Double
    var claim: Double
    var complete: Double
}

/// Seconds on a monotonic clock.
func monotonicSeconds() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
}

/// The `q`-quantile (0...1) of sorted values, nearest rank.
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
}

/// Runs `body(index, connection)` on `threads` threads, each with its own connection, and waits for all. Errors are
/// printed and counted.
func onThreads(_ threads: Int, url: String, name: String,
               _ body: @escaping @Sendable (Int, PostgresConnection) throws -> Void) -> Int {
    let group = DispatchGroup()
    let failures = UnsafeMutableBufferPointer<Int>.allocate(capacity: threads)
    failures.initialize(repeating: 0)
    defer { failures.deallocate() }
    for index in 0..<threads {
        group.enter()
        nonisolated(unsafe) let slot = failures
        Thread.detachNewThread {
            defer { group.leave() }
            do {
                try body(index, try PostgresConnection(url: url, applicationName: "bench-queue-\(name)"))
            } catch {
                slot[index] = 1
                FileHandle.standardError.write(Data("\(name) \(index): \(error)\n".utf8))
            }
        }
    }
    group.wait()
    return failures.reduce(0, +)
}

/// Drains the queue with `claimers` threads; returns every claim's sample and the seconds the drain took.
func simulateDrain(url: String, claimers: Int, combined: Bool) throws -> (samples: [ClaimSample], seconds: Double) {
    let perThread = UnsafeMutableBufferPointer<[ClaimSample]>.allocate(capacity: claimers)
    perThread.initialize(repeating: [])
    defer { perThread.deinitialize().deallocate() }
    nonisolated(unsafe) let slots = perThread
    // Per-claimer counts of claims done, read (racily, for progress lines only) by the monitor below.
    let progress = UnsafeMutableBufferPointer<Int>.allocate(capacity: claimers)
    progress.initialize(repeating: 0)
    defer { progress.deallocate() }
    nonisolated(unsafe) let counts = progress
    let finished = DispatchSemaphore(value: 0)
    let monitor = Thread {
        // A line on stderr every 10 s while the drain runs: jobs claimed, recent rate, dead tuples.
        guard let db = try? PostgresConnection(url: url, applicationName: "bench-queue-monitor") else { return }
        let begin = monotonicSeconds()
        var last = (time: begin, done: 0)
        while finished.wait(timeout: .now() + 10) == .timedOut {
            let done = counts.reduce(0, +), now = monotonicSeconds()
            let dead = (try? db.queryOne("""
                SELECT n_dead_tup FROM pg_stat_user_tables WHERE relid = 'seqtwins.jobs'::regclass
                """)?.decode(0, as: Int.self)) ?? -1
            FileHandle.standardError.write(Data(String(
                format: "  … %.0f s: %d claimed, %.0f claims/s in the last 10 s, %d dead tuples\n",
                now - begin, done, Double(done - last.done) / (now - last.time), dead).utf8))
            last = (now, done)
        }
    }
    monitor.start()
    defer { finished.signal() }
    let start = monotonicSeconds()
    let failures = onThreads(claimers, url: url, name: "claimer") { index, db in
        let queue = JobQueue(db)
        let worker = "sim-\(index)"
        var samples: [ClaimSample] = []
        samples.reserveCapacity(1 << 16)
        var t0 = monotonicSeconds()
        var jobs = try queue.claim(worker: worker, leaseSeconds: 300, kinds: ["noop"], limit: 1)
        while let job = jobs.first {
            let t1 = monotonicSeconds()
            if combined {
                // One round trip completes this job and claims the next: its latency counts as the next claim's.
                jobs = try queue.completeAndClaim([(job.id, job.leaseToken)], worker: worker, leaseSeconds: 300,
                                                  kinds: ["noop"], limit: 1)
                samples.append(ClaimSample(at: t1 - start, claim: t1 - t0, complete: 0))
                counts[index] += 1
                t0 = t1
            } else {
                guard try queue.complete(job: job.id, token: job.leaseToken) else {
                    throw JobQueueError.internalInconsistency("lease of job \(job.id) lost during the drain")
                }
                let t2 = monotonicSeconds()
                samples.append(ClaimSample(at: t1 - start, claim: t1 - t0, complete: t2 - t1))
                counts[index] += 1
                t0 = monotonicSeconds()
                jobs = try queue.claim(worker: worker, leaseSeconds: 300, kinds: ["noop"], limit: 1)
            }
        }
        slots[index] = samples
    }
    let seconds = monotonicSeconds() - start
    guard failures == 0 else { throw JobQueueError.internalInconsistency("\(failures) claimers failed") }
    return (perThread.flatMap { $0 }.sorted { $0.at < $1.at }, seconds)
}

/// Runs `operation` on `threads` connections for `seconds`; returns operations per second (all threads) and the
/// sorted latencies. `prepare` runs once per thread first and returns its state.
func hammer<State>(threads: Int, seconds: Double, url: String, name: String,
                   prepare: @escaping @Sendable (Int, PostgresConnection) throws -> State,
                   operation: @escaping @Sendable (inout State, PostgresConnection) throws -> Void)
    throws -> (rate: Double, latencies: [Double])
{
    let latencies = UnsafeMutableBufferPointer<[Double]>.allocate(capacity: threads)
    latencies.initialize(repeating: [])
    defer { latencies.deinitialize().deallocate() }
    nonisolated(unsafe) let slots = latencies
    let ready = DispatchGroup()
    let go = DispatchSemaphore(value: 0)
    for _ in 0..<threads { ready.enter() }
    let begin = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    defer { begin.deallocate() }
    nonisolated(unsafe) let beginAt = begin
    let failures = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1)
    failures[0] = 0
    defer { failures.deallocate() }
    nonisolated(unsafe) let failed = failures
    let done = DispatchGroup()
    let lock = NSLock()
    for index in 0..<threads {
        done.enter()
        Thread.detachNewThread {
            defer { done.leave() }
            var entered = false
            do {
                let db = try PostgresConnection(url: url, applicationName: "bench-queue-\(name)")
                var state = try prepare(index, db)
                ready.leave()
                entered = true
                go.wait()
                var mine: [Double] = []
                let end = beginAt.pointee + seconds
                var now = monotonicSeconds()
                while now < end {
                    try operation(&state, db)
                    let next = monotonicSeconds()
                    mine.append(next - now)
                    now = next
                }
                slots[index] = mine
            } catch {
                if !entered { ready.leave() }
                lock.lock()
                failed[0] += 1
                lock.unlock()
                FileHandle.standardError.write(Data("\(name) \(index): \(error)\n".utf8))
            }
        }
    }
    ready.wait()
    begin.pointee = monotonicSeconds()
    for _ in 0..<threads { go.signal() }
    done.wait()
    guard failures[0] == 0 else { throw JobQueueError.internalInconsistency("\(failures[0]) \(name) threads failed") }
    let all = latencies.flatMap { $0 }.sorted()
    return (Double(all.count) / seconds, all)
}

/// Sizes and dead tuples of `seqtwins.jobs` and its indexes.
func printSizes(_ db: PostgresConnection) throws {
    let table = try db.queryOne("""
        SELECT pg_total_relation_size('seqtwins.jobs') AS total, pg_relation_size('seqtwins.jobs') AS heap,
               s.n_live_tup, s.n_dead_tup, s.n_tup_upd, s.n_tup_hot_upd, s.autovacuum_count, s.autoanalyze_count,
               coalesce(s.last_autovacuum::text, 'never') AS last_autovacuum
        FROM pg_stat_user_tables s WHERE s.relid = 'seqtwins.jobs'::regclass
        """)!
    func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
    print("seqtwins.jobs: total \(mib(try table.decode("total"))), heap \(mib(try table.decode("heap"))); "
          + "live tuples \(try table.decode("n_live_tup", as: Int.self)), "
          + "dead tuples \(try table.decode("n_dead_tup", as: Int.self)); "
          + "updates \(try table.decode("n_tup_upd", as: Int.self)) "
          + "(HOT \(try table.decode("n_tup_hot_upd", as: Int.self))); "
          + "autovacuums \(try table.decode("autovacuum_count", as: Int.self)) "
          + "(last \(try table.decode("last_autovacuum", as: String.self))), "
          + "autoanalyzes \(try table.decode("autoanalyze_count", as: Int.self))")
    let indexes = try db.query("""
        SELECT i.indexrelid::regclass::text AS name, pg_relation_size(i.indexrelid) AS size
        FROM pg_index i WHERE i.indrelid = 'seqtwins.jobs'::regclass ORDER BY 1
        """)
    for index in indexes {
        let indexName: String = try index.decode("name")
        print("  " + indexName.padding(toLength: 40, withPad: " ", startingAt: 0) + " " + mib(try index.decode("size")))
    }
}

/// Prints `EXPLAIN (ANALYZE, BUFFERS)` of the statements the claim runs for jobs outside experiments.
func printClaimPlans(_ db: PostgresConnection) throws {
    let statements: [(String, String)] = [
        ("claim_groups (which groups have queued jobs, and their running counts)",
         "SELECT * FROM seqtwins.claim_groups('{}')"),
        ("the group's best ready job",
         """
         SELECT r.id FROM seqtwins.jobs r
         WHERE r.state = 'queued' AND r.experiment_id IS NULL AND r.run_after <= now()
           AND r.kind = ANY ('{noop}'::text[]) AND NOT (r.kind = ANY ('{}'::text[])) AND NOT (r.id = ANY ('{}'::bigint[]))
         ORDER BY r.priority DESC, r.run_after, r.id LIMIT 1 FOR UPDATE SKIP LOCKED
         """),
        ("running jobs outside experiments (claim_groups' count)",
         "SELECT count(*) FROM seqtwins.jobs r WHERE r.state = 'running' AND r.experiment_id IS NULL"),
    ]
    for (title, statement) in statements {
        print("-- \(title)")
        // Read-only on a drained queue: the FOR UPDATE finds no row to lock.
        for row in try db.query(SQL(stringLiteral: "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement)) {
            print("   " + (try row.decode(0, as: String.self)))
        }
    }
}

/// `bench-queue simulate`: see the file's header.
func simulate(arguments: ArraySlice<String>) throws {
    let options = try SimulateOptions(arguments: arguments)
    let server = ProcessInfo.processInfo.environment["DATABASE_URL"]
    let admin = try PostgresConnection(url: server)
    let name = "seqtwins_sim_\(getpid())"
    try admin.executeTrustedScript("CREATE DATABASE \(admin.quoteIdentifier(name))")
    defer {
        if !options.keep {
            _ = try? admin.executeTrustedScript("DROP DATABASE IF EXISTS \(admin.quoteIdentifier(name)) WITH (FORCE)")
        } else {
            print("kept database \(name)")
        }
    }
    let url = replacingDatabase(in: server ?? "", with: name)
    let db = try PostgresConnection(url: url)
    try Migrator(directory: try Migrator.locateDirectory()).migrate(db)
    let settings = try db.queryOne("""
        SELECT current_setting('server_version') AS version, current_setting('shared_buffers') AS buffers,
               current_setting('synchronous_commit') AS sync, current_setting('fsync') AS fsync,
               current_setting('autovacuum') AS av, current_setting('autovacuum_vacuum_scale_factor') AS avsf,
               current_setting('autovacuum_naptime') AS avnap, current_setting('max_connections') AS maxconn
        """)!
    let cores = ProcessInfo.processInfo.activeProcessorCount
    print("bench-queue simulate: \(options.jobs) no-op jobs, \(options.claimers) claimers "
          + (options.combined ? "(complete_and_claim, batch 1)" : "(claim batch 1, then fenced complete)")
          + ", \(cores) cores shared by client and server")
    print("server \(try settings.decode("version", as: String.self)): shared_buffers "
          + "\(try settings.decode("buffers", as: String.self)), synchronous_commit "
          + "\(try settings.decode("sync", as: String.self)), fsync \(try settings.decode("fsync", as: String.self)), "
          + "autovacuum \(try settings.decode("av", as: String.self)) (scale factor "
          + "\(try settings.decode("avsf", as: String.self)), naptime \(try settings.decode("avnap", as: String.self))),"
          + " max_connections \(try settings.decode("maxconn", as: String.self))")

    // Enqueue through the real table (its defaults, checks and ready trigger), in statements of 100,000 rows.
    let enqueueStart = monotonicSeconds()
    var remaining = options.jobs
    while remaining > 0 {
        let chunk = min(remaining, 100_000)
        try db.execute("INSERT INTO seqtwins.jobs (kind) SELECT 'noop' FROM generate_series(1, \(chunk))")
        remaining -= chunk
    }
    let enqueueSeconds = monotonicSeconds() - enqueueStart
    try db.execute("ANALYZE seqtwins.jobs")
    print(String(format: "enqueued %d jobs in %.1f s (%.0f jobs/s)", options.jobs, enqueueSeconds,
                 Double(options.jobs) / enqueueSeconds))

    // Drain.
    let (samples, seconds) = try simulateDrain(url: url, claimers: options.claimers, combined: options.combined)
    guard samples.count == options.jobs else {
        throw JobQueueError.internalInconsistency("drained \(samples.count) of \(options.jobs) jobs")
    }
    let succeeded = try db.queryOne("SELECT count(*) AS n FROM seqtwins.jobs WHERE state = 'succeeded'")!
    guard try succeeded.decode("n", as: Int.self) == options.jobs else {
        throw JobQueueError.internalInconsistency("not every job succeeded")
    }
    print(String(format: "drained in %.1f s: %.0f claims+completes/s overall", seconds,
                 Double(options.jobs) / seconds))
    print(options.combined
          ? "remaining jobs (from)   claims/s   round trip p50 ms   p99 ms"
          : "remaining jobs (from)   claims/s   claim p50 ms   p99 ms   complete p50 ms   p99 ms")
    for bucket in 0..<options.buckets {
        let lower = bucket * samples.count / options.buckets
        let upper = (bucket + 1) * samples.count / options.buckets
        guard upper > lower else { continue }
        let slice = samples[lower..<upper]
        let begin = lower == 0 ? 0 : samples[lower - 1].at
        let rate = Double(slice.count) / max(slice.last!.at - begin, 1e-9)
        let claims = slice.map(\.claim).sorted()
        let completes = slice.map(\.complete).sorted()
        if options.combined {
            print(String(format: "%21d   %8.0f   %17.2f   %6.2f", options.jobs - lower, rate,
                         quantile(claims, 0.5) * 1000, quantile(claims, 0.99) * 1000))
        } else {
            print(String(format: "%21d   %8.0f   %12.2f   %6.2f   %15.2f   %6.2f", options.jobs - lower, rate,
                         quantile(claims, 0.5) * 1000, quantile(claims, 0.99) * 1000,
                         quantile(completes, 0.5) * 1000, quantile(completes, 0.99) * 1000))
        }
    }
    // The statistics collector publishes a backend's counts at most once a second.
    Thread.sleep(forTimeInterval: 1.5)
    print("after the drain:")
    try printSizes(db)
    if options.explain {
        print("plans of the claim's statements on the drained queue:")
        try printClaimPlans(db)
    }

    // Heartbeats: each thread holds 8 running jobs and renews their leases round-robin, as fast as it can.
    let perThread = 8
    try db.execute("""
        INSERT INTO seqtwins.jobs (kind) SELECT 'noop' FROM generate_series(1, \(options.claimers * perThread))
        """)
    let before = try db.queryOne("""
        SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'seqtwins.jobs'::regclass
        """)!
    let heartbeats = try hammer(
        threads: options.claimers, seconds: options.heartbeatSeconds, url: url, name: "heartbeat",
        prepare: { index, db in
            (jobs: try JobQueue(db).claim(worker: "hb-\(index)", leaseSeconds: 300, kinds: ["noop"], limit: perThread)
                .map { ($0.id, $0.leaseToken) }, next: 0)
        },
        operation: { state, db in
            guard !state.jobs.isEmpty else { return }
            let (id, token) = state.jobs[state.next % state.jobs.count]
            state.next += 1
            guard try JobQueue(db).heartbeat(job: id, token: token, leaseSeconds: 300) == .running else {
                throw JobQueueError.internalInconsistency("heartbeat of job \(id) did not renew its lease")
            }
        })
    Thread.sleep(forTimeInterval: 1.5)
    let after = try db.queryOne("""
        SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'seqtwins.jobs'::regclass
        """)!
    let updates = try after.decode("n_tup_upd", as: Int.self) - before.decode("n_tup_upd", as: Int.self)
    let hot = try after.decode("n_tup_hot_upd", as: Int.self) - before.decode("n_tup_hot_upd", as: Int.self)
    print(String(format: "heartbeats (%d threads, %d running jobs): %.0f/s, p50 %.2f ms, p99 %.2f ms; "
                 + "%.0f%% of those updates were HOT", options.claimers, options.claimers * perThread,
                 heartbeats.rate, quantile(heartbeats.latencies, 0.5) * 1000,
                 quantile(heartbeats.latencies, 0.99) * 1000, 100 * Double(hot) / Double(max(updates, 1))))

    // Rescue passes (a worker host runs one every 10 s) over those running jobs, none expired.
    let rescues = try hammer(
        threads: options.claimers, seconds: min(options.heartbeatSeconds, 5), url: url, name: "rescue",
        prepare: { _, _ in () },
        operation: { _, db in
            guard try JobQueue(db).rescueExpired().isEmpty else {
                throw JobQueueError.internalInconsistency("a rescue pass found an expired lease")
            }
        })
    print(String(format: "rescue passes (%d threads): %.0f/s, p50 %.2f ms, p99 %.2f ms", options.claimers,
                 rescues.rate, quantile(rescues.latencies, 0.5) * 1000, quantile(rescues.latencies, 0.99) * 1000))

    // Capacity: a host runs one job at a time; per job it costs one claim+complete, one heartbeat every h seconds
    // of its run, and one rescue pass every r seconds. Each cost is one over its measured saturated rate.
    let claimCost = seconds / Double(options.jobs)
    let heartbeatCost = 1 / heartbeats.rate
    let rescueCost = 1 / rescues.rate
    let h = 5.0, r = 10.0
    print("hosts one PostgreSQL serves (one job per host at a time; costs from the saturated rates above):")
    print(String(format: "  hosts(T) = 1 / (c_cc/T + floor(T/h)·c_hb/T + c_rs/r), c_cc = %.1f µs, c_hb = %.1f µs, "
                 + "c_rs = %.1f µs, h = %.0f s, r = %.0f s", claimCost * 1e6, heartbeatCost * 1e6,
                 rescueCost * 1e6, h, r))
    for (label, t) in [("1 s", 1.0), ("10 s", 10.0), ("10 min", 600.0)] {
        let load = claimCost / t + (t / h).rounded(.down) * heartbeatCost / t + rescueCost / r
        let withoutRescue = claimCost / t + (t / h).rounded(.down) * heartbeatCost / t
        print("  T = " + label.padding(toLength: 7, withPad: " ", startingAt: 0)
              + String(format: "%9.0f hosts  (%9.0f without rescue passes)", 1 / load, 1 / withoutRescue))
    }
}
