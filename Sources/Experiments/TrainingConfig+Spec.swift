import Learning
import Sequences

/// The mapping from an experiment spec's sections to the training configurations of `Learning`
/// (PROTOCOL.md sections 3-5). The spec has already been validated, so these only fail on values that
/// cannot reach `Learning` (an unknown encoder kind or a method without an encoder).

extension EncoderConfig {
    /// The encoder of `spec` for a prepared dataset with `itemCount` items (vocabulary `itemCount + 2`) and the
    /// preprocessing window `maxLength`.
    /// - Throws: `ExperimentSpecError` at `encoder.kind` for a kind `Learning` does not build.
    public init(spec: EncoderSpec, itemCount: Int, maxLength: Int) throws(ExperimentSpecError) {
        guard let kind = EncoderKind(rawValue: spec.kind) else {
            throw ExperimentSpecError(
                path: "encoder.kind",
                message: "unknown encoder \"\(spec.kind)\"; allowed: "
                    + EncoderKind.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.init(kind: kind, itemCount: itemCount, dimension: spec.d, blocks: spec.blocks, heads: spec.heads,
                  feedForward: spec.ff, dropout: Float(spec.dropout), attentionDropout: Float(spec.attentionDropout),
                  maxLength: maxLength)
    }
}

extension Augmentations {
    /// The view augmentations of `spec`: the rates of the enabled augmentations, nil for the others.
    public init(spec: AugmentationSpec) {
        let enabled = Set(spec.enabled)
        self.init(cropRate: enabled.contains("crop") ? spec.crop : nil,
                  maskRate: enabled.contains("mask") ? spec.mask : nil,
                  reorderRate: enabled.contains("reorder") ? spec.reorder : nil)
    }
}

extension PretrainConfig {
    /// The pretraining configuration of one method of the spec; fields the method leaves out take the
    /// protocol's defaults (100 epochs, batch 256, lr 1e-3, weight decay 1e-6, warm-up 5%, λ = 1/last projector
    /// width, projector 256-256-256, temperature 0.1, default augmentations).
    /// - Parameters:
    ///   - method: the method (`barlow_twins`, `contrastive`, `dual_encoder` or `none`).
    ///   - encoder: the spec's encoder section.
    ///   - preprocessing: the spec's preprocessing (window `max_length`, `pretrain_users`).
    ///   - itemCount: items of the prepared dataset.
    ///   - path: the JSON path of `method` for errors, e.g. `methods[1]`.
    /// - Throws: `ExperimentSpecError` at `path.name` for `bag_of_items` or an unknown name, or at `encoder.kind`.
    public init(method: MethodSpec, encoder: EncoderSpec, preprocessing: PreprocessingSpec, itemCount: Int,
                path: String = "methods") throws(ExperimentSpecError) {
        guard let kind = method.name.pretrainMethod else {
            throw ExperimentSpecError(
                path: path + ".name",
                message: "method \"\(method.name.rawValue)\" has no encoder to pretrain; allowed: "
                    + PretrainMethod.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let encoderConfig = try EncoderConfig(spec: encoder, itemCount: itemCount, maxLength: preprocessing.maxLength)
        self.init(method: kind, encoder: encoderConfig)
        if let epochs = method.epochs { self.epochs = epochs }
        if let batchSize = method.batchSize { self.batchSize = batchSize }
        if let lr = method.lr { learningRate = Float(lr) }
        if let weightDecay = method.weightDecay { self.weightDecay = Float(weightDecay) }
        if let warmupFraction = method.warmupFraction { self.warmupFraction = warmupFraction }
        if let lambda = method.lambda { self.lambda = Float(lambda) }
        if let projector = method.projector { self.projector = projector }
        if let temperature = method.temperature { self.temperature = Float(temperature) }
        if let clip = method.gradientClip { gradientClip = clip > 0 ? Float(clip) : nil }
        if let name = method.optimizer {
            guard let optimizer = PretrainOptimizer(rawValue: name) else {
                throw ExperimentSpecError(path: path + ".optimizer", message: "optimizer \"\(name)\"; allowed: "
                                            + PretrainOptimizer.allCases.map(\.rawValue).joined(separator: ", "))
            }
            self.optimizer = optimizer
        }
        if let augmentations = method.augmentations { self.augmentations = Augmentations(spec: augmentations) }
        if let budget = method.budget {
            switch budget.unit {
            case .steps: stepBudget = budget.amount
            case .examples: exampleBudget = budget.amount
            case .epochs: self.epochs = budget.amount
            }
        }
        pretrainAllUsers = preprocessing.pretrainUsers == "all"
    }
}

extension FineTuneConfig {
    /// The `fine_tune` protocol settings of the spec (weight decay 1e-6 and clipping at norm 1 are fixed); with
    /// `init: probe` the head's probe uses `linearProbe`'s settings.
    public init(spec: FineTuneSpec, linearProbe: LinearProbeSpec = LinearProbeSpec()) {
        self.init(epochs: spec.epochs, learningRate: Float(spec.lr), patience: spec.patience,
                  batchSize: spec.batchSize, learningRateGrid: (spec.lrGrid ?? []).map { Float($0) },
                  probeInitialization: spec.initialization == "probe"
                      ? LinearProbeEvaluation.Settings(linearProbe) : nil,
                  optimizer: PretrainOptimizer(rawValue: spec.optimizer) ?? .adamW)
    }
}
