import Foundation

/// An experiment: which dataset, how it is preprocessed, which encoder, which pretraining methods to compare, on
/// which downstream tasks, with which evaluation protocols, label fractions and seeds (PROTOCOL.md, README).
///
/// Decode it with ``init(json:)`` (or any `Decoder`): every field has a default and a range, unknown keys are
/// errors, and every error is an ``ExperimentSpecError`` naming the field's JSON path, the allowed values and
/// what was found. Encoding writes the complete spec with every default filled in, which decodes back to an equal
/// value. Checks that need the loaded dataset are ``validate(supportedTasks:datasetName:)`` and
/// ``validateDatasetFiles(exists:)``.
public struct ExperimentSpec: Sendable, Equatable, Codable, SpecSection {
    enum CodingKeys: String, CodingKey {
        case name, description, dataset, preprocessing, encoder, methods, tasks, protocols
        case labelFractions = "label_fractions"
        case seeds, baseline, sweep
        case fineTune = "fine_tune"
        case linearProbe = "linear_probe"
    }

    /// The experiment's name: 1 to 100 characters from `A-Z a-z 0-9 _ - .`. Required.
    public var name: String
    /// Free text for people; default empty.
    public var description: String
    /// Where the interactions come from. Required.
    public var dataset: DatasetSpec
    /// How interactions become sequences and labels.
    public var preprocessing: PreprocessingSpec
    /// The encoder shared by every method.
    public var encoder: EncoderSpec
    /// The pretraining methods to compare; default one of each of the five methods with its defaults.
    public var methods: [MethodSpec]
    /// The downstream tasks; default `next_category`, `future_top_category`, `future_categories`.
    public var tasks: [String]
    /// The evaluation protocols; default `linear_probe`, `fine_tune`.
    public var protocols: [String]
    /// The fractions of train users that carry labels, each in `(0, 1]`; default 0.01 … 1.0 (seven values).
    public var labelFractions: [Double]
    /// The seeds, each in `0...2³¹−1`. In JSON either a count `n` (1...100, giving `0, 1, …, n−1`) or a list;
    /// default 5.
    public var seeds: [Int]
    /// The method label gains are measured against: default `dual_encoder` when that is among the methods,
    /// else none (no gain table).
    public var baseline: String?
    /// An optional sweep over one pretraining hyper-parameter.
    public var sweep: SweepSpec?
    /// Settings of the `fine_tune` protocol.
    public var fineTune: FineTuneSpec
    /// Settings of the `linear_probe` protocol.
    public var linearProbe: LinearProbeSpec

    /// The dataset kinds a spec may name.
    public static let datasetKinds = ["movielens1m", "movielens100k", "movielens20m", "yelp", "sequences", "synthetic"]
    /// The pretraining methods.
    public static let methodNames = ["barlow_twins", "dual_encoder", "contrastive", "none", "bag_of_items"]
    /// Every downstream task (PROTOCOL.md section 2).
    public static let taskNames = [
        "next_category", "future_top_category", "future_categories", "next_rating_high",
        "gender", "age_group", "occupation",
    ]
    /// The evaluation protocols.
    public static let protocolNames = ["linear_probe", "fine_tune"]
    /// The default tasks: the category tasks that every dataset with item categories offers.
    public static let defaultTasks = ["next_category", "future_top_category", "future_categories"]
    /// The default label fractions.
    public static let defaultLabelFractions = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    /// The multi-label task, scored by macro ROC-AUC with one binary probe per category.
    public static let multiLabelTasks: Set<String> = ["future_categories"]
}

/// Where an experiment's interactions come from.
public struct DatasetSpec: Sendable, Equatable, Codable, SpecSection {
    /// A dataset of `kind` with its path and, for `sequences`, its item-attribute file.
    public init(kind: String, path: String? = nil, itemAttributes: String? = nil, synthetic: SyntheticSpec? = nil) {
        self.kind = kind
        self.path = path
        self.itemAttributes = itemAttributes
        self.synthetic = synthetic
    }

    enum CodingKeys: String, CodingKey {
        case kind, path
        case itemAttributes = "item_attributes"
        case synthetic
    }

