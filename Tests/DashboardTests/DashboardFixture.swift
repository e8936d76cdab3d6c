import Dashboard
import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

/// What every dashboard test reads: one fresh database holding
/// - `finished`: a tiny synthetic experiment run to the end by the real `seqtwins worker` binary;
/// - `live`: an experiment still going, whose name, spec, error text, worker name and series are hostile (markup,
///   quotes, 10,000 characters): its plan job queued, a `sleep` job running under a held lease, one failed, one
///   blocked behind the running one, and hand-written results whose gain interval excludes 0 at one fraction;
/// - `dash-seqs`: a small imported dataset that `live` uses.
///
/// Built once per run by ``DashboardFixtureTrait`` (the suite trait on ``DashboardTests``), dropped after.
final class DashboardFixture: @unchecked Sendable {
    /// The fixture of the running suite.
    @TaskLocal static var current: DashboardFixture?

    /// The fixture of the running suite; fails the test when there is none.
    static func get() throws -> DashboardFixture { try #require(current, "no dashboard fixture in scope") }

    let database: TestDatabase
    var url: String { database.url }
    let finished: Int64
    let live: Int64
    let runningJob: Int64
    let failedJob: Int64
    let blockedJob: Int64
    let datasetName = "dash-seqs"

    /// Markup, quotes and an ampersand, padded to 10,000 characters.
    static let hostileName = pad(#"<script>alert(1)</script><img src=x onerror="document.body.dataset.pwned=1"> "double" 'single' & done "#)
    /// An error text that tries the same, over several lines.
    /// (3,900 characters: the queue keeps at most 4,000 of an error, `seqtwins.max_message_length()`.)
    static let hostileError = pad("Traceback <script>alert(1)</script>\n\"quoted\" 'single' & <b>bold</b>\n", to: 3_900)
    /// A worker name with markup in it.
    static let hostileWorker = #"host-<i>1</i> "w""#
    /// A series label with markup in it.
    static let hostileSeries = #"bt "<b>x</b>""#

    static func pad(_ text: String, to length: Int = 10_000) -> String {
        text + String(repeating: "0123456789", count: (length - text.count) / 10 + 1).prefix(length - text.count)
    }

    /// The finished experiment's spec: 2 trained methods, 2 seeds, 1 task, the linear probe at 2 fractions.
    static let tinySpec = """
        {
          "name": "dash-tiny",
          "dataset": {"kind": "synthetic",
                      "synthetic": {"users": 300, "items": 80, "categories": 6, "mean_sequence_length": 15, "seed": 3}},
          "preprocessing": {"max_length": 15, "label_categories": 4},
          "encoder": {"kind": "transformer", "d": 8, "blocks": 1, "heads": 2, "ff": 16},
          "methods": [
            {"name": "barlow_twins", "epochs": 3, "batch_size": 64, "projector": [16, 16]},
            {"name": "dual_encoder", "epochs": 3, "batch_size": 64}
          ],
          "tasks": ["future_top_category"],
          "protocols": ["linear_probe"],
          "label_fractions": [0.5, 1],
          "seeds": 2
        }
        """

    init() throws {
        database = try TestDatabase(suite: "dashboard")
        let db = try database.connect()
        let folder = RepositoryPaths.temporaryDirectory("dashboard")
        defer { try? FileManager.default.removeItem(atPath: folder) }

        // A small imported dataset, through the real binary.
        let lines = (1...60).map { user in "u\(user) " + (0..<8).map { "i\((user * 7 + $0 * 3) % 40)" }.joined(separator: " ") }
        let data = folder + "/seq.txt"
        try (lines.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let attributes = folder + "/attributes.json"
        try ("{" + (0..<40).map { #""i\#($0)": [\#($0 % 5)]"# }.joined(separator: ", ") + "}")
            .write(toFile: attributes, atomically: true, encoding: .utf8)
        let (imported, importLog) = try runSeqTwins(
            ["dataset", "import", datasetName, "--kind", "sequences", "--path", data, "--item-attributes", attributes,
             "--description", "test data <em>not</em> markup"], databaseURL: database.url)
        try #require(imported == 0, "\(importLog)")

        // The finished experiment, enqueued and run by the real binary.
        let specFile = folder + "/tiny.json"
        try Self.tinySpec.write(toFile: specFile, atomically: true, encoding: .utf8)
        let (enqueued, enqueueLog) = try runSeqTwins(["enqueue", specFile], databaseURL: database.url)
        try #require(enqueued == 0, "\(enqueueLog)")
        finished = try #require(enqueueLog.split(separator: "\n").last.flatMap { Int64($0.split(separator: " ").last ?? "") })
        let (worked, workerLog) = try runSeqTwins(
            ["worker", "--exit-when-idle", "--openblas-coretype", "none", "--poll-seconds", "0.3"],
            databaseURL: database.url, timeout: 300)
        try #require(worked == 0, "worker:\n\(workerLog.suffix(3000))")
        let unfinished: Int = try db.queryOne("""
            SELECT count(*)::int AS n FROM seqtwins.jobs WHERE experiment_id = \(finished) AND state <> 'succeeded'
            """)!.decode("n")
        try #require(unfinished == 0, "worker:\n\(workerLog.suffix(3000))")

        // The live experiment: enqueued through SQL, then renamed to the hostile name.
        let live: Int64 = try db.queryOne("""
            SELECT seqtwins.enqueue_experiment(\(PostgresJSON(text: """
                {"name": "live", "description": "<script>alert(1)</script> in the spec", "dataset": {"name": "dash-seqs"},
                 "methods": [{"name": "none"}], "baseline": "base"}
                """))) AS id
            """)!.decode("id")
        try db.execute("UPDATE seqtwins.experiments SET name = \(Self.hostileName) WHERE id = \(live)")
        func enqueue(_ priority: Int32, dependsOn: [Int64] = []) throws -> Int64 {
            let parents = "{" + dependsOn.map(String.init).joined(separator: ",") + "}"
            return try db.queryOne("""
                SELECT seqtwins.enqueue('sleep', '{"seconds": 600}', \(priority), \(parents)::bigint[], now(), 1, \(live)) AS id
                """)!.decode("id")
        }
        let runningJob = try enqueue(100)
        let failedJob = try enqueue(50)
        let blockedJob = try enqueue(0, dependsOn: [runningJob])
        self.live = live
        self.runningJob = runningJob
        self.failedJob = failedJob
        self.blockedJob = blockedJob
        func claim() throws -> (id: Int64, token: String) {
            let row = try #require(try db.queryOne("""
                SELECT id, lease_token::text AS token FROM seqtwins.claim(\(Self.hostileWorker), 3600, ARRAY['sleep'], 1)
                """))
            return (try row.decode("id"), try row.decode("token"))
        }
        let running = try claim()
        try #require(running.id == runningJob)
        let failing = try claim()
        try #require(failing.id == failedJob)
        try db.execute("SELECT seqtwins.fail(\(failing.id), \(failing.token)::uuid, \(Self.hostileError), NULL, true)")
        try db.execute("""
            SELECT seqtwins.heartbeat(\(running.id), \(running.token)::uuid, 3600, 0.4, 'step <b>4</b> of 10')
            """)

        // Hand-written results for the live experiment: at fraction 1 the hostile series beats `base` on every seed
        // (its interval excludes 0); at 0.5 the differences straddle 0.
        let scores: [(series: String, fraction: Double, seed: Int32, accuracy: Double)] = [
            (Self.hostileSeries, 1, 0, 0.50), (Self.hostileSeries, 1, 1, 0.52), (Self.hostileSeries, 1, 2, 0.51),
            ("base", 1, 0, 0.40), ("base", 1, 1, 0.41), ("base", 1, 2, 0.40),
            (Self.hostileSeries, 0.5, 0, 0.45), (Self.hostileSeries, 0.5, 1, 0.40), (Self.hostileSeries, 0.5, 2, 0.35),
            ("base", 0.5, 0, 0.40), ("base", 0.5, 1, 0.40), ("base", 0.5, 2, 0.40),
        ]
        for score in scores {
            let run: Int64 = try db.queryOne("""
                INSERT INTO seqtwins.runs (experiment_id, series, method, seed) VALUES (\(live), \(score.series), 'none', \(score.seed))
                ON CONFLICT (experiment_id, series, seed) DO UPDATE SET method = EXCLUDED.method RETURNING id
                """)!.decode("id")
            try db.execute("""
                INSERT INTO seqtwins.eval_results (run_id, task, protocol, label_fraction, labelled_n, test_n, accuracy,
                                                   majority_accuracy)
                VALUES (\(run), 'future_top_category', 'linear_probe', \(score.fraction),
                        \(Int32(score.fraction * 40)), 12, \(score.accuracy), 0.3)
                """)
            try db.execute("""
                INSERT INTO seqtwins.metrics (run_id, name, step, epoch, value)
                SELECT \(run), m, s, s, 1.0 / s FROM unnest(ARRAY['loss', '<i>odd</i>']) m, generate_series(1, 5) s
                ON CONFLICT DO NOTHING
                """)
        }
        // The hostile series fine-tuned at fraction 1, above its probe on every seed: one fine-tune-against-probe
        // row whose interval excludes 0.
        for (seed, accuracy) in [(Int32(0), 0.56), (1, 0.59), (2, 0.57)] {
            try db.execute("""
                INSERT INTO seqtwins.eval_results (run_id, task, protocol, label_fraction, labelled_n, test_n, accuracy,
                                                   majority_accuracy)
                SELECT id, 'future_top_category', 'fine_tune', 1, 40, 12, \(accuracy), 0.3 FROM seqtwins.runs
                WHERE experiment_id = \(live) AND series = \(Self.hostileSeries) AND seed = \(seed)
                """)
        }
    }

    /// Drops the database.
    func drop() { database.drop() }

    /// A site over the fixture's database, as `seqtwins serve` builds it.
    func site(refreshSeconds: Int = 5) -> DashboardSite {
        DashboardSite(database: DashboardDatabase(url: url, connections: 2), refreshSeconds: refreshSeconds)
    }
}

/// Builds the ``DashboardFixture`` once for the suite it is attached to, and drops its database after.
struct DashboardFixtureTrait: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let fixture = try DashboardFixture()
        defer { fixture.drop() }
        try await DashboardFixture.$current.withValue(fixture) { try await function() }
    }
}

extension Trait where Self == DashboardFixtureTrait {
    /// A database with a finished and a live experiment, shared by the suite's tests.
    static var dashboardFixture: DashboardFixtureTrait { DashboardFixtureTrait() }
}

/// Every test that needs the fixture, in one suite so that it is built once.
@Suite("Dashboard over a real PostgreSQL", .enabled(if: TestDatabase.isAvailable), .dashboardFixture)
struct DashboardTests {}
