/// The kinds of job an experiment runs: the `plan` job that `enqueue` creates, and the kinds its plan expands into.
/// Each case is the `kind` of one handler in ``ExperimentHandlers``; workers register them, with their handlers'
/// summaries, in `seqtwins.job_kinds` when they start.
public enum JobKind: String, Sendable, Codable, CaseIterable, Comparable {
    /// Validates an experiment's spec and expands it into the jobs below.
    case plan
    /// Trains (or, for `none` and `bag_of_items`, trivially creates) one method's encoder for one seed.
    case pretrain
    /// Writes every user's embedding with a pretrained encoder.
    case embed
    /// Scores one task, protocol and label fraction on a pretrained encoder.
    case evaluate

    /// Orders kinds as they run: plan, pretrain, embed, evaluate.
    public static func < (lhs: JobKind, rhs: JobKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One value of a sweep, as it appears in job keys and series names: `batch_size=64`.
public struct SweepPoint: Sendable, Equatable, Hashable, Codable {
    /// The swept parameter.
    public var parameter: String
    /// Its value (0 for a list-valued parameter).
    public var value: Double
    /// For a list-valued parameter (`projector`, `augmentations.enabled`): the list joined by `+` (`128+64`,
    /// `crop+mask`); `nil` for a number.
    public var list: String?

    /// A sweep value of `parameter`.
    public init(parameter: String, value: Double) {
        self.parameter = parameter
        self.value = value
    }

    /// A list value of `parameter`, its items joined by `+`.
    public init(parameter: String, list: String) {
        self.parameter = parameter
        self.value = 0
        self.list = list
    }

    /// `parameter=value`, with integral values written without a fraction (`batch_size=64`, `lr=0.001`), lists
    /// joined by `+` (`projector=128+64`).
    public var label: String { "\(parameter)=\(list ?? ExperimentPlan.format(value))" }

    /// The series name of `label` at `points`: `label` outside a sweep, else `label[p=v,q=w]`
    /// (`barlow_twins[batch_size=32,lambda=0.005]`).
    public static func series(_ label: String, _ points: [SweepPoint]) -> String {
        points.isEmpty ? label : "\(label)[\(points.map(\.label).joined(separator: ","))]"
    }
}

/// The payload of a `pretrain` job: everything needed to train one method for one seed.
public struct PretrainPayload: Sendable, Equatable, Codable {
    /// The experiment's name.
    public var experiment: String
    /// The series the results appear under: the method label, plus `[parameter=value]` in a sweep.
    public var series: String
    /// The method with any sweep value applied.
    public var method: MethodSpec
    /// The sweep value of a one-parameter sweep point, if any.
    public var sweep: SweepPoint?
    /// The point of a cartesian sweep over several parameters (`nil` otherwise, so that one-parameter payloads
    /// stay as they were).
    public var grid: [SweepPoint]?
    /// The experiment seed: it fixes the user split (the same for every method).
    public var seed: Int
    /// The job's own seed for initialisation, augmentation and batching, derived from its key and `seed`.
    public var trainingSeed: UInt64
    /// The dataset.
    public var dataset: DatasetSpec
    /// The preprocessing.
    public var preprocessing: PreprocessingSpec
    /// The encoder.
    public var encoder: EncoderSpec

    enum CodingKeys: String, CodingKey {
        case experiment, series, method, sweep, grid, seed
        case trainingSeed = "training_seed"
        case dataset, preprocessing, encoder
    }

    /// The job's sweep point: every swept parameter with its value (`[]` outside a sweep).
    public var points: [SweepPoint] { grid ?? sweep.map { [$0] } ?? [] }
}

/// The payload of an `embed` job: embed every user with the checkpoint of `pretrainKey`.
public struct EmbedPayload: Sendable, Equatable, Codable {
    /// The experiment's name.
    public var experiment: String
    /// The series (method label, plus the sweep value).
    public var series: String
    /// The method (`barlow_twins`, …).
    public var method: MethodKind
    /// The experiment seed (the user split).
    public var seed: Int
    /// The key of the `pretrain` job whose checkpoint it uses.
    public var pretrainKey: String
    /// `bag_of_items` and `hybrid`: the hash buckets of the item bag (`nil` in payloads planned before this field
    /// existed, for which the handler reads the method's entry of the spec).
    public var hashBuckets: Int? = nil
    /// `hybrid` only: the series whose encoder embeds the users (the method named by `of`).
    public var encoderSeries: String? = nil
    /// `hybrid` only: the key of that series' `pretrain` job (the embed job waits for it).
    public var encoderPretrainKey: String? = nil

    enum CodingKeys: String, CodingKey {
        case experiment, series, method, seed
        case pretrainKey = "pretrain_key"
        case hashBuckets = "hash_buckets"
        case encoderSeries = "encoder_series"
        case encoderPretrainKey = "encoder_pretrain_key"
    }
}

/// The payload of an `evaluate` job: one task, protocol and label fraction for one series and seed.
public struct EvaluatePayload: Sendable, Equatable, Codable {
    /// The experiment's name.
    public var experiment: String
    /// The series (method label, plus the sweep value).
    public var series: String
    /// The method.
    public var method: MethodKind
    /// The experiment seed: it fixes the user split and, with the fraction, the labelled subset.
    public var seed: Int
    /// The task.
    public var task: String
    /// Whether the task is multi-label (one binary probe per category, macro ROC-AUC).
    public var multiLabel: Bool
    /// `linear_probe` or `fine_tune`.
    public var evaluationProtocol: String
    /// The label fraction in `(0, 1]`.
    public var fraction: Double
    /// The job's own seed for fine-tuning, derived from its key and `seed`.
    public var evaluationSeed: UInt64
    /// The key of the `pretrain` job (checkpoint).
    public var pretrainKey: String
    /// The key of the `embed` job (embeddings) for `linear_probe`; `nil` for `fine_tune`.
    public var embedKey: String?
    /// The linear-probe settings (for `linear_probe`).
    public var linearProbe: LinearProbeSpec?
    /// The fine-tune settings (for `fine_tune`).
    public var fineTune: FineTuneSpec?

    enum CodingKeys: String, CodingKey {
        case experiment, series, method, seed, task
        case multiLabel = "multi_label"
        case evaluationProtocol = "protocol"
        case fraction
        case evaluationSeed = "evaluation_seed"
        case pretrainKey = "pretrain_key"
        case embedKey = "embed_key"
        case linearProbe = "linear_probe"
        case fineTune = "fine_tune"
    }
}

/// A job's payload, by kind.
public enum JobPayload: Sendable, Equatable {
    /// A `pretrain` job's payload.
    case pretrain(PretrainPayload)
    /// An `embed` job's payload.
    case embed(EmbedPayload)
    /// An `evaluate` job's payload.
    case evaluate(EvaluatePayload)

    /// The kind of job that carries it.
    public var kind: JobKind {
        switch self {
        case .pretrain: .pretrain
        case .embed: .embed
        case .evaluate: .evaluate
        }
    }
}

/// One job of a plan: a stable key, its kind, payload and the keys of the jobs it waits for.
public struct PlannedJob: Sendable, Equatable, Codable {
    /// A key unique within the experiment and stable across re-planning, e.g.
    /// `pretrain/barlow_twins/seed=3/batch_size=64` or
    /// `evaluate/barlow_twins/seed=3/next_category/linear_probe/fraction=0.05`.
    public var key: String
    /// What the job carries; its ``JobPayload/kind`` is the job's kind.
    public var payload: JobPayload
    /// The keys of the jobs that must succeed first.
    public var dependencies: [String]

    /// The job's kind.
    public var kind: JobKind { payload.kind }

    enum CodingKeys: String, CodingKey {
        case key, kind, payload, dependencies
    }

    /// Encodes as `{"key", "kind", "payload", "dependencies"}` with the payload as a plain object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(kind, forKey: .kind)
        switch payload {
        case .pretrain(let payload): try container.encode(payload, forKey: .payload)
        case .embed(let payload): try container.encode(payload, forKey: .payload)
        case .evaluate(let payload): try container.encode(payload, forKey: .payload)
        }
        try container.encode(dependencies, forKey: .dependencies)
    }

    /// Decodes the form written by ``encode(to:)``, reading the payload by `kind`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        key = try container.decode(String.self, forKey: .key)
        dependencies = try container.decode([String].self, forKey: .dependencies)
        switch try container.decode(JobKind.self, forKey: .kind) {
        case .plan:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "a plan does not contain plan jobs")
        case .pretrain: payload = .pretrain(try container.decode(PretrainPayload.self, forKey: .payload))
        case .embed: payload = .embed(try container.decode(EmbedPayload.self, forKey: .payload))
        case .evaluate: payload = .evaluate(try container.decode(EvaluatePayload.self, forKey: .payload))
        }
    }

    /// A job with its key, payload and dependencies.
    public init(key: String, payload: JobPayload, dependencies: [String]) {
        self.key = key
        self.payload = payload
        self.dependencies = dependencies
    }
}