    /// One of `movielens1m`, `movielens100k`, `movielens20m`, `yelp`, `sequences`, `synthetic`. Required.
    public var kind: String
    /// The dataset folder (MovieLens, Yelp) or file (`sequences`); required unless `kind` is `synthetic`,
    /// where it must be absent.
    public var path: String?
    /// For `sequences` only: an optional JSON file mapping each item to its attribute (category) list.
    public var itemAttributes: String?
    /// For `synthetic` only: the generator's settings (defaults when `kind` is `synthetic` and this is absent).
    public var synthetic: SyntheticSpec?
}

/// The synthetic generator's settings; the defaults are MovieLens-1M's scale.
public struct SyntheticSpec: Sendable, Equatable, Codable, SpecSection {
    /// The defaults (MovieLens-1M's scale).
    public init() {}

    enum CodingKeys: String, CodingKey {
        case users, items, categories
        case meanSequenceLength = "mean_sequence_length"
        case seed
    }

    /// Number of users, 10...10,000,000; default 6040.
    public var users: Int = 6040
    /// Number of items, 10...10,000,000; default 3706.
    public var items: Int = 3706
    /// Number of item categories, 2...1000; default 18.
    public var categories: Int = 18
    /// Mean interactions per user, 5...10,000; default 165.
    public var meanSequenceLength: Int = 165
    /// The generator's seed, 0...2³¹−1; default 0.
    public var seed: Int = 0
}

/// How interactions become sequences, splits and labels (PROTOCOL.md section 1 and 2).
public struct PreprocessingSpec: Sendable, Equatable, Codable, SpecSection {
    /// The defaults of PROTOCOL.md.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case minSequenceLength = "min_sequence_length"
        case kCore = "k_core"
        case maxLength = "max_length"
        case historyFraction = "history_fraction"
        case labelCategories = "label_categories"
        case pretrainUsers = "pretrain_users"
    }

    /// Users with fewer interactions are dropped, 2...1000; default 5.
    public var minSequenceLength: Int = 5
    /// Optional k-core filter (users and items with at least k interactions), 1...1000; default none.
    public var kCore: Int?
    /// The encoder sees the last `maxLength` history items, 1...4096; default 50.
    public var maxLength: Int = 50
    /// The share of each user's interactions that is history, in `(0, 1)`; default 0.8.
    public var historyFraction: Double = 0.8
    /// The size of the label-category vocabulary, 2...1000; default 20.
    public var labelCategories: Int = 20
    /// Whose histories pretraining sees: `train` (default) or `all`.
    public var pretrainUsers: String = "train"
}

/// The user-sequence encoder shared by every method (PROTOCOL.md section 3).
public struct EncoderSpec: Sendable, Equatable, Codable, SpecSection {
    /// The defaults of PROTOCOL.md.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case kind, d, blocks, heads, ff, dropout
    }

    /// `transformer` (default) or `mean_pool`.
    public var kind: String = "transformer"
    /// The embedding width `d`, 1...4096; default 64. Must be a multiple of `heads`.
    public var d: Int = 64
    /// Transformer blocks, 1...64; default 2.
    public var blocks: Int = 2
    /// Attention heads, 1...64, dividing `d`; default 2.
    public var heads: Int = 2
    /// Feed-forward width, 1...65536; default 256.
    public var ff: Int = 256
    /// Dropout probability in `[0, 1)`; default 0.1.
    public var dropout: Double = 0.1
}

/// The sequence augmentations of the SSL methods (PROTOCOL.md section 4).
public struct AugmentationSpec: Sendable, Equatable, Codable, SpecSection {
    /// The defaults of PROTOCOL.md.
    public init() {}

    /// The share of the sequence that `crop` keeps, in `(0, 1]`; default 0.6.
    public var crop: Double = 0.6
    /// The share of items that `mask` replaces, in `[0, 1)`; default 0.3.
    public var mask: Double = 0.3
    /// The share of the sequence that `reorder` shuffles, in `[0, 1]`; default 0.3.
    public var reorder: Double = 0.3
    /// The augmentations each view draws from, a non-empty subset of `crop`, `mask`, `reorder`; default all.
    public var enabled: [String] = AugmentationSpec.names
    /// The augmentation names.
    public static let names = ["crop", "mask", "reorder"]
}

/// One pretraining method to compare, with its hyper-parameters. Fields that do not apply to the method are
/// `nil` (and are errors in JSON): `none` takes only `name` and `label`; `bag_of_items` adds `hash_buckets`.
public struct MethodSpec: Sendable, Equatable, Codable, SpecSection {
    enum CodingKeys: String, CodingKey {
        case name, label, epochs
        case batchSize = "batch_size"
        case lr
        case weightDecay = "weight_decay"
        case warmupFraction = "warmup_fraction"
        case lambda, projector, temperature, augmentations
        case hashBuckets = "hash_buckets"
    }

