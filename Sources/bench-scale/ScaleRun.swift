import ArgumentParser
import Experiments
import Foundation
import Learning
import Postgres
import Sequences

/// Thrown by the cancellation hook to stop pretraining once the timed steps are done.
struct StopAfterTimedSteps: Error {}

/// The instants the pretraining hooks record: the first check (setup done) and the one after the timed steps.
final class StepClock: @unchecked Sendable {
    var setupDone: ContinuousClock.Instant?
    var stepsDone: ContinuousClock.Instant?
    /// This process's CPU seconds at the same two points.
    var setupCPU = 0.0
    var stepsCPU = 0.0
}

/// Seconds between two instants.
func seconds(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant = .now) -> Double {
    let elapsed = to - from
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// Prints progress on stderr (stdout of the child is not used).
func say(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Every stage of one experiment at one size, in this process, through the functions the job handlers call.
struct ScaleRun {
    let size: ScaleSize
    let options: BenchScale
    private var rows: [StageRow] = []

    init(size: ScaleSize, options: BenchScale) {
        self.size = size
        self.options = options
    }

    /// Times `body`, which returns its value and the rows it handled, and records a row.
    /// With `server`, the CPU time of that process (the PostgreSQL backend) over the stage is added.
    private mutating func stage<T>(_ name: String, unit: String = "", note: String = "", server: Int32? = nil,
                                   _ body: () throws -> (T, Int?)) rethrows -> T {
        let before = Memory.now().peakMiB
        let serverBefore = server.flatMap { CPUTime.of(pid: $0) }
        let cpuBefore = CPUTime.ofSelf()
        let start = ContinuousClock.now
        let (value, count) = try body()
        let wall = seconds(start)
        var cpu = CPUTime.ofSelf() - cpuBefore
        var note = note
        if let server, let serverBefore, let serverAfter = CPUTime.of(pid: server) {
            cpu += serverAfter - serverBefore
            note += String(format: "%@CPU: client %.2f s + PostgreSQL backend %.2f s", note.isEmpty ? "" : "; ",
                           cpu - (serverAfter - serverBefore), serverAfter - serverBefore)
        }
        let row = StageRow(size: size.rawValue, stage: name, seconds: wall, cpu: cpu, rows: count, unit: unit,
                           after: Memory.now(), peakBefore: before, note: note)
        say(row.line)
        rows.append(row)
        return value
    }

    /// Runs the stages and returns their rows.
    mutating func run() throws -> [StageRow] {
        var spec = try ExperimentSpec(json: try Data(contentsOf: URL(fileURLWithPath: options.spec)))
        spec.dataset = DatasetSpec(kind: "synthetic", synthetic: size.synthetic)
        let plan = try ExperimentPlan(spec: spec)
        let seed = spec.seeds[0]
        say("bench-scale \(size.rawValue): \(options.spec) with a synthetic dataset; \(plan.summary.description)")
        let request = try DatasetRequest(spec: spec, seed: seed)

        // Generate and prepare, as DatasetCache does for a job (the source stays cached beside the preparation).
        let source = try stage("generate", unit: "interactions") {
            let dataset = try LocalDatasetSource().loadSource(request)
            return (dataset, dataset.interactionCount)
        }
        let data = try stage("prepare (split, vocabulary)", unit: "interactions") {
            let prepared = try request.prepare(source)
            return (prepared, prepared.interactionCount)
        }
        say("bench-scale \(size.rawValue): \(data.userCount) users (\(data.trainUsers.count) train), "
            + "\(data.itemCount) items, \(data.interactionCount) interactions")
        let tasks = try spec.tasks.map { name -> TaskKind in
            guard let task = TaskKind(rawValue: name) else { throw ValidationError("unknown task \(name)") }
            return task
        }
        let labels = try stage("labels (\(tasks.count) tasks)", unit: "users") {
            (try Dictionary(uniqueKeysWithValues: tasks.map { ($0, try data.labels(for: $0)) }), data.userCount)
        }

        // One epoch of each pretraining method, from the spec's pretrain payloads of the first seed.
        let payloads = plan.jobs.compactMap { job -> PretrainPayload? in
            if case .pretrain(let payload) = job.payload, payload.seed == seed { return payload }
            return nil
        }
        let wanted = options.methods.map { Set($0.split(separator: ",").map(String.init)) }
        var randomEncoder: PretrainResult?
        for payload in payloads where payload.method.name.hasEncoder {
            let config = try PretrainConfig(method: payload.method, encoder: payload.encoder,
                                            preprocessing: payload.preprocessing, itemCount: data.itemCount)
            if config.method == .none {
                randomEncoder = try stage("pretrain none (initialise)") {
                    (try Pretrainer.train(data: data, config: config, seed: payload.trainingSeed), nil)
                }
            } else if wanted?.contains(payload.method.name.rawValue) ?? true {
                try timePretrainEpoch(payload: payload, config: config, data: data)
            }
        }
        guard let randomEncoder else { throw ValidationError("the spec has no `none` method to embed with") }

        // Embeddings of every user, as the embed job computes them (any encoder costs the same as this one).
        let users = (0..<data.userCount).map { Int32($0) }
        let vectors = try stage("embed every user (encoder)", unit: "users") {
            let embedder = try UserEmbedder(config: randomEncoder.encoder, checkpoint: randomEncoder.checkpoint)
            return (embedder.embed(data: data, users: users), users.count)
        }
        if let bag = spec.methods.first(where: { $0.name == .bagOfItems }) {
            _ = stage("embed every user (bag_of_items)", unit: "users") {
                (BagOfItems(buckets: bag.hashBuckets ?? 256).features(data, users: users).count, users.count)
            }
        }
        let stored = try writeAndReadEmbeddings(data: data, vectors: vectors)

        // The linear probe at full labels on each task, as the evaluate job fits it.
        let probeTasks = try options.probeTasks.map { list in
            try list.split(separator: ",").map { name -> TaskKind in
                guard let task = TaskKind(rawValue: String(name)) else { throw ValidationError("unknown task \(name)") }
                return task
            }
        } ?? tasks
        for task in probeTasks {
            let taskLabels = try labels[task] ?? data.labels(for: task)
            let evaluation = try EvaluationData(dataset: data, labels: taskLabels, fraction: 1, seed: UInt64(seed))
            let result = stage("linear probe \(task.rawValue) (100% labels)", unit: "train users",
                               note: "random encoder's embeddings") {
                let result = evaluation.linearProbe(embeddings: stored,
                                                    settings: LinearProbeEvaluation.Settings(spec.linearProbe))
                return (result, evaluation.labelledCount)
            }
            say("  \(task.rawValue): \(evaluation.labelledCount) train users, accuracy "
                + String(format: "%.3f, ROC-AUC %.3f", result.summary.accuracy ?? .nan, result.summary.rocAUC ?? .nan)
                + ", l2 \(result.selection.l2)")
        }

        if !options.noFineTune { try fineTuneEpoch(spec: spec, seed: seed, data: data, labels: labels,
                                                    encoder: randomEncoder) }
        return rows
    }

    /// Times `--pretrain-batches` optimiser steps of one method through `Pretrainer.train` (stopped by its
    /// cancellation hook) and extrapolates one epoch: setup + steps per epoch × seconds per step.
    private mutating func timePretrainEpoch(payload: PretrainPayload, config: PretrainConfig,
                                            data: PreparedDataset) throws {
        let pretrainUsers = config.pretrainAllUsers ? data.userCount : data.trainUsers.count
        let stepsPerEpoch = pretrainUsers / min(config.batchSize, pretrainUsers)
        let timed = min(options.pretrainBatches, stepsPerEpoch)
        let clock = StepClock()
        let callbacks = PretrainCallbacks(
            cancellationInterval: timed,
            checkCancellation: {
                if clock.setupDone == nil {
                    clock.setupDone = .now
                    clock.setupCPU = CPUTime.ofSelf()
                } else {
                    clock.stepsDone = .now
                    clock.stepsCPU = CPUTime.ofSelf()
                    throw StopAfterTimedSteps()
                }
            })
        let before = Memory.now().peakMiB
        let cpuStart = CPUTime.ofSelf()
        let start = ContinuousClock.now
        do {
            _ = try Pretrainer.train(data: data, config: config, seed: payload.trainingSeed, callbacks: callbacks)
        } catch is StopAfterTimedSteps {}
        guard let setupDone = clock.setupDone, let stepsDone = clock.stepsDone else {
            throw ValidationError("\(config.method.rawValue): the timed steps did not finish")
        }
        let setup = seconds(start, setupDone)
        let perStep = seconds(setupDone, stepsDone) / Double(timed)
        let epoch = setup + perStep * Double(stepsPerEpoch)
        let cpuPerStep = (clock.stepsCPU - clock.setupCPU) / Double(timed)
        let epochCPU = (clock.setupCPU - cpuStart) + cpuPerStep * Double(stepsPerEpoch)
        let extrapolated = timed < stepsPerEpoch
        let row = StageRow(
            size: size.rawValue, stage: "pretrain \(config.method.rawValue) (1 epoch)", seconds: epoch,
            cpu: epochCPU, rows: stepsPerEpoch, unit: "steps", after: Memory.now(), peakBefore: before,
            note: (extrapolated ? "extrapolated from \(timed) of \(stepsPerEpoch) steps: " : "measured: ")
                + String(format: "setup %.2f s + %d × %.3f s/step (%.3f CPU s/step); batch %d", setup,
                         stepsPerEpoch, perStep, cpuPerStep, config.batchSize))
        say(row.line)
        rows.append(row)
    }

    /// Writes the embeddings with COPY as the embed job does (one transaction replacing the run's rows), then
    /// reads them back as a linear-probe evaluate job does. Uses a throwaway experiment, deleted at the end.
    private mutating func writeAndReadEmbeddings(data: PreparedDataset, vectors: [[Float]]) throws -> [[Float]] {
        let db = try PostgresConnection(url: ProcessInfo.processInfo.environment["DATABASE_URL"])
        try Migrator(directory: try Migrator.locateDirectory()).migrate(db)
        let store = ResultsStore(db)
        let experiment = try store.enqueueExperiment(
            specJSON: #"{"name": "bench-scale-\#(size.rawValue)", "dataset": {"kind": "synthetic"}}"#)
        defer { _ = try? db.execute("DELETE FROM seqtwins.experiments WHERE id = \(experiment)") }
        let run = try store.ensureRun(experiment: experiment, series: "none", method: "none", seed: 0,
                                      sweepParameter: nil, sweepValue: nil, params: PostgresJSON(text: "{}"),
                                      pretrainJob: nil)
        let backend = try db.queryOne("SELECT pg_backend_pid() AS pid")?.decode("pid", as: Int32.self)
        try stage("write embeddings (COPY, one transaction)", unit: "rows", server: backend) {
            let rows = (0..<data.userCount).map { user in
                (userID: data.userIDs[user], split: data.splits[user].name, vector: vectors[user])
            }
            try db.transaction { db in try ResultsStore(db).replaceEmbeddings(run: run, rows: rows) }
            return ((), rows.count)
        }
        return try stage("read embeddings back (evaluate job)", unit: "rows", server: backend) {
            let stored = try store.embeddings(run: run)
            return (try EvaluateHandler.rows(stored, for: data, series: "none", seed: 0), stored.count)
        }
    }

    /// One fine-tune epoch at full labels of `options.fineTuneTask`, as the evaluate job runs it (validation and
    /// test predictions included).
    private mutating func fineTuneEpoch(spec: ExperimentSpec, seed: Int, data: PreparedDataset,
                                        labels: [TaskKind: TaskLabels], encoder: PretrainResult) throws {
        guard let task = TaskKind(rawValue: options.fineTuneTask) else {
            throw ValidationError("unknown task \(options.fineTuneTask)")
        }
        let evaluation = try EvaluationData(dataset: data, labels: labels[task] ?? data.labels(for: task),
                                            fraction: 1, seed: UInt64(seed))
        var config = FineTuneConfig(spec: spec.fineTune)
        config.epochs = 1
        let fineTuneTask = evaluation.fineTuneTask
        try stage("fine-tune \(task.rawValue) (1 epoch, 100% labels)", unit: "train users",
                  note: "batch \(config.batchSize); with validation and test predictions") {
            _ = try FineTuner.train(data: data, encoder: encoder.encoder, checkpoint: encoder.checkpoint,
                                    task: fineTuneTask, config: config, seed: 1)
            return ((), evaluation.labelledCount)
        }
    }
}
