import NeuralNet
import Randomness
import Sequences
import Tensors

/// Pretrains an encoder with one of the methods of PROTOCOL.md section 4. Pure: no I/O; a job handler stores
/// metrics and checkpoints through the callbacks.
///
/// Schedule: `n` pretraining users (train users, or all with `pretrainAllUsers`), batch `B = min(batch, n)`,
/// `⌊n / B⌋` steps per epoch (the last partial batch is dropped, so BatchNorm and the batch statistics of the
/// losses always see `B` rows); the dual encoder takes the same number of steps of `B` (prefix, next item)
/// examples. The run takes `T` = ``PretrainConfig/totalSteps(stepsPerEpoch:batch:)`` steps (`epochs · ⌊n / B⌋`
/// unless a step or example budget is set) over `⌈T / ⌊n / B⌋⌉` epochs, the last one stopping after the budget's
/// step; every step sees exactly `B` examples, so examples seen are `T · B`. AdamW (or lazy AdamW,
/// `config.optimizer`), linear warm-up then cosine decay to 0 over all steps, global gradient-norm clipping (over
/// touched embedding rows only with lazy AdamW).
///
/// Determinism: parameters start from `(seed, "encoder-init")` and `(seed, "head-init")`; epoch `e` draws its
/// batches (the objective shuffles them) and augmentations from `SplitMix64(seed:stream: "pretrain-data").child(e)` and its
/// dropout from `(seed, "pretrain-dropout").derived(e)`. Results are bit-identical for a fixed seed, build and
/// `Parallel.workerCount`, and a run resumed from the state after epoch `k` ends with the same parameters.
/// The optional evaluation hook (`eval_every`) runs the encoder in evaluation mode between epochs and draws from
/// none of these streams, so it leaves the training unchanged.
public enum Pretrainer {
    /// Trains (or, for `none`, initialises) an encoder on `data`.
    /// - Parameters:
    ///   - data: the prepared dataset; only histories are seen, never futures.
    ///   - config: method, encoder and optimiser settings.
    ///   - seed: the job's seed.
    ///   - resume: a state from `callbacks.onCheckpoint` of a run with the same data, config and seed.
    ///   - callbacks: per-epoch metrics, progress, periodic checkpoints and the cancellation check.
    /// - Returns: the final encoder bytes with its config and the final figures.
    /// - Throws: `EncoderError` for a bad configuration, too few users, a mismatched resume state or a loss that
    ///   is no longer finite; any error the cancellation check or the checkpoint hook throws.
    public static func train(data: PreparedDataset, config: PretrainConfig, seed: UInt64,
                             resume: TrainingState? = nil,
                             callbacks: PretrainCallbacks = PretrainCallbacks()) throws -> PretrainResult {
        try config.validate()
        guard config.encoder.maxLength >= data.config.maxLength else {
            throw EncoderError("encoder.max_length: \(config.encoder.maxLength) is shorter than the dataset's "
                               + "max_length \(data.config.maxLength)")
        }
        guard config.encoder.vocabulary >= data.itemCount + 2 else {
            throw EncoderError("encoder.vocabulary: \(config.encoder.vocabulary), expected at least item count + 2 = "
                               + "\(data.itemCount + 2)")
        }
        let encoder = try EncoderFactory.make(config.encoder, seed: seed)
        let users: [Int32] = config.pretrainAllUsers ? (0..<data.userCount).map { Int32($0) } : data.trainUsers
        guard users.count >= 2 else {
            throw EncoderError("pretraining needs at least 2 users, found \(users.count)")
        }
        let batch = min(config.batchSize, users.count)
        let stepsPerEpoch = users.count / batch
        if config.method == .none {
            callbacks.onProgress(1)
            return PretrainResult(encoder: config.encoder, checkpoint: EncoderFactory.checkpointBytes(of: encoder),
                                  metrics: [:], history: [], steps: 0, stepsPerEpoch: stepsPerEpoch)
        }

        var headGenerator = Xoshiro256StarStar(seed: seed).derived("head-init")
        let objective = try makePretrainObjective(config: config, encoder: encoder, data: data, users: users,
                                                  batch: batch, generator: &headGenerator)
        let parameters = objective.parameters
        let lazy = config.optimizer == .lazyAdamW
        let optimizer = Adam.adamW(parameters: parameters, learningRate: config.learningRate,
                                   weightDecay: config.weightDecay, lazy: lazy)
        let totalSteps = config.totalSteps(stepsPerEpoch: stepsPerEpoch, batch: batch)
        let epochCount = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch
        let schedule = WarmupCosineSchedule(
            peak: config.learningRate, warmupSteps: Int((config.warmupFraction * Double(totalSteps)).rounded()),
            totalSteps: totalSteps)

        var firstEpoch = 0
        if let resume {
            let state = try PretrainStateEntry.read(resume.bytes)
            guard state.method == config.method, state.seed == seed else {
                throw EncoderError("resume: the state is from method '\(state.method.rawValue)' seed \(state.seed), "
                                   + "this run is '\(config.method.rawValue)' seed \(seed)")
            }
            guard state.epoch <= epochCount, state.step == state.epoch * stepsPerEpoch, state.step <= totalSteps else {
                throw EncoderError("resume: the state is at epoch \(state.epoch) step \(state.step), which does not "
                                   + "fit \(totalSteps) steps in epochs of \(stepsPerEpoch) steps")
            }
            do {
                try state.checkpoint.restore(into: parameters, optimizer: optimizer)
            } catch {
                throw EncoderError("resume: \(error.description)")
            }
            firstEpoch = state.epoch
        }

        var history: [EpochMetrics] = []
        var step = firstEpoch * stepsPerEpoch
        let root = SplitMix64(seed: seed, stream: "pretrain-data")
        let dropoutRoot = Xoshiro256StarStar(seed: seed).derived("pretrain-dropout")
        let evaluateEvery = max(callbacks.evaluateEvery, 0)
        if evaluateEvery > 0 && firstEpoch == 0 {
            callbacks.onEpoch(EpochMetrics(epoch: 0, step: 0, values: callbacks.evaluate(encoder)))
        }
        for epoch in firstEpoch..<epochCount {
            try callbacks.checkCancellation()
            var dataGenerator = root.child(UInt64(epoch))
            var dropoutGenerator = dropoutRoot.derived(UInt64(epoch))
            var sums: [String: Double] = [:]
            var gradientNorms = 0.0
            objective.beginEpoch(using: &dataGenerator)
            let stepsThisEpoch = min(stepsPerEpoch, totalSteps - epoch * stepsPerEpoch)
            for index in 0..<stepsThisEpoch {
                if step % max(callbacks.cancellationInterval, 1) == 0 && index > 0 {
                    try callbacks.checkCancellation()
                    callbacks.onProgress(Double(step) / Double(totalSteps))
                }
                optimizer.learningRate = schedule(step)
                Parameter.zeroGrads(parameters)
                let values = objective.step(index, data: data, augmentationGenerator: &dataGenerator,
                                            dropoutGenerator: &dropoutGenerator)
                guard let loss = values["loss"], loss.isFinite else {
                    throw EncoderError("\(config.method.rawValue): the loss is \(values["loss"] ?? .nan) at epoch "
                                       + "\(epoch + 1), step \(step + 1); training diverged (try a lower lr)")
                }
                for (key, value) in values { sums[key, default: 0] += value }
                let norm = clipGradientNorm(parameters, maxNorm: config.gradientClip ?? .infinity, sparseRows: lazy)
                gradientNorms += Double(norm)
                optimizer.step()
                step += 1
            }
            var values = sums.mapValues { $0 / Double(stepsThisEpoch) }
            values["grad_norm"] = gradientNorms / Double(stepsThisEpoch)
            values["lr"] = Double(schedule(step - 1))
            if evaluateEvery > 0 && (epoch + 1) % evaluateEvery == 0 {
                values.merge(callbacks.evaluate(encoder)) { _, probe in probe }
            }
            let metrics = EpochMetrics(epoch: epoch + 1, step: step, values: values)
            history.append(metrics)
            callbacks.onEpoch(metrics)
            callbacks.onProgress(Double(epoch + 1) / Double(epochCount))
            if callbacks.checkpointEvery > 0 && (epoch + 1) % callbacks.checkpointEvery == 0
                && epoch + 1 < epochCount
            {
                var checkpoint = Checkpoint(parameters: parameters, optimizer: optimizer)
                checkpoint.entries.append(PretrainStateEntry.entry(epoch: epoch + 1, step: step,
                                                                   method: config.method, seed: seed))
                try callbacks.onCheckpoint(TrainingState(epoch: epoch + 1, step: step, bytes: checkpoint.encoded()))
            }
        }

        var metrics = history.last?.values ?? [:]
        metrics.merge(objective.finalMetrics(data: data)) { _, final in final }
        return PretrainResult(encoder: config.encoder, checkpoint: EncoderFactory.checkpointBytes(of: encoder),
                              metrics: metrics, history: history, steps: step, stepsPerEpoch: stepsPerEpoch,
                              examples: step * batch)
    }
}
