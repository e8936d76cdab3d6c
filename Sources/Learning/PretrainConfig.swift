import Sequences

/// The pretraining methods that produce an encoder (PROTOCOL.md section 4). `bag_of_items` has no encoder and
/// lives elsewhere.
public enum PretrainMethod: String, Sendable, Equatable, Codable, CaseIterable {
    /// Barlow Twins over two augmented views.
    case barlowTwins = "barlow_twins"
    /// CL4SRec-style InfoNCE over two augmented views.
    case contrastive
    /// Next-item dual encoder with in-batch softmax.
    case dualEncoder = "dual_encoder"
    /// A randomly initialised encoder, no training.
    case none
}

/// The optimiser of a pretraining run.
public enum PretrainOptimizer: String, Sendable, Equatable, Codable, CaseIterable {
    /// AdamW over every parameter (PROTOCOL.md section 4).
    case adamW = "adamw"
    /// Lazy AdamW: embedding tables are updated, and clipped, only in the rows a step touched (`Adam(lazy: true)`
    /// documents how that differs from AdamW); every other parameter as with `adamw`.
    case lazyAdamW = "lazy_adamw"
}

/// Hyper-parameters of one pretraining run; defaults are PROTOCOL.md section 4's.
public struct PretrainConfig: Sendable, Equatable, Codable {
    /// The method.
    public var method: PretrainMethod
    /// The encoder architecture.
    public var encoder: EncoderConfig
    /// Epochs: passes over the pretraining users (the dual encoder takes the same number of steps).
    public var epochs: Int = 100
    /// Users (or, for the dual encoder, examples) per step.
    public var batchSize: Int = 256
    /// Peak learning rate of AdamW.
    public var learningRate: Float = 1e-3
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float = 1e-6
    /// Share of the steps in linear warm-up before the cosine decay.
    public var warmupFraction: Double = 0.05
    /// Global gradient-norm clip, or nil for none.
    public var gradientClip: Float? = 1.0
    /// Barlow Twins' off-diagonal weight λ; nil means 1 / (last projector width).
    public var lambda: Float? = nil
    /// Barlow Twins' projector widths (d → 256 → 256 → 256 by default).
    public var projector: [Int] = [256, 256, 256]
    /// Softmax temperature of `contrastive` and `dual_encoder`.
    public var temperature: Float = 0.1
    /// The view augmentations of `barlow_twins` and `contrastive`.
    public var augmentations = Augmentations()
    /// Pretrain on every user's history (`pretrain_users: all`) instead of the train users' only.
    public var pretrainAllUsers = false
    /// The optimiser (AdamW unless a spec asks for lazy AdamW).
    public var optimizer: PretrainOptimizer = .adamW
    /// A budget in optimiser steps instead of ``epochs``: training stops after exactly this many steps (the last
    /// epoch may end part-way); nil for `epochs` full epochs.
    public var stepBudget: Int? = nil
    /// A budget in examples seen instead of ``epochs``: `⌈examples / B⌉` steps of `B = min(batch, n)` rows (so
    /// at least this many examples); nil for none. ``stepBudget`` wins when both are set.
    public var exampleBudget: Int? = nil

    /// The optimiser steps a run takes: the step budget, else `⌈examples / batch⌉`, else
    /// `epochs · stepsPerEpoch`. The cosine schedule spans exactly these steps.
    public func totalSteps(stepsPerEpoch: Int, batch: Int) -> Int {
        if let stepBudget { return stepBudget }
        if let exampleBudget { return (exampleBudget + batch - 1) / batch }
        return epochs * stepsPerEpoch
    }

    /// A configuration with the protocol defaults for `method` and `encoder`.
    public init(method: PretrainMethod, encoder: EncoderConfig, epochs: Int = 100, batchSize: Int = 256,
                learningRate: Float = 1e-3, weightDecay: Float = 1e-6, warmupFraction: Double = 0.05,
                gradientClip: Float? = 1.0, lambda: Float? = nil, projector: [Int] = [256, 256, 256],
                temperature: Float = 0.1, augmentations: Augmentations = Augmentations(),
                pretrainAllUsers: Bool = false) {
        self.method = method
        self.encoder = encoder
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.warmupFraction = warmupFraction
        self.gradientClip = gradientClip
        self.lambda = lambda
        self.projector = projector
        self.temperature = temperature
        self.augmentations = augmentations
        self.pretrainAllUsers = pretrainAllUsers
    }

    /// λ in use: the configured one or 1 / (last projector width).
    public var effectiveLambda: Float { lambda ?? 1 / Float(projector.last ?? 256) }

    /// Checks every field.
    /// - Throws: `EncoderError` naming the first bad field and what was expected.
    public func validate() throws(EncoderError) {
        try EncoderFactory.validate(encoder)
        guard method == .none || epochs >= 1 else { throw EncoderError("epochs: \(epochs), expected ≥ 1") }
        if let stepBudget, stepBudget < 1 { throw EncoderError("budget.steps: \(stepBudget), expected ≥ 1") }
        if let exampleBudget, exampleBudget < 1 {
            throw EncoderError("budget.examples: \(exampleBudget), expected ≥ 1")
        }
        guard batchSize >= 2 else { throw EncoderError("batch_size: \(batchSize), expected ≥ 2") }
        guard learningRate > 0 else { throw EncoderError("lr: \(learningRate), expected > 0") }
        guard weightDecay >= 0 else { throw EncoderError("weight_decay: \(weightDecay), expected ≥ 0") }
        guard (0..<1).contains(warmupFraction) else {
            throw EncoderError("warmup_fraction: \(warmupFraction), expected a value in [0, 1)")
        }
        if let gradientClip, !(gradientClip > 0) {
            throw EncoderError("gradient_clip: \(gradientClip), expected > 0")
        }
        guard !projector.isEmpty, projector.allSatisfy({ $0 >= 1 }) else {
            throw EncoderError("projector: \(projector), expected 1 or more positive widths")
        }
        guard temperature > 0 else { throw EncoderError("temperature: \(temperature), expected > 0") }
        if let lambda, !(lambda > 0) { throw EncoderError("lambda: \(lambda), expected > 0") }
    }
}
