import Experiments
import Foundation
import Postgres
import Sequences
import SeqTwinsTestSupport
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The whole pipeline against the real Postgres and the real `seqtwins` binary: enqueue, workers, results, report.
@Suite("Experiment pipeline end to end", .enabled(if: TestDatabase.isAvailable), .serialized)
final class PipelineTests {
    let database: TestDatabase
    let db: PostgresConnection
    let folder: URL

    init() throws {
        database = try TestDatabase(suite: "pipeline")
        db = try database.connect()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqtwins-pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        database.drop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Worker flags for tests: short leases so a killed worker's job comes back within seconds.
    static let worker = ["worker", "--lease-seconds", "3", "--heartbeat-seconds", "0.5", "--poll-seconds", "0.3",
                         "--rescue-seconds", "0.5", "--openblas-coretype", "none"]

    /// A tiny synthetic experiment: 4 methods, 2 seeds, 2 tasks, both protocols, 2 fractions.
    static let tinySpec = """
        {
          "name": "tiny",
          "dataset": {"kind": "synthetic",
                      "synthetic": {"users": 400, "items": 120, "categories": 8, "mean_sequence_length": 20, "seed": 1}},
          "preprocessing": {"max_length": 20, "label_categories": 6},
          "encoder": {"kind": "transformer", "d": 16, "blocks": 1, "heads": 2, "ff": 32},
          "methods": [
            {"name": "barlow_twins", "epochs": 2, "batch_size": 64, "projector": [32, 32]},
            {"name": "dual_encoder", "epochs": 2, "batch_size": 64},
            {"name": "none"},
            {"name": "bag_of_items", "hash_buckets": 16}
          ],
          "tasks": ["future_top_category", "future_categories"],
          "protocols": ["linear_probe", "fine_tune"],
          "label_fractions": [0.5, 1],
          "fine_tune": {"epochs": 3, "patience": 2},
          "seeds": 2
        }
        """

    private func write(_ text: String, to name: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    private func count(_ sql: SQL) throws -> Int {
        try db.queryOne(sql)!.decode(0, as: Int.self)
    }

    private func runWorkerUntilIdle(timeout: Double = 240) throws -> String {
        let (status, log) = try runSeqTwins(Self.worker + ["--exit-when-idle"], databaseURL: database.url,
                                            timeout: timeout)
        #expect(status == 0, "worker log:\n\(log.suffix(3000))")
        return log
    }

    @Test func tinyExperimentRunsEndToEnd() throws {
        let file = try write(Self.tinySpec, to: "tiny.json")
        let (dryStatus, dryRun) = try runSeqTwins(["enqueue", file, "--dry-run"], databaseURL: database.url)
        #expect(dryStatus == 0, "\(dryRun)")
        #expect(dryRun.contains("pretrain 8, embed 8, evaluate 56"))
        #expect(try count("SELECT count(*)::int FROM seqtwins.experiments") == 0)

        let (status, output) = try runSeqTwins(["enqueue", file], databaseURL: database.url)
        #expect(status == 0, "\(output)")
        let experiment = try #require(output.split(separator: "\n").last.flatMap { Int64($0.split(separator: " ").last ?? "") })
        _ = try runWorkerUntilIdle()

        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment)") == 73)
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment) AND state <> 'succeeded'
            """) == 0)
        #expect(try count("SELECT count(*)::int FROM seqtwins.runs WHERE experiment_id = \(experiment)") == 8)
        #expect(try count("SELECT count(*)::int FROM seqtwins.embeddings") == 8 * 400)
        #expect(try count("SELECT count(*)::int FROM seqtwins.checkpoints WHERE kind = 'final'") == 6)
        #expect(try count("SELECT count(*)::int FROM seqtwins.eval_results") == 56)
        // Per-epoch metrics of the trained runs: loss at each of 2 epochs, for 2 methods and 2 seeds.
        #expect(try count("SELECT count(*)::int FROM seqtwins.metrics WHERE name = 'loss'") >= 8)
        #expect(try count("SELECT count(*)::int FROM seqtwins.metrics WHERE name = 'recall_at_10'") == 2)
        // Every pretrain job with an encoder records what it did: steps × batch examples, and its seconds.
        #expect(try count("SELECT count(*)::int FROM seqtwins.run_budgets WHERE steps IS NOT NULL") == 6)
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.run_budgets b JOIN seqtwins.checkpoints c ON c.run_id = b.run_id
            WHERE c.kind = 'final' AND b.steps = c.step AND b.seconds >= 0
            """) == 6)

        // The README's queries.
        let curve = try db.query("""
            SELECT method, task, protocol, label_fraction, labelled_n, n, mean, sd
            FROM seqtwins.label_efficiency WHERE experiment_id = \(experiment)
            ORDER BY task, protocol, method, label_fraction
            """)
        #expect(curve.count == 4 * 2 * 2 + 3 * 2 * 2)
        #expect(try curve.allSatisfy { try $0.decode("n", as: Int.self) == 2 })
        let gains = try db.query("""
            SELECT method, task, protocol, label_fraction, pairs, mean_difference, lower_95, upper_95, relative_gain
            FROM seqtwins.method_gain WHERE experiment_id = \(experiment)
            """)
        #expect(gains.count == 3 * 2 * 2 + 2 * 2 * 2)
        #expect(try gains.allSatisfy { try $0.decode("pairs", as: Int.self) == 2 })

        // Re-running the planner adds nothing.
        let before = try count("SELECT count(*)::int FROM seqtwins.jobs")
        let (replan, replanOutput) = try runSeqTwins(
            ["enqueue-job", "--kind", "plan", "--payload", #"{"experiment_id": \#(experiment)}"#,
             "--experiment", "\(experiment)"], databaseURL: database.url)
        #expect(replan == 0, "\(replanOutput)")
        _ = try runWorkerUntilIdle()
        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs") == before + 1)
        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs WHERE state <> 'succeeded'") == 0)
        #expect(try count("SELECT count(*)::int FROM seqtwins.eval_results") == 56)

        // The report: text, and an SVG that parses as XML with one curve per method in each panel.
        let svgPath = folder.appendingPathComponent("curves.svg").path
        let (reportStatus, report) = try runSeqTwins(["report", "\(experiment)", "--svg", svgPath],
                                                     databaseURL: database.url)
        #expect(reportStatus == 0, "\(report)")
        #expect(report.contains("barlow_twins") && report.contains("gain over dual_encoder"))
        #expect(report.contains("verdicts against dual_encoder") && report.contains("budgets: optimiser steps"))
        #expect(try count("SELECT count(*)::int FROM seqtwins.verdicts WHERE experiment_id = \(experiment)") > 0)
        #if canImport(FoundationXML) || os(macOS)
        let document = try XMLDocument(contentsOf: URL(fileURLWithPath: svgPath))
        #expect(document.rootElement()?.name == "svg")
        let curves = try document.nodes(forXPath: "//*[local-name()='polyline']")
        // 2 tasks × 2 protocols = 4 panels; linear-probe panels hold 4 methods, fine-tune panels 3.
        #expect(curves.count == 2 * 4 + 2 * 3)
        #endif
    }

    /// The research options end to end: a hybrid of Barlow Twins and the bag, Barlow Twins' probe curve, and
    /// fine-tuning that picks its rate from a grid and starts from the probe.
    @Test func researchOptionsRunEndToEnd() throws {
        let spec = """
            {
              "name": "research",
              "dataset": {"kind": "synthetic",
                          "synthetic": {"users": 300, "items": 100, "categories": 8, "mean_sequence_length": 20,
                                        "seed": 2}},
              "preprocessing": {"max_length": 20, "label_categories": 6},
              "encoder": {"d": 16, "blocks": 1, "heads": 2, "ff": 32, "attention_dropout": 0.1},
              "methods": [
                {"name": "hybrid", "of": "barlow_twins", "hash_buckets": 8},
                {"name": "barlow_twins", "epochs": 2, "batch_size": 64, "projector": [32, 32], "eval_every": 1}
              ],
              "tasks": ["future_top_category"],
              "label_fractions": [1],
              "fine_tune": {"epochs": 2, "patience": 1, "lr_grid": [1e-4, 1e-3], "init": "probe"},
              "seeds": 1
            }
            """
        let file = try write(spec, to: "research.json")
        let (status, output) = try runSeqTwins(["enqueue", file], databaseURL: database.url)
        #expect(status == 0, "\(output)")
        let experiment = try #require(
            output.split(separator: "\n").last.flatMap { Int64($0.split(separator: " ").last ?? "") })
        _ = try runWorkerUntilIdle()
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment) AND state <> 'succeeded'
            """) == 0)
        // The hybrid's rows: Barlow Twins' 16 values, then the bag (6 vocabulary categories + 8 buckets).
        #expect(try count("""
            SELECT DISTINCT array_length(e.embedding, 1) FROM seqtwins.embeddings e
            JOIN seqtwins.runs r ON r.id = e.run_id WHERE r.series = 'hybrid'
            """) == 16 + 6 + 8)
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.embeddings h JOIN seqtwins.runs hr ON hr.id = h.run_id
            JOIN seqtwins.embeddings b ON b.user_id = h.user_id JOIN seqtwins.runs br ON br.id = b.run_id
            WHERE hr.series = 'hybrid' AND br.series = 'barlow_twins' AND h.embedding[1:16] <> b.embedding
            """) == 0)
        // The probe curve: epochs 0, 1 and 2.
        let epochs = try db.query("""
            SELECT m.epoch FROM seqtwins.metrics m JOIN seqtwins.runs r ON r.id = m.run_id
            WHERE r.series = 'barlow_twins' AND m.name = 'probe_accuracy' ORDER BY m.epoch
            """).map { try $0.decode("epoch", as: Int.self) }
        #expect(epochs == [0, 1, 2])
        // Fine-tuning recorded its chosen rate, the score of each rate and the probe it started from.
        let details = try #require(try db.queryOne("""
            SELECT (e.details->>'lr')::float8 AS lr, e.details ? 'lr_score_0.001' AS scored,
                   e.details ? 'probe_l2' AS probed
            FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id
            WHERE r.series = 'barlow_twins' AND e.protocol = 'fine_tune'
            """))
        let lr = try details.decode("lr", as: Double.self)
        #expect(lr == 1e-4 || lr == 1e-3)  // the spec's value, not its Float
        #expect(try details.decode("scored", as: Bool.self) && details.decode("probed", as: Bool.self))
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id
            WHERE r.series = 'hybrid' AND e.protocol = 'fine_tune'
            """) == 0)
        let svgPath = folder.appendingPathComponent("research.svg").path
        let (reportStatus, report) = try runSeqTwins(["report", "\(experiment)", "--svg", svgPath],
                                                     databaseURL: database.url)
        #expect(reportStatus == 0, "\(report)")
        #expect(report.contains("training curve of barlow_twins: probe_accuracy"))
        #expect(report.contains("fine_tune against linear_probe of the same encoder"))
        #expect(try String(contentsOfFile: svgPath, encoding: .utf8).contains(#"class="probe-curve""#))
    }

    @Test func aWorkerKilledDuringPretrainingIsRescuedAndResumes() throws {
        let spec = """
            {
              "name": "killed",
              "dataset": {"kind": "synthetic",
                          "synthetic": {"users": 1500, "items": 300, "categories": 8, "mean_sequence_length": 30}},
              "preprocessing": {"max_length": 30, "label_categories": 6},
              "encoder": {"kind": "transformer", "d": 32, "blocks": 1, "heads": 2, "ff": 64},
              "methods": [{"name": "barlow_twins", "epochs": 40, "batch_size": 64, "projector": [64, 64]}],
              "tasks": ["future_top_category"],
              "protocols": ["linear_probe"],
              "label_fractions": [1],
              "seeds": 1
            }
            """
        let file = try write(spec, to: "killed.json")
        let (status, output) = try runSeqTwins(["enqueue", file], databaseURL: database.url)
        #expect(status == 0, "\(output)")

        let first = try SeqTwinsProcess(Self.worker, databaseURL: database.url)
        let checkpointed = try waitUntil(timeout: 120) {
            try count("SELECT count(*)::int FROM seqtwins.checkpoints WHERE kind = 'latest' AND epoch >= 2") > 0
        }
        #expect(checkpointed, "no periodic checkpoint appeared:\n\(first.log.suffix(2000))")
        first.signal(SIGKILL)
        _ = first.wait(timeout: 10)
        let killedAt = try count("SELECT epoch FROM seqtwins.checkpoints WHERE kind = 'latest'")
        #expect(try count("SELECT count(*)::int FROM seqtwins.checkpoints WHERE kind = 'final'") == 0)

        // The killed job is rescued once its 3 s lease runs out, by a worker that keeps running until it is done.
        let second = try SeqTwinsProcess(Self.worker, databaseURL: database.url)
        let finished = try waitUntil(timeout: 300) {
            try count("SELECT count(*)::int FROM seqtwins.jobs WHERE state NOT IN ('succeeded', 'failed', 'cancelled')") == 0
        }
        second.signal(SIGTERM)
        _ = second.wait(timeout: 30)
        let log = second.log
        #expect(finished, "\(log.suffix(2000))")
        #expect(log.contains("resuming barlow_twins seed 0 after epoch"), "\(log.suffix(2000))")
        let pretrain = try #require(try db.queryOne("SELECT state, attempts FROM seqtwins.jobs WHERE kind = 'pretrain'"))
        #expect(try pretrain.decode("state", as: String.self) == "succeeded")
        #expect(try pretrain.decode("attempts", as: Int.self) == 2)
        // One set of results: one loss per epoch (steps are keyed), one final checkpoint, one evaluation.
        #expect(try count("SELECT count(*)::int FROM seqtwins.metrics WHERE name = 'loss'") == 40)
        #expect(try count("SELECT min(epoch)::int FROM seqtwins.metrics WHERE name = 'loss'") == 1)
        #expect(try count("SELECT count(*)::int FROM seqtwins.checkpoints WHERE kind = 'final'") == 1)
        #expect(try count("SELECT count(*)::int FROM seqtwins.eval_results") == 1)
        #expect(killedAt >= 2 && killedAt < 40)
    }

    @Test(arguments: [
        ("methods", #"[{"name": "bt"}]"#, #"methods[0].name: unknown method "bt"; allowed: barlow_twins"#),
        ("label_fractions", "[0.5, 1.5]", "label_fractions[1]"),
        ("tasks", #"["next_category", "gender"]"#, #"tasks[1]: task "gender" is not supported by dataset"#),
    ])
    func badSpecsGetPreciseErrorsAndStoreNothing(field: String, value: String, message: String) throws {
        // A sequence-format dataset: categories but no user attributes, so `gender` is not supported.
        let sequences = (1...60).map { user in "u\(user) " + (0..<8).map { "i\((user * 7 + $0 * 3) % 40)" }.joined(separator: " ") }
        let dataset = try write(sequences.joined(separator: "\n") + "\n", to: "seq.txt")
        let attributes = try write("{" + (0..<40).map { #""i\#($0)": [\#($0 % 5)]"# }.joined(separator: ", ") + "}",
                                   to: "attributes.json")
        var fields = [
            "name": #""bad""#,
            "dataset": #"{"kind": "sequences", "path": "\#(dataset)", "item_attributes": "\#(attributes)"}"#,
            "methods": #"[{"name": "none"}]"#,
            "tasks": #"["next_category"]"#,
            "protocols": #"["linear_probe"]"#,
        ]
        fields[field] = value
        let spec = "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        let file = try write(spec, to: "bad.json")
        let (status, output) = try runSeqTwins(["enqueue", file], databaseURL: database.url)
        #expect(status != 0)
        #expect(output.contains(message), "\(output)")
        #expect(output.contains(file), "the error names the file: \(output)")
        #expect(try count("SELECT count(*)::int FROM seqtwins.experiments") == 0)
        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs") == 0)
    }

    @Test func aMissingDatasetFileIsNamed() throws {
        let spec = """
            {"name": "missing", "dataset": {"kind": "movielens1m", "path": "\(folder.path)/no-such-folder"},
             "methods": [{"name": "none"}], "tasks": ["gender"]}
            """
        let file = try write(spec, to: "missing.json")
        let (status, output) = try runSeqTwins(["enqueue", file], databaseURL: database.url)
        #expect(status != 0)
        #expect(output.contains("dataset.path") && output.contains("no-such-folder"), "\(output)")
        #expect(try count("SELECT count(*)::int FROM seqtwins.experiments") == 0)
    }

    @Test func aWorkerWithoutTheFilesRunsAnExperimentOnAnImportedDataset() throws {
        // Import from files in a folder of their own, then delete the folder: the worker, started elsewhere, can
        // only read the database.
        let source = folder.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: true)
        let lines = (1...120).map { user in
            "u\(user) " + (0..<10).map { "i\((user * 7 + $0 * 3) % 50)" }.joined(separator: " ")
        }
        let data = source.appendingPathComponent("seq.txt").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        let attributes = source.appendingPathComponent("attributes.json").path
        try ("{" + (0..<50).map { #""i\#($0)": [\#($0 % 5)]"# }.joined(separator: ", ") + "}")
            .write(toFile: attributes, atomically: true, encoding: .utf8)
        let (imported, importOutput) = try runSeqTwins(
            ["dataset", "import", "seqs", "--kind", "sequences", "--path", data, "--item-attributes", attributes],
            databaseURL: database.url)
        #expect(imported == 0, "\(importOutput)")
        #expect(importOutput.contains("imported dataset seqs: 120 users, 50 items, 1200 interactions, 5 categories"),
                "\(importOutput)")
        try FileManager.default.removeItem(at: source)

        let experiment = try ResultsStore(db).enqueueExperiment(specJSON: """
            {"name": "imported", "dataset": {"name": "seqs"}, "preprocessing": {"max_length": 10},
             "encoder": {"kind": "transformer", "d": 8, "blocks": 1, "heads": 2, "ff": 16},
             "methods": [{"name": "barlow_twins", "epochs": 1, "batch_size": 32, "projector": [16, 16]}],
             "tasks": ["next_category"], "protocols": ["linear_probe"], "label_fractions": [1], "seeds": 1}
            """)
        let elsewhere = folder.appendingPathComponent("elsewhere").path
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let (status, log) = try runSeqTwins(Self.worker + ["--exit-when-idle"], databaseURL: database.url,
                                            timeout: 120, currentDirectory: elsewhere)
        #expect(status == 0, "\(log.suffix(2000))")
        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment)") == 4)
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment) AND state <> 'succeeded'
            """) == 0)
        #expect(try count("SELECT count(*)::int FROM seqtwins.embeddings") == 120)
        // The embeddings join the dataset's users by their source ids.
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.embeddings e
            JOIN seqtwins.runs r ON r.id = e.run_id JOIN seqtwins.experiments x ON x.id = r.experiment_id
            JOIN seqtwins.dataset_users u ON u.dataset_id = x.dataset_id AND u.user_id = e.user_id
            """) == 120)
        // The planner stored what preprocessing did, and the report shows it.
        let summary = try #require(try ResultsStore(db).datasetSummary(experiment: experiment))
        #expect(summary.source.users == 120 && summary.kept.users == 120 && summary.vocabulary.count == 5)
        let (reported, report) = try runSeqTwins(["report", "\(experiment)"], databaseURL: database.url)
        #expect(reported == 0 && report.contains("dataset summary:") && report.contains("read: 120 users"), "\(report)")

        // list / show / delete from the command line; delete is refused while the experiment uses the dataset.
        let (listed, list) = try runSeqTwins(["dataset", "list"], databaseURL: database.url)
        #expect(listed == 0 && list.contains("seqs") && list.contains("1200"), "\(list)")
        let (shown, show) = try runSeqTwins(["dataset", "show", "seqs"], databaseURL: database.url)
        #expect(shown == 0, "\(show)")
        #expect(show.contains("sequences.txt") && show.contains("#\(experiment) imported"), "\(show)")
        let (deleted, deletion) = try runSeqTwins(["dataset", "delete", "seqs"], databaseURL: database.url)
        #expect(deleted != 0)
        #expect(deletion.contains("used by 1 experiment") && deletion.contains("#\(experiment) imported"), "\(deletion)")
        let (unknown, unknownOutput) = try runSeqTwins(["dataset", "show", "nope"], databaseURL: database.url)
        #expect(unknown != 0 && unknownOutput.contains("no dataset named \"nope\"") && unknownOutput.contains("seqs"))

        // A spec sent through SQL that names a path is refused, with the field named.
        let refused = #expect(throws: PostgresError.self) {
            try ResultsStore(db).enqueueExperiment(specJSON: #"""
                {"name": "sneaky", "dataset": {"kind": "movielens1m", "path": "/etc"}}
                """#)
        }
        #expect(refused?.message.contains("dataset.path") == true, "\(String(describing: refused))")
    }

    @Test func aWorkerRefusesAJobAboveItsMemoryLimitWithoutRetrying() throws {
        let experiment = try ResultsStore(db).enqueueExperiment(specJSON: """
            {"name": "limited", "dataset": {"kind": "synthetic", "synthetic": {"users": 200, "items": 50, "categories": 4,
             "mean_sequence_length": 10}}, "encoder": {"kind": "mean_pool", "d": 8, "heads": 1},
             "methods": [{"name": "barlow_twins", "epochs": 1, "batch_size": 32, "projector": [16]}],
             "tasks": ["next_category"], "protocols": ["linear_probe"], "label_fractions": [1], "seeds": 1}
            """)
        // The plan passes on a worker with room; a worker allowing a job almost nothing then refuses the pretraining.
        let (planned, planLog) = try runSeqTwins(Self.worker + ["--exit-when-idle", "--kinds", "plan"],
                                                 databaseURL: database.url, timeout: 60)
        #expect(planned == 0, "\(planLog.suffix(2000))")
        let (status, log) = try runSeqTwins(Self.worker + ["--exit-when-idle", "--max-job-memory-gb", "0.0001"],
                                            databaseURL: database.url, timeout: 60)
        #expect(status == 0, "\(log.suffix(2000))")
        // The same limit at the plan stage refuses the spec, naming the method.
        let again = try ResultsStore(db).enqueueExperiment(specJSON: """
            {"name": "limited2", "dataset": {"kind": "synthetic", "synthetic": {"users": 200, "items": 50,
             "categories": 4, "mean_sequence_length": 10}}, "encoder": {"kind": "mean_pool", "d": 8, "heads": 1},
             "methods": [{"name": "barlow_twins", "epochs": 1, "batch_size": 32, "projector": [16]}],
             "tasks": ["next_category"], "protocols": ["linear_probe"], "label_fractions": [1], "seeds": 1}
            """)
        _ = try runSeqTwins(Self.worker + ["--exit-when-idle", "--max-job-memory-gb", "0.0001"],
                            databaseURL: database.url, timeout: 60)
        let planError: String = try db.queryOne("""
            SELECT last_error FROM seqtwins.jobs WHERE experiment_id = \(again) AND kind = 'plan'
            """)!.decode("last_error")
        #expect(planError.contains("methods[0]") && planError.contains("a job may use"), "\(planError)")
        let pretrain = try #require(try db.queryOne("""
            SELECT state, attempts, last_error FROM seqtwins.jobs WHERE experiment_id = \(experiment) AND kind = 'pretrain'
            """))
        #expect(try pretrain.decode("state", as: String.self) == "failed")
        #expect(try pretrain.decode("attempts", as: Int.self) == 1)
        let error: String = try pretrain.decode("last_error")
        #expect(error.contains("[permanent]") && error.contains("this worker allows a job"), "\(error)")
    }

    @Test func statusAndReportSpeakOfOneExperimentAndNameBadOutputPaths() throws {
        let spec = #"{"name": "quiet", "dataset": {"kind": "synthetic"}, "methods": [{"name": "none"}]}"#
        let first = try ResultsStore(db).enqueueExperiment(specJSON: spec)
        _ = try ResultsStore(db).enqueueExperiment(specJSON: spec)
        let (status, output) = try runSeqTwins(["status", "--experiment", "\(first)"], databaseURL: database.url)
        #expect(status == 0, "\(output)")
        #expect(output.contains("jobs: blocked 0  queued 1  running 0"), "only this experiment's jobs: \(output)")
        let (reported, report) = try runSeqTwins(["report", "\(first)", "--svg", "/nonexistent/folder/x.svg"],
                                                 databaseURL: database.url)
        #expect(reported == 2, "\(report)")
        #expect(report.contains("--svg /nonexistent/folder/x.svg: no such folder \"/nonexistent/folder\""), "\(report)")
        #expect(!report.contains("NSCocoaErrorDomain"), "\(report)")
    }

    @Test func aBadSpecEnqueuedInSQLFailsItsPlanJobWithTheField() throws {
        let experiment = try ResultsStore(db).enqueueExperiment(specJSON: #"""
            {"name": "sql", "dataset": {"kind": "synthetic"}, "methods": [{"name": "barlow_twins", "epochs": 0}]}
            """#)
        _ = try runWorkerUntilIdle(timeout: 60)
        let plan = try #require(try db.queryOne("SELECT state, attempts, last_error FROM seqtwins.jobs WHERE kind = 'plan'"))
        #expect(try plan.decode("state", as: String.self) == "failed")
        #expect(try plan.decode("attempts", as: Int.self) == 1)
        let error: String = try plan.decode("last_error")
        #expect(error.contains("methods[0].epochs"), "\(error)")
        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment)") == 1)
        #expect(try count("SELECT count(*)::int FROM seqtwins.runs") == 0)
    }
}
