import Crypto
import Foundation
import Postgres
import Sequences

/// Reads and writes an experiment's results in the `seqtwins` schema (Migrations/0010_experiments.sql).
///
/// Every write is an upsert keyed by what identifies the result (run and metric step; run and checkpoint kind; run
/// and user; run, task, protocol and fraction), so a rerun of a job replaces its rows and never doubles them. Call
/// the writers inside a job's fenced transaction (`JobContext.withFencedWrite` / `withFencedTransaction`), so a
/// worker that lost its lease writes nothing.
public struct ResultsStore {
    /// The connection (usually a fenced transaction's).
    public let db: PostgresConnection

    /// Wraps a connection.
    public init(_ db: PostgresConnection) { self.db = db }

    // MARK: Experiments and runs

    /// Stores a spec and enqueues its `plan` job (`seqtwins.enqueue_experiment`). Returns the experiment id.
    public func enqueueExperiment(specJSON: String, priority: Int = 0) throws -> Int64 {
        let row = try db.queryOne("""
            SELECT seqtwins.enqueue_experiment(\(PostgresJSON(text: specJSON)), \(Int32(priority))) AS id
            """)
        return try row!.decode("id")
    }

    /// The spec an experiment was submitted with, as JSON text.
    /// - Throws: `ResultsStoreError.unknownExperiment`.
    public func spec(experiment: Int64) throws -> (name: String, json: String) {
        guard let row = try db.queryOne("SELECT name, spec::text AS spec FROM seqtwins.experiments WHERE id = \(experiment)")
        else { throw ResultsStoreError.unknownExperiment(experiment) }
        return (try row.decode("name"), try row.decode("spec"))
    }

    /// Stores the spec with every default filled in.
    public func setResolvedSpec(experiment: Int64, json: String) throws {
        try db.execute("""
            UPDATE seqtwins.experiments SET resolved_spec = \(PostgresJSON(text: json)) WHERE id = \(experiment)
            """)
    }

    /// Stores what preprocessing did to the experiment's dataset (``DatasetSummary``).
    public func setDatasetSummary(experiment: Int64, summary: DatasetSummary) throws {
        try db.execute("""
            UPDATE seqtwins.experiments SET dataset_summary = \(try PostgresJSON(encoding: summary)) WHERE id = \(experiment)
            """)
    }

    /// The stored dataset summary of an experiment, if its plan job wrote one.
    public func datasetSummary(experiment: Int64) throws -> DatasetSummary? {
        guard let row = try db.queryOne("""
            SELECT dataset_summary::text AS summary FROM seqtwins.experiments WHERE id = \(experiment)
            """), let text: String = try row.decode("summary") else { return nil }
        return try? JSONDecoder().decode(DatasetSummary.self, from: Data(text.utf8))
    }