    /// One of `barlow_twins`, `dual_encoder`, `contrastive`, `none`, `bag_of_items`. Required.
    public var name: String
    /// A unique label for results and job keys (`A-Z a-z 0-9 _ - .`); default the name.
    public var label: String
    /// Training epochs, 1...100,000; default 100. Trained methods only.
    public var epochs: Int?
    /// Batch size, 2...65,536; default 256. Trained methods only.
    public var batchSize: Int?
    /// Peak learning rate in `(0, 10]`; default 1e-3. Trained methods only.
    public var lr: Double?
    /// AdamW weight decay in `[0, 1]`; default 1e-6. Trained methods only.
    public var weightDecay: Double?
    /// The share of steps spent in linear warm-up before the cosine decay, in `[0, 1)`; default 0.05.
    public var warmupFraction: Double?
    /// Barlow Twins' off-diagonal weight λ in `(0, 100]`; default 1 / (last projector width), 1/256.
    public var lambda: Double?
    /// Barlow Twins' projector widths, 1 to 8 layers of 1...65,536; default [256, 256, 256].
    public var projector: [Int]?
    /// Softmax temperature of `dual_encoder` and `contrastive`, in `(0, 100]`; default 0.1.
    public var temperature: Double?
    /// Augmentations of `barlow_twins` and `contrastive`.
    public var augmentations: AugmentationSpec?
    /// Hash buckets of `bag_of_items`' item bag, 1...1,048,576; default 256.
    public var hashBuckets: Int?

    /// Whether the method trains an encoder (and so has epochs, batch size, learning rate…).
    public var trains: Bool { ["barlow_twins", "dual_encoder", "contrastive"].contains(name) }
    /// Whether the method has an encoder that `fine_tune` can train (every method but `bag_of_items`).
    public var hasEncoder: Bool { name != "bag_of_items" }
}

/// A sweep over one pretraining hyper-parameter: each swept method gets one pretraining per value and seed.
public struct SweepSpec: Sendable, Equatable, Codable, SpecSection {
    /// A sweep of `parameter` over `values` for the methods labelled `methods`.
    public init(parameter: String, values: [Double], methods: [String]) {
        self.parameter = parameter
        self.values = values
        self.methods = methods
    }

    /// The hyper-parameter: one of ``SweepSpec/parameters``. Required.
    public var parameter: String
    /// The values, non-empty and without duplicates, each in the parameter's own range. Required.
    public var values: [Double]
    /// The labels of the swept methods; default every method the parameter applies to.
    public var methods: [String]

    /// The parameters a sweep may vary.
    public static let parameters = [
        "batch_size", "epochs", "lr", "weight_decay", "warmup_fraction", "lambda",
        "temperature",
    ]
}

/// Settings of the `fine_tune` protocol.
public struct FineTuneSpec: Sendable, Equatable, Codable, SpecSection {
    /// The defaults.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, lr, patience
        case batchSize = "batch_size"
    }

    /// Maximum epochs, 1...10,000; default 50.
    public var epochs: Int = 50
    /// Learning rate in `(0, 10]`; default 1e-4.
    public var lr: Double = 1e-4
    /// Early stopping: epochs without a better validation accuracy, 1...1000; default 5.
    public var patience: Int = 5
    /// Batch size, 1...65,536; default 64.
    public var batchSize: Int = 64
}

/// Settings of the `linear_probe` protocol.
public struct LinearProbeSpec: Sendable, Equatable, Codable, SpecSection {
    /// The defaults of PROTOCOL.md section 5.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case l2Grid = "l2_grid"
        case defaultL2 = "default_l2"
        case minValidationLabels = "min_validation_labels"
    }

    /// The L2 strengths tried, each in `(0, 1e6]`; default `[1e-4, 1e-3, 1e-2, 1e-1, 1]`.
    public var l2Grid: [Double] = [1e-4, 1e-3, 1e-2, 1e-1, 1]
    /// The L2 strength when there are fewer than `min_validation_labels` validation labels; default 1e-2.
    public var defaultL2: Double = 1e-2
    /// The fewest validation labels with which the grid is searched, 0...1,000,000; default 20.
    public var minValidationLabels: Int = 20
}
