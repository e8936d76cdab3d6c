import NeuralNet

/// One epoch's figures, as a job handler stores them (`epoch` 1-based, `step` the optimiser steps so far).
public struct EpochMetrics: Sendable, Equatable, Codable {
    /// 1-based epoch just finished.
    public var epoch: Int
    /// Optimiser steps taken so far.
    public var step: Int
    /// Named values: `loss` (mean over the epoch's steps), `lr` (at the last step), `grad_norm` (mean global
    /// norm before clipping), and for Barlow Twins `on_diagonal`, `off_diagonal` (λ-weighted).
    public var values: [String: Double]

    /// Figures of one epoch.
    public init(epoch: Int, step: Int, values: [String: Double]) {
        self.epoch = epoch
        self.step = step
        self.values = values
    }
}

/// A resumable snapshot of a pretraining run taken after `epoch` epochs: the encoded `Checkpoint` holds the
/// encoder, the projector or item tower, AdamW's moments and step count, and a `trainer.state` entry with the
/// epoch, step, method and seed. The random streams are pure functions of (seed, epoch), so this is the whole
/// RNG state: a run resumed from it continues exactly as the uninterrupted run would.
public struct TrainingState: Sendable, Equatable {
    /// Completed epochs.
    public var epoch: Int
    /// Optimiser steps taken.
    public var step: Int
    /// The encoded checkpoint.
    public var bytes: [UInt8]

    /// A state from its parts (as produced by the pretrainer's checkpoint hook).
    public init(epoch: Int, step: Int, bytes: [UInt8]) {
        self.epoch = epoch
        self.step = step
        self.bytes = bytes
    }

    /// Reads epoch and step back from checkpoint bytes written by the pretrainer (e.g. loaded from a database).
    /// - Throws: `EncoderError` when the bytes are corrupt or lack the `trainer.state` entry.
    public init(bytes: [UInt8]) throws(EncoderError) {
        let state = try PretrainStateEntry.read(bytes)
        self.init(epoch: state.epoch, step: state.step, bytes: bytes)
    }
}

/// Hooks a job handler passes to `Pretrainer.train`. Every hook runs on the training thread.
public struct PretrainCallbacks {
    /// Take a checkpoint after every `checkpointEvery` epochs (0: never). None after the last epoch: the result
    /// carries the final encoder.
    public var checkpointEvery: Int
    /// Call `checkCancellation` every this many optimiser steps (and before each epoch).
    public var cancellationInterval: Int
    /// Called after each epoch with its figures.
    public var onEpoch: (EpochMetrics) -> Void
    /// Called with the fraction of the optimiser steps done, in `[0, 1]`, after each epoch and at every
    /// cancellation check within an epoch (handlers throttle their writes).
    public var onProgress: (Double) -> Void
    /// Called with a resumable state every `checkpointEvery` epochs; an error it throws aborts training.
    public var onCheckpoint: (TrainingState) throws -> Void
    /// Throws to stop training (a cancelled job, a lost lease); the error propagates out of `train`.
    public var checkCancellation: () throws -> Void
    /// Call `evaluate` before the first epoch and after every `evaluateEvery` epochs (0: never).
    public var evaluateEvery: Int = 0
    /// Scores the encoder (in evaluation mode, with no randomness of its own, so training is unchanged); its
    /// values join the epoch's figures (before the first epoch: an epoch-0 `onEpoch` call with only them).
    public var evaluate: (any SequenceEncoder) -> [String: Double] = { _ in [:] }

    /// Hooks that do nothing unless given.
    public init(checkpointEvery: Int = 0, cancellationInterval: Int = 10,
                onEpoch: @escaping (EpochMetrics) -> Void = { _ in },
                onProgress: @escaping (Double) -> Void = { _ in },
                onCheckpoint: @escaping (TrainingState) throws -> Void = { _ in },
                checkCancellation: @escaping () throws -> Void = {}) {
        self.checkpointEvery = checkpointEvery
        self.cancellationInterval = cancellationInterval
        self.onEpoch = onEpoch
        self.onProgress = onProgress
        self.onCheckpoint = onCheckpoint
        self.checkCancellation = checkCancellation
    }
}

/// What a pretraining run hands back: the final encoder (parameters only) and its figures.
public struct PretrainResult: Sendable, Equatable {
    /// The encoder's architecture, needed to restore `checkpoint`.
    public var encoder: EncoderConfig
    /// The final encoder parameters as encoded `Checkpoint` bytes (no optimiser state, no head).
    public var checkpoint: [UInt8]
    /// Final figures: the last epoch's values, plus `recall_at_10` for the dual encoder.
    public var metrics: [String: Double]
    /// The epochs run by this call (a resumed run lists only the epochs after the resume point).
    public var history: [EpochMetrics]
    /// Optimiser steps in the whole run.
    public var steps: Int
    /// Steps per epoch: `⌊n / min(batch, n)⌋` for `n` pretraining users (the dual encoder's budget too).
    public var stepsPerEpoch: Int
    /// Examples seen in the whole run: `steps · min(batch, n)` (every step sees a full batch).
    public var examples: Int = 0
    /// Epochs begun in the whole run: `⌈steps / stepsPerEpoch⌉` (the last may be partial under a step budget).
    public var epochs: Int { stepsPerEpoch > 0 ? (steps + stepsPerEpoch - 1) / stepsPerEpoch : 0 }
}
