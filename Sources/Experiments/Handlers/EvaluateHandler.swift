import Foundation
import JobQueue
import Learning
import Postgres
import Sequences

/// `evaluate`: scores one task, protocol and label fraction on a run, and writes accuracy, balanced accuracy,
/// macro-F1, ROC-AUC (binary and multi-label tasks), the majority-class accuracy and the labelled count actually
/// used. `linear_probe` fits a logistic-regression probe on the stored embeddings; `fine_tune` trains the stored
/// encoder with a linear head end to end. The labelled subsets depend only on (seed, task, fraction), so every
/// method of a seed sees the same users.
///
/// Payload: ``EvaluatePayload``.
public struct EvaluateHandler: JobHandler {
    /// The prepared datasets this handler shares with the process's other handlers.
    let cache: DatasetCache

    /// Creates the handler, reading prepared datasets through `cache`.
    public init(cache: DatasetCache = .shared) {
        self.cache = cache
    }

    /// The kind this handler runs.
    public var kind: String { JobKind.evaluate.rawValue }
    /// One line for `seqtwins.job_kinds`.
    public var summary: String { "Scores one task, protocol and label fraction on a pretrained encoder." }

    /// Bad specs and data, corrupt checkpoints and untrainable encoders fail at once; other errors are retried.
    public func errorClass(of error: any Error) -> JobErrorClass? { ExperimentJob.errorClass(of: error) }

    /// Runs one attempt.
    public func run(_ context: JobContext) throws {
        let payload = try ExperimentJob.decode(EvaluatePayload.self, from: context.job)
        let experiment = try ExperimentJob.experimentID(of: context.job)
        let linear = payload.evaluationProtocol == "linear_probe"
        let (spec, run, embeddings, checkpoint) = try context.withLeaseCheckedRead { db in
            let spec = try ExperimentJob.resolvedSpec(db, experiment: experiment)
            let store = ResultsStore(db)
            let run = try store.run(experiment: experiment, series: payload.series, seed: payload.seed)
            return (spec, run, linear ? try store.embeddings(run: run) : [:],
                    linear ? nil : try ExperimentJob.finalCheckpoint(store, run: run, series: payload.series,
                                                                     seed: payload.seed))
        }
        let request = try DatasetRequest(spec: spec, seed: payload.seed)
        let data = try ExperimentJob.prepared(request, context: context, cache: cache)
        let evaluation = try context.withLeaseCheckedRead { db in
            try EvaluationData(payload: payload, request: request, cache: cache, loader: DatabaseDatasetSource(db))
        }
        context.reportProgress(0.1, "\(payload.evaluationProtocol) on \(evaluation.labelledCount) labelled users")

        let summary: Metrics.Summary
        var details: [String: Double] = [:]
        var validationCount: Int? = evaluation.validationUsers.count
        var predictions: [Int] = []
        if linear {
            let rows = try Self.rows(embeddings, for: data, series: payload.series, seed: payload.seed)
            let settings = payload.linearProbe.map(LinearProbeEvaluation.Settings.init) ?? .init()
            let result = evaluation.linearProbe(embeddings: rows, settings: settings)
            summary = result.summary
            validationCount = result.validationCount
            predictions = result.testPredictions
            details["l2"] = result.selection.l2
        } else {
            guard let checkpoint else {
                throw PermanentJobFailure("run \(payload.series) seed \(payload.seed) has no final checkpoint")
            }
            let config = try checkpoint.config.decode(EncoderConfig.self)
            let task = evaluation.fineTuneTask
            let result = try FineTuner.train(
                data: data, encoder: config, checkpoint: checkpoint.bytes, task: task,
                config: FineTuneConfig(spec: payload.fineTune ?? spec.fineTune, linearProbe: spec.linearProbe),
                seed: payload.evaluationSeed,
                checkCancellation: { try context.checkCancelled() })
            var fineTuned = evaluation.isMultiLabel
                ? Metrics.summarizeMultiLabel(truth: evaluation.testMultiLabels, scores: result.testProbabilities)
                : Metrics.summarize(truth: evaluation.testLabels, probabilities: result.testProbabilities)
            fineTuned.majorityAccuracy = evaluation.majorityAccuracy
            if !evaluation.isMultiLabel { predictions = result.testProbabilities.map(Metrics.argmax) }
            summary = fineTuned
            details["best_epoch"] = Double(result.bestEpoch)
            details["epochs_run"] = Double(result.epochsRun)
            // The spec's value of the chosen rate (training used it as a Float).
            let fineTune = payload.fineTune ?? spec.fineTune
            details["lr"] = (fineTune.lrGrid ?? [fineTune.lr]).first { Float($0) == result.learningRate }
                ?? Double(result.learningRate)
            for (rate, score) in zip(fineTune.lrGrid ?? [], result.learningRateScores) {
                details["lr_score_\(ExperimentPlan.format(rate))"] = score
            }
            if let l2 = result.probeL2 { details["probe_l2"] = l2 }
        }
        if let columns = summary.rocAUCColumns { details["roc_auc_columns"] = Double(columns) }
        let record = EvaluationRecord(
            run: run, task: payload.task, evaluationProtocol: payload.evaluationProtocol, fraction: payload.fraction,
            labelledN: evaluation.labelledCount, validationN: validationCount, testN: summary.testCount,
            accuracy: summary.accuracy, balancedAccuracy: summary.balancedAccuracy, macroF1: summary.macroF1,
            rocAUC: summary.rocAUC, majorityAccuracy: summary.majorityAccuracy,
            details: try PostgresJSON(encoding: details), job: context.job.id)
        let names = evaluation.classNames
        let predictionRows = zip(zip(evaluation.testUsers, evaluation.testLabels), predictions).map { pair, predicted in
            (userID: data.userIDs[Int(pair.0)], label: names[pair.1], predicted: names[predicted])
        }
        try context.withFencedTransaction { db in
            let store = ResultsStore(db)
            try store.writeEvaluation(record)
            try store.replacePredictions(record, rows: predictionRows)
        }
    }

    /// The stored embeddings as one row per user of the prepared dataset.
    /// - Throws: `PermanentJobFailure` when a user has no embedding (the embed job ran on other data).
    public static func rows(_ embeddings: [String: [Float]], for data: PreparedDataset, series: String,
                            seed: Int) throws -> [[Float]] {
        try data.userIDs.map { user in
            guard let row = embeddings[user] else {
                throw PermanentJobFailure("run \(series) seed \(seed) has no embedding for user \(user) "
                                          + "(\(embeddings.count) stored, \(data.userCount) users in the dataset)")
            }
            return row
        }
    }
}