    /// Finds or creates the run of (experiment, series, seed); `params` and the pretrain job are kept current.
    /// `points` is the run's sweep point (stored as the `sweep` object the views pair baselines by); without it a
    /// one-parameter `sweepParameter` / `sweepValue` is stored as that object.
    @discardableResult
    public func ensureRun(experiment: Int64, series: String, method: String, seed: Int, sweepParameter: String?,
                          sweepValue: Double?, params: PostgresJSON, pretrainJob: Int64?,
                          points: [SweepPoint]? = nil) throws -> Int64 {
        let points = points ?? sweepParameter.flatMap { name in sweepValue.map { [SweepPoint(parameter: name, value: $0)] } }
            ?? []
        let object: [String: Any] = Dictionary(
            points.map { point -> (String, Any) in (point.parameter, point.list ?? point.value) },
            uniquingKeysWith: { $1 })
        let sweep = try PostgresJSON(
            text: String(decoding: JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        let row = try db.queryOne("""
            INSERT INTO seqtwins.runs (experiment_id, series, method, seed, sweep_parameter, sweep_value, params,
                                       pretrain_job_id, sweep)
            VALUES (\(experiment), \(series), \(method), \(Int32(seed)), \(sweepParameter), \(sweepValue), \(params),
                    \(pretrainJob), \(sweep))
            ON CONFLICT (experiment_id, series, seed) DO UPDATE
            SET params = EXCLUDED.params, pretrain_job_id = coalesce(EXCLUDED.pretrain_job_id, runs.pretrain_job_id),
                sweep = EXCLUDED.sweep
            RETURNING id
            """)
        return try row!.decode("id")
    }

    /// The run of (experiment, series, seed).
    /// - Throws: `ResultsStoreError.unknownRun` when the planner has not created it.
    public func run(experiment: Int64, series: String, seed: Int) throws -> Int64 {
        guard let row = try db.queryOne("""
            SELECT id FROM seqtwins.runs WHERE experiment_id = \(experiment) AND series = \(series) AND seed = \(Int32(seed))
            """) else { throw ResultsStoreError.unknownRun(experiment: experiment, series: series, seed: seed) }
        return try row.decode("id")
    }

    // MARK: Metrics and checkpoints

    /// Records named metric values at a training step (replacing values already recorded at that step).
    public func writeMetrics(run: Int64, step: Int, epoch: Int?, values: [String: Double]) throws {
        guard !values.isEmpty else { return }
        let rows = values.sorted { $0.key < $1.key }.map { name, value -> SQL in
            "(\(run), \(name), \(Int64(step)), \(epoch.map(Int32.init)), \(value))"
        }
        try db.execute("""
            INSERT INTO seqtwins.metrics (run_id, name, step, epoch, value) VALUES \(SQL.joined(rows))
            ON CONFLICT (run_id, name, step) DO UPDATE
            SET epoch = EXCLUDED.epoch, value = EXCLUDED.value, recorded_at = now()
            """)
    }

    /// The metrics of a run, ordered by step then name.
    public func metrics(run: Int64) throws -> [(name: String, step: Int, value: Double)] {
        try db.query("SELECT name, step, value FROM seqtwins.metrics WHERE run_id = \(run) ORDER BY step, name").map {
            (try $0.decode("name"), try $0.decode("step"), try $0.decode("value"))
        }
    }

    /// Stores a checkpoint of `kind` (`final` or `latest`), replacing the previous one of that kind.
    public func writeCheckpoint(run: Int64, kind: CheckpointKind, epoch: Int, step: Int, bytes: [UInt8],
                                config: PostgresJSON = PostgresJSON(text: "{}")) throws {
        try db.execute("""
            INSERT INTO seqtwins.checkpoints (run_id, kind, epoch, step, bytes, config)
            VALUES (\(run), \(kind.rawValue), \(Int32(epoch)), \(Int64(step)), \(bytes), \(config))
            ON CONFLICT (run_id, kind) DO UPDATE
            SET epoch = EXCLUDED.epoch, step = EXCLUDED.step, bytes = EXCLUDED.bytes, config = EXCLUDED.config,
                created_at = now()
            """)
    }

    /// A stored checkpoint, or `nil`. The bytes are checked against the row's `sha256` column (which the server
    /// computed from the bytes it stored) before they are returned, so bytes damaged in storage or on the way are
    /// never restored; the bytes also carry their own per-parameter checksums, which decoding checks.
    /// - Throws: `ResultsStoreError.checkpointChecksumMismatch` naming the run, the kind and both digests.
    public func checkpoint(run: Int64, kind: CheckpointKind) throws -> StoredCheckpoint? {
        guard let row = try db.queryOne("""
            SELECT epoch, step, bytes, config, sha256 FROM seqtwins.checkpoints
            WHERE run_id = \(run) AND kind = \(kind.rawValue)
            """) else { return nil }
        let bytes: [UInt8] = try row.decode("bytes")
        let stored: String = try row.decode("sha256")
        let computed = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        guard computed == stored else {
            throw ResultsStoreError.checkpointChecksumMismatch(run: run, kind: kind, stored: stored,
                                                               computed: computed)
        }
        return StoredCheckpoint(epoch: try row.decode("epoch"), step: try row.decode("step"), bytes: bytes,
                                config: try row.decode("config"))
    }

    /// Deletes a run's checkpoint of `kind` (the resumable `latest` once `final` is written).
    public func deleteCheckpoint(run: Int64, kind: CheckpointKind) throws {
        try db.execute("DELETE FROM seqtwins.checkpoints WHERE run_id = \(run) AND kind = \(kind.rawValue)")
    }

    /// The spec an experiment runs with: the planner's resolved spec (defaults filled in), else the submitted one.
    /// - Throws: `ResultsStoreError.unknownExperiment`, or the spec's decoding error.
    public func resolvedSpec(experiment: Int64) throws -> ExperimentSpec {
        guard let row = try db.queryOne("""
            SELECT coalesce(resolved_spec, spec)::text AS spec FROM seqtwins.experiments WHERE id = \(experiment)
            """) else { throw ResultsStoreError.unknownExperiment(experiment) }
        return try ExperimentSpec(json: try row.decode("spec", as: String.self))
    }

    // MARK: Embeddings and evaluations

    /// Replaces a run's embeddings with `rows` (user id, split, vector), bulk-loaded with COPY.
    public func replaceEmbeddings(run: Int64, rows: [(userID: String, split: String, vector: [Float])]) throws {
        try db.execute("DELETE FROM seqtwins.embeddings WHERE run_id = \(run)")
        // Binary COPY: each float goes as its 4 IEEE-754 bytes, with nothing to format here or to parse in the
        // server (the text form's parsing of the arrays was most of the cost; README, Scale).
        try db.copyInBinary("COPY seqtwins.embeddings (run_id, user_id, split, embedding) FROM STDIN (FORMAT binary)") {
            writer in
            for row in rows {
                try writer.beginRow(fields: 4)
                writer.appendBigInt(run)
                writer.appendText(row.userID)
                writer.appendText(row.split)
                writer.appendRealArray(row.vector)
            }
        }
    }

    /// A run's embeddings by user id.
    /// Read with binary COPY: each float arrives as its 4 IEEE-754 bytes, with no text to parse (most of this read's
    /// cost in the text form; README, Scale).
    public func embeddings(run: Int64) throws -> [String: [Float]] {
        var result: [String: [Float]] = [:]
        // COPY takes no parameters: the statement holds only the run id, an integer.
        let statement = SQL(stringLiteral: """
            COPY (SELECT user_id, embedding FROM seqtwins.embeddings WHERE run_id = \(run)) TO STDOUT (FORMAT binary)
            """)
        try db.copyOutBinary(statement) { row in
            guard let user = try row.text(), let vector = try row.realArray() else {
                throw ResultsStoreError.incompleteEmbedding(run: run)
            }
            result[user] = vector
        }
        return result
    }

    /// Records one evaluation (replacing an earlier one of the same run, task, protocol and fraction).
    public func writeEvaluation(_ record: EvaluationRecord) throws {
        try db.execute("""
            INSERT INTO seqtwins.eval_results (run_id, task, protocol, label_fraction, labelled_n, validation_n, test_n,
                accuracy, balanced_accuracy, macro_f1, roc_auc, majority_accuracy, details, job_id)
            VALUES (\(record.run), \(record.task), \(record.evaluationProtocol), \(record.fraction),
                \(Int32(record.labelledN)), \(record.validationN.map(Int32.init)), \(Int32(record.testN)),
                \(record.accuracy), \(record.balancedAccuracy), \(record.macroF1), \(record.rocAUC),
                \(record.majorityAccuracy), \(record.details), \(record.job))
            ON CONFLICT (run_id, task, protocol, label_fraction) DO UPDATE
            SET labelled_n = EXCLUDED.labelled_n, validation_n = EXCLUDED.validation_n, test_n = EXCLUDED.test_n,
                accuracy = EXCLUDED.accuracy, balanced_accuracy = EXCLUDED.balanced_accuracy,
                macro_f1 = EXCLUDED.macro_f1, roc_auc = EXCLUDED.roc_auc,
                majority_accuracy = EXCLUDED.majority_accuracy, details = EXCLUDED.details, job_id = EXCLUDED.job_id,
                created_at = now()
            """)
    }

    /// Replaces the per-user test predictions of one evaluation (written after ``writeEvaluation(_:)``, in the same
    /// transaction): `rows` are (user id, true class name, predicted class name).
    public func replacePredictions(
        _ record: EvaluationRecord, rows: [(userID: String, label: String, predicted: String)]
    ) throws {
        try db.execute("""
            DELETE FROM seqtwins.eval_predictions WHERE run_id = \(record.run) AND task = \(record.task)
              AND protocol = \(record.evaluationProtocol) AND label_fraction = \(record.fraction)
            """)
        guard !rows.isEmpty else { return }
        let fraction = record.fraction.description
        try db.copyIn("""
            COPY seqtwins.eval_predictions (run_id, task, protocol, label_fraction, user_id, label, predicted) FROM STDIN
            """, rows: rows.lazy.map { row in
                ["\(record.run)", record.task, record.evaluationProtocol, fraction, row.userID, row.label, row.predicted]
            })
    }

    /// Every evaluation of an experiment, as report rows.
    public func resultRows(experiment: Int64) throws -> [ResultRow] {
        try db.query("""
            SELECT r.series, r.seed, e.task, e.protocol, e.label_fraction, e.labelled_n, e.accuracy,
                   e.balanced_accuracy, e.macro_f1, e.roc_auc, e.majority_accuracy
            FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id
            WHERE r.experiment_id = \(experiment)
            ORDER BY r.series, e.task, e.protocol, e.label_fraction, r.seed
            """).map { row in
            ResultRow(method: try row.decode("series"), task: try row.decode("task"),
                      evaluationProtocol: try row.decode("protocol"), fraction: try row.decode("label_fraction"),
                      labelledN: try row.decode("labelled_n"), seed: try row.decode("seed"),
                      accuracy: try row.decode("accuracy"), balancedAccuracy: try row.decode("balanced_accuracy"),
                      macroF1: try row.decode("macro_f1"), rocAUC: try row.decode("roc_auc"),
                      majorityAccuracy: try row.decode("majority_accuracy"))
        }
    }
}

/// Which stored checkpoint of a run.
public enum CheckpointKind: String, Sendable {
    /// The encoder when pretraining finished.
    case final
    /// The newest periodic checkpoint, for resuming a rescued pretrain job.
    case latest
}

/// A checkpoint read back from the database.
public struct StoredCheckpoint: Sendable {
    /// The epoch it was taken after.
    public var epoch: Int
    /// The optimiser step it was taken at.
    public var step: Int
    /// The checkpoint bytes (NeuralNet's `Checkpoint` format).
    public var bytes: [UInt8]
    /// The encoder architecture needed to restore the bytes (`Learning.EncoderConfig` as JSON).
    public var config: PostgresJSON
}

/// One evaluation's figures, as stored in `seqtwins.eval_results`.
public struct EvaluationRecord: Sendable {
    /// The run evaluated.
    public var run: Int64
    /// The task.
    public var task: String
    /// `linear_probe` or `fine_tune`.
    public var evaluationProtocol: String
    /// The label fraction in `(0, 1]`.
    public var fraction: Double
    /// Labelled train users actually used.
    public var labelledN: Int
    /// Validation users used to choose the L2 strength or stop early.
    public var validationN: Int?
    /// Test users scored.
    public var testN: Int
    /// Test accuracy (`nil` for the multi-label task).
    public var accuracy: Double?
    /// Test balanced accuracy.
    public var balancedAccuracy: Double?
    /// Test macro-F1.
    public var macroF1: Double?
    /// Test ROC-AUC (binary tasks) or macro ROC-AUC (multi-label).
    public var rocAUC: Double?
    /// The majority-class accuracy of the same split.
    public var majorityAccuracy: Double?
    /// Anything else worth keeping (chosen L2 strength, epochs trained, ...).
    public var details: PostgresJSON
    /// The job that wrote it.
    public var job: Int64?

    /// An evaluation record.
    public init(run: Int64, task: String, evaluationProtocol: String, fraction: Double, labelledN: Int,
                validationN: Int?, testN: Int, accuracy: Double?, balancedAccuracy: Double?, macroF1: Double?,
                rocAUC: Double?, majorityAccuracy: Double?, details: PostgresJSON = PostgresJSON(text: "{}"),
                job: Int64?) {
        self.run = run
        self.task = task
        self.evaluationProtocol = evaluationProtocol
        self.fraction = fraction
        self.labelledN = labelledN
        self.validationN = validationN
        self.testN = testN
        self.accuracy = accuracy
        self.balancedAccuracy = balancedAccuracy
        self.macroF1 = macroF1
        self.rocAUC = rocAUC
        self.majorityAccuracy = majorityAccuracy
        self.details = details
        self.job = job
    }
}

/// A results lookup found nothing where something was expected.
public enum ResultsStoreError: Error, CustomStringConvertible, Sendable {
    /// No experiment has this id.
    case unknownExperiment(Int64)
    /// The planner has not created this run.
    case unknownRun(experiment: Int64, series: String, seed: Int)
    /// A stored checkpoint's bytes do not match its `sha256` column: they were damaged after they were stored.
    case checkpointChecksumMismatch(run: Int64, kind: CheckpointKind, stored: String, computed: String)
    /// A stored embedding row lacks its user id or vector (the columns are NOT NULL, so only a changed schema).
    case incompleteEmbedding(run: Int64)

    /// The message.
    public var description: String {
        switch self {
        case .unknownExperiment(let id): "experiment \(id) does not exist"
        case .unknownRun(let experiment, let series, let seed):
            "experiment \(experiment) has no run for series \(series), seed \(seed) (was it planned?)"
        case .checkpointChecksumMismatch(let run, let kind, let stored, let computed):
            "the \(kind.rawValue) checkpoint of run \(run) is corrupt: its bytes hash to sha256 "
                + "\(computed.prefix(16))…, the stored sha256 is \(stored.prefix(16))…"
        case .incompleteEmbedding(let run): "run \(run) has an embedding row without a user id or a vector"
        }
    }
}
