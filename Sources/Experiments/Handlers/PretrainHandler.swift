import Foundation
import JobQueue
import Learning
import Logging
import CoreMetrics
import Postgres
import Sequences

/// `pretrain`: trains one method's encoder for one seed, streaming per-epoch metrics and a resumable checkpoint
/// after every epoch; a rescued job resumes from its latest checkpoint. The final encoder and the last figures are
/// written together with the job's success. `none` stores its seeded random encoder; `bag_of_items` has nothing
/// to train (its embed job computes the features).
///
/// Payload: ``PretrainPayload``.
public struct PretrainHandler: JobHandler {
    /// The prepared datasets this handler shares with the process's other handlers.
    let cache: DatasetCache

    /// Creates the handler, reading prepared datasets through `cache`.
    public init(cache: DatasetCache = .shared) {
        self.cache = cache
    }

    /// The kind this handler runs.
    public var kind: String { JobKind.pretrain.rawValue }
    /// One line for `seqtwins.job_kinds`.
    public var summary: String { "Trains one method's encoder for one seed; writes metrics and checkpoints." }

    /// Bad specs and data, corrupt checkpoints and untrainable encoders fail at once; other errors are retried.
    public func errorClass(of error: any Error) -> JobErrorClass? { ExperimentJob.errorClass(of: error) }

