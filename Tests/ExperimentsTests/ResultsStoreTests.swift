import Experiments
import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

@Suite("Results store and SQL views", .enabled(if: TestDatabase.isAvailable))
final class ResultsStoreTests {
    let database: TestDatabase
    let db: PostgresConnection
    let store: ResultsStore

    init() throws {
        database = try TestDatabase(suite: "results")
        db = try database.connect()
        store = ResultsStore(db)
    }

    deinit { database.drop() }

    private func makeRun(_ experiment: Int64, _ series: String, seed: Int) throws -> Int64 {
        try store.ensureRun(experiment: experiment, series: series, method: series, seed: seed, sweepParameter: nil,
                            sweepValue: nil, params: PostgresJSON(text: "{}"), pretrainJob: nil)
    }

    @Test func enqueueStoresTheSpecAndOnePlanJob() throws {
        let id = try store.enqueueExperiment(specJSON: #"{"name": "x"}"#)
        #expect(try store.spec(experiment: id).name == "x")
        let jobs = try db.query("SELECT kind, key, state FROM seqtwins.jobs WHERE experiment_id = \(id)")
        #expect(jobs.count == 1)
        #expect(try jobs[0].decode("kind", as: String.self) == "plan")
        #expect(try jobs[0].decode("state", as: String.self) == "queued")
        #expect(throws: ResultsStoreError.self) { try store.spec(experiment: id + 1000) }
        let error = try #require(throws: PostgresError.self) { try store.enqueueExperiment(specJSON: "[1, 2]") }
        #expect(error.message.contains("must be a JSON object"))
        #expect(try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.experiments")?.decode("n", as: Int.self) == 1)
    }

    @Test func writesAreKeyedSoRerunsReplace() throws {
        let experiment = try store.enqueueExperiment(specJSON: #"{"name": "keyed"}"#)
        let run = try makeRun(experiment, "barlow_twins", seed: 0)
        #expect(try makeRun(experiment, "barlow_twins", seed: 0) == run)
        #expect(try store.run(experiment: experiment, series: "barlow_twins", seed: 0) == run)
        #expect(throws: ResultsStoreError.self) { try store.run(experiment: experiment, series: "nope", seed: 0) }

        try store.writeMetrics(run: run, step: 10, epoch: 1, values: ["loss": 3.5, "on_diagonal": 1])
        try store.writeMetrics(run: run, step: 10, epoch: 1, values: ["loss": 2.5])
        let metrics = try store.metrics(run: run)
        #expect(metrics.count == 2)
        #expect(metrics.first { $0.name == "loss" }?.value == 2.5)

        let bytes: [UInt8] = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try store.writeCheckpoint(run: run, kind: .latest, epoch: 1, step: 10, bytes: [1, 2, 3])
        try store.writeCheckpoint(run: run, kind: .latest, epoch: 2, step: 20, bytes: bytes)
        let latest = try #require(try store.checkpoint(run: run, kind: .latest))
        #expect(latest.epoch == 2 && latest.step == 20 && latest.bytes == bytes)
        #expect(try store.checkpoint(run: run, kind: .final) == nil)
        let count = try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.checkpoints")?.decode("n", as: Int.self)
        #expect(count == 1)

        let vectors: [(String, String, [Float])] = (0..<300).map { ("u\($0)", $0 % 5 == 0 ? "test" : "train",
                                                                      [Float($0), -0.5, 1e-7, 3.25]) }
        try store.replaceEmbeddings(run: run, rows: vectors.map { (userID: $0.0, split: $0.1, vector: $0.2) })
        try store.replaceEmbeddings(run: run, rows: vectors.map { (userID: $0.0, split: $0.1, vector: $0.2) })
        let stored = try store.embeddings(run: run)
        #expect(stored.count == 300)
        #expect(stored["u42"] == [42, -0.5, 1e-7, 3.25])

        for accuracy in [0.4, 0.5] {
            try store.writeEvaluation(EvaluationRecord(
                run: run, task: "next_category", evaluationProtocol: "linear_probe", fraction: 0.1, labelledN: 40,
                validationN: 10, testN: 60, accuracy: accuracy, balancedAccuracy: 0.3, macroF1: 0.2, rocAUC: nil,
                majorityAccuracy: 0.25, job: nil))
        }
        let rows = try store.resultRows(experiment: experiment)
        #expect(rows.count == 1)
        #expect(rows[0].accuracy == 0.5 && rows[0].labelledN == 40 && rows[0].majorityAccuracy == 0.25)
    }

    @Test func theReportReadsTheViewsFigures() throws {
        let experiment = try store.enqueueExperiment(specJSON: #"{"name": "views", "baseline": "dual_encoder"}"#)
        var accuracies: [String: [Double: [Double]]] = [:]
        for seed in 0..<5 {
            for (series, base) in [("barlow_twins", 0.50), ("dual_encoder", 0.45), ("none", 0.30)] {
                let run = try makeRun(experiment, series, seed: seed)
                for fraction in [0.1, 1.0] {
                    let accuracy = base + 0.01 * Double(seed * seed % 7) + fraction / 10
                    accuracies[series, default: [:]][fraction, default: []].append(accuracy)
                    try store.writeEvaluation(EvaluationRecord(
                        run: run, task: "future_top_category", evaluationProtocol: "linear_probe", fraction: fraction,
                        labelledN: Int(fraction * 100), validationN: nil, testN: 50, accuracy: accuracy,
                        balancedAccuracy: nil, macroF1: nil, rocAUC: nil, majorityAccuracy: 0.2, job: nil))
                }
            }
        }
        let report = try store.report(experiment: experiment, name: "views", baseline: "dual_encoder")

        // The README's label-efficiency query gives the report's figures, bit for bit.
        let curve = try db.query("""
            SELECT method, label_fraction, labelled_n, n, mean, sd
            FROM seqtwins.label_efficiency
            WHERE experiment_id = \(experiment) AND task = 'future_top_category' AND protocol = 'linear_probe'
            ORDER BY method, label_fraction
            """)
        #expect(curve.count == report.labelEfficiency.count && curve.count == 6)
        for row in curve {
            let method: String = try row.decode("method")
            let fraction: Double = try row.decode("label_fraction")
            let shown = try #require(report.labelEfficiency.first { $0.method == method && $0.fraction == fraction })
            #expect(try row.decode("n", as: Int.self) == shown.n)
            #expect(try row.decode("mean", as: Double.self) == shown.mean)
            #expect(try row.decode("sd", as: Double.self) == shown.sd)
            // And they are the mean and sample sd of what was stored.
            let values = accuracies[method]![fraction]!
            let mean = values.reduce(0, +) / 5
            #expect(abs(shown.mean - mean) < 1e-12)
            let sd = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
            #expect(abs(try #require(shown.sd) - sd) < 1e-12)
        }

        // The README's gain query: the same rows, with the exact t quantile t(0.975, 4) = 2.7764451051977934.
        let gains = try db.query("""
            SELECT method, label_fraction, pairs, mean_difference, lower_95, upper_95, relative_gain
            FROM seqtwins.method_gain
            WHERE experiment_id = \(experiment) AND task = 'future_top_category' AND protocol = 'linear_probe'
            ORDER BY method, label_fraction
            """)
        #expect(gains.count == 4 && report.gains.count == 4)
        for row in gains {
            let method: String = try row.decode("method")
            let fraction: Double = try row.decode("label_fraction")
            let shown = try #require(report.gains.first { $0.method == method && $0.fraction == fraction })
            #expect(try row.decode("pairs", as: Int.self) == shown.pairs)
            #expect(try row.decode("mean_difference", as: Double.self) == shown.meanDifference)
            #expect(try row.decode("lower_95", as: Double.self) == shown.lower95)
            #expect(try row.decode("upper_95", as: Double.self) == shown.upper95)
            #expect(try row.decode("relative_gain", as: Double.self) == shown.relativeGain)
            let differences = zip(accuracies[method]![fraction]!, accuracies["dual_encoder"]![fraction]!).map { $0 - $1 }
            let mean = differences.reduce(0, +) / 5
            let sd = (differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 4).squareRoot()
            let half = 2.7764451051977934 * sd / 5.0.squareRoot()
            #expect(abs(try #require(shown.lower95) - (mean - half)) < 1e-10)
            #expect(abs(try #require(shown.upper95) - (mean + half)) < 1e-10)
        }
    }

    @Test func aMissingScoreIsNotCountedAsASeed() throws {
        let experiment = try store.enqueueExperiment(specJSON: #"{"name": "nulls"}"#)
        for (seed, auc) in [(0, 0.7), (1, nil), (2, 0.8)] as [(Int, Double?)] {
            let run = try makeRun(experiment, "barlow_twins", seed: seed)
            try store.writeEvaluation(EvaluationRecord(
                run: run, task: "future_categories", evaluationProtocol: "linear_probe", fraction: 1, labelledN: 10,
                validationN: nil, testN: 5, accuracy: nil, balancedAccuracy: nil, macroF1: nil, rocAUC: auc,
                majorityAccuracy: nil, job: nil))
        }
        let row = try #require(try db.queryOne("""
            SELECT n, mean FROM seqtwins.label_efficiency WHERE experiment_id = \(experiment)
            """))
        let report = try store.report(experiment: experiment, name: "nulls")
        #expect(try row.decode("n", as: Int.self) == 2)
        #expect(report.labelEfficiency.first?.n == 2)
        #expect(abs(try row.decode("mean", as: Double.self) - 0.75) < 1e-12)
    }

    @Test func embeddingsRoundTripExactlyThroughCopy() throws {
        let experiment = try store.enqueueExperiment(specJSON: #"{"name": "copy"}"#)
        let run = try makeRun(experiment, "barlow_twins", seed: 0)
        // Shortest round-trip spellings, extremes, signed zero, non-finite values and ids that need escaping.
        let vector: [Float] = [0.1, -0.0, 1e-45, .greatestFiniteMagnitude, -.leastNormalMagnitude, 1 / 3,
                               .nan, .infinity, -.infinity, 16_777_217]
        let rows = [(userID: "tab\there", split: "train", vector: vector),
                    (userID: #"back\slash"#, split: "validation", vector: vector.reversed()),
                    (userID: "new\nline", split: "test", vector: [])]
        try store.replaceEmbeddings(run: run, rows: rows)
        let stored = try store.embeddings(run: run)
        #expect(stored.count == 3)
        for row in rows {
            let back = try #require(stored[row.userID])
            #expect(back.count == row.vector.count)
            #expect(zip(back, row.vector).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
        }
        let splits = try db.query("SELECT split FROM seqtwins.embeddings WHERE run_id = \(run) ORDER BY split")
        #expect(try splits.map { try $0.decode("split", as: String.self) } == ["test", "train", "validation"])
    }

    @Test func nearestUsersByCosineSimilarity() throws {
        let experiment = try store.enqueueExperiment(specJSON: #"{"name": "nn"}"#)
        let run = try makeRun(experiment, "barlow_twins", seed: 0)
        try store.replaceEmbeddings(run: run, rows: [
            (userID: "a", split: "train", vector: [1, 0]), (userID: "b", split: "train", vector: [0.9, 0.1]),
            (userID: "c", split: "test", vector: [0, 1]), (userID: "d", split: "test", vector: [-1, 0]),
        ])
        // The README's nearest-neighbour query.
        let rows = try db.query("SELECT user_id, similarity FROM seqtwins.nearest_users(\(run), 'a', 2)")
        #expect(try rows.map { try $0.decode("user_id", as: String.self) } == ["b", "c"])
        #expect(abs(try rows[1].decode("similarity", as: Double.self)) < 1e-12)
    }

    @Test func experimentProgressCountsJobsPerState() throws {
        let experiment = try store.enqueueExperiment(specJSON: #"{"name": "progress"}"#)
        try db.execute("SELECT seqtwins.enqueue_keyed(\(experiment), 'pretrain/a', 'pretrain', '{}'::jsonb)")
        try db.execute("""
            SELECT seqtwins.enqueue_keyed(\(experiment), 'evaluate/a', 'evaluate', '{}'::jsonb, ARRAY['pretrain/a'])
            """)
        // Re-planning the same keys adds nothing.
        try db.execute("SELECT seqtwins.enqueue_keyed(\(experiment), 'pretrain/a', 'pretrain', '{}'::jsonb)")
        let row = try #require(try db.queryOne("""
            SELECT jobs, queued, blocked, finished FROM seqtwins.experiment_progress WHERE experiment_id = \(experiment)
            """))
        #expect(try row.decode("jobs", as: Int.self) == 3)
        #expect(try row.decode("queued", as: Int.self) == 2)
        #expect(try row.decode("blocked", as: Int.self) == 1)
        #expect(try row.decode("finished", as: Bool.self) == false)
    }
}