    /// Runs one attempt.
    public func run(_ context: JobContext) throws {
        let payload = try ExperimentJob.decode(PretrainPayload.self, from: context.job)
        let experiment = try ExperimentJob.experimentID(of: context.job)
        let (run, latest, spec) = try context.withLeaseCheckedRead { db in
            let store = ResultsStore(db)
            let run = try store.run(experiment: experiment, series: payload.series, seed: payload.seed)
            // The probe curve (eval_every) needs the spec's first task and the probe's default L2.
            let spec = payload.method.evalEvery == nil
                ? nil : try ExperimentJob.resolvedSpec(db, experiment: experiment)
            do {
                return (run, try store.checkpoint(run: run, kind: .latest), spec)
            } catch let error as ResultsStoreError {
                // A damaged resumable checkpoint is only a lost shortcut: train from the start and overwrite it.
                context.logger.warning("cannot resume: \(error); starting over")
                return (run, nil, spec)
            }
        }
        guard payload.method.hasEncoder else {
            context.reportProgress(1, "nothing to train")
            return
        }
        let data = try ExperimentJob.prepared(try DatasetRequest(payload: payload), context: context, cache: cache)
        // Checked again here, with this worker's limit, before the model is allocated.
        let estimate = ResourceEstimate(method: payload.method, encoder: payload.encoder,
                                        maxLength: payload.preprocessing.maxLength, itemCount: data.itemCount,
                                        interactions: data.items.count)
        guard estimate.totalBytes <= ResourceEstimate.limitBytes else {
            throw PermanentJobFailure(
                "\(payload.series) needs about \(ResourceEstimate.gigabytes(estimate.totalBytes)) "
                    + "(\(estimate.parameters) parameters), more than the \(ResourceEstimate.gigabytes(ResourceEstimate.limitBytes)) "
                    + "this worker allows a job (--max-job-memory-gb)")
        }
        let config = try PretrainConfig(method: payload.method, encoder: payload.encoder,
                                        preprocessing: payload.preprocessing, itemCount: data.itemCount)
        var resume: TrainingState?
        if let latest {
            do {
                resume = try TrainingState(bytes: latest.bytes)
            } catch {
                // A checkpoint this build cannot resume from (another version, another method) is set aside.
                context.logger.warning("cannot resume from the latest checkpoint (\(error)); starting over")
            }
        }
        if let resume {
            context.logger.info("resuming \(payload.series) seed \(payload.seed) after epoch \(resume.epoch)")
        }

        let pending = PendingMetrics()
        let epochs = config.epochs
        let steps = Counter(label: "seqtwins_training_steps_total", dimensions: [("method", payload.method.name.rawValue)])
        let stepsDone = StepTally(resume?.step ?? 0)
        var callbacks = PretrainCallbacks(
            checkpointEvery: 1,
            cancellationInterval: 5,
            onEpoch: { metrics in
                pending.append(metrics)
                steps.increment(by: stepsDone.advance(to: metrics.step))
                let loss = metrics.values["loss"].map { String(format: "%.4f", $0) } ?? "-"
                if config.stepBudget == nil && config.exampleBudget == nil {
                    context.reportProgress(Double(metrics.epoch) / Double(max(epochs, 1)),
                                           metrics.epoch == 0 ? "probed the initial encoder (eval_every)"
                                               : "epoch \(metrics.epoch)/\(epochs) loss \(loss)")
                }
            },
            onProgress: { fraction in context.reportProgress(fraction) },
            onCheckpoint: { state in
                let rows = pending.take()
                try context.withFencedWrite { db in
                    let store = ResultsStore(db)
                    for row in rows { try store.writeMetrics(run: run, step: row.step, epoch: row.epoch, values: row.values) }
                    try store.writeCheckpoint(run: run, kind: .latest, epoch: state.epoch, step: state.step,
                                              bytes: state.bytes)
                }
            },
            checkCancellation: { try context.checkCancelled() })
        if let every = payload.method.evalEvery, let spec, let taskName = spec.tasks.first {
            guard let task = TaskKind(rawValue: taskName) else {
                throw ExperimentSpecError(path: "tasks[0]", message: "unknown task \"\(taskName)\"")
            }
            if let probe = try TrainingProbe(data: data, task: task, seed: UInt64(payload.seed),
                                             l2: spec.linearProbe.defaultL2) {
                callbacks.evaluateEvery = every
                callbacks.evaluate = { encoder in probe.score(encoder, data: data) }
            } else {
                context.logger.warning("eval_every: no labelled train or validation users for \(taskName); no curve")
            }
        }
        let started = ContinuousClock.now
        let result = try Pretrainer.train(data: data, config: config, seed: payload.trainingSeed, resume: resume,
                                          callbacks: callbacks)
        let elapsed = started.duration(to: .now)
        let encoderConfig = try PostgresJSON(encoding: result.encoder)
        try context.withFencedTransaction { db in
            let store = ResultsStore(db)
            for row in pending.take() {
                try store.writeMetrics(run: run, step: row.step, epoch: row.epoch, values: row.values)
            }
            // The last epoch's figures are already recorded; add only the end-of-training ones (Recall@10).
            let lastEpoch = result.history.last?.values ?? [:]
            var extra = result.metrics.filter { lastEpoch[$0.key] != $0.value }
            // What the run actually did, for the report's budget table (seconds: this attempt's training).
            extra["budget_steps"] = Double(result.steps)
            extra["budget_examples"] = Double(result.examples)
            extra["budget_seconds"] = Double(elapsed.components.seconds)
                + Double(elapsed.components.attoseconds) / 1e18
            try store.writeMetrics(run: run, step: result.steps, epoch: result.epochs, values: extra)
            try store.writeCheckpoint(run: run, kind: .final, epoch: result.epochs,
                                      step: result.steps, bytes: result.checkpoint, config: encoderConfig)
            try store.deleteCheckpoint(run: run, kind: .latest)
        }
    }
}

/// The optimiser steps counted so far, for the steps counter (the epoch callback reports the running total).
final class StepTally: @unchecked Sendable {
    private let lock = NSLock()
    private var done: Int

    init(_ done: Int) { self.done = done }

    /// Moves to `total` and returns the steps since the last call.
    func advance(to total: Int) -> Int {
        lock.withLock {
            defer { done = max(done, total) }
            return max(total - done, 0)
        }
    }
}

/// Epoch metrics waiting to be written with the next checkpoint (the training callbacks cannot throw).
final class PendingMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var rows: [EpochMetrics] = []

    func append(_ metrics: EpochMetrics) { lock.withLock { rows.append(metrics) } }

    func take() -> [EpochMetrics] {
        lock.withLock {
            defer { rows.removeAll() }
            return rows
        }
    }
}
