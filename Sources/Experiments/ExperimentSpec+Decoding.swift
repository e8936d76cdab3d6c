import Foundation

/// A part of the spec that decodes through ``SpecReader``: strict keys, defaults, ranges, errors with paths.
protocol SpecSection: Codable {
    /// Reads the section from `value` found at `path`. Throws: ``ExperimentSpecError``.
    static func read(_ value: SpecJSON, path: String) throws -> Self
}

extension SpecSection {
    /// Decodes through ``read(_:path:)``, so every `Decoder` applies the same checks and defaults.
    /// Throws: ``ExperimentSpecError`` with the field's path.
    public init(from decoder: any Decoder) throws {
        let json = try SpecJSON(from: decoder)
        self = try Self.read(json, path: specPath(decoder.codingPath))
    }
}

/// The characters allowed in experiment names and method labels.
private let nameCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")

/// Reads a name or label: 1 to 100 characters from `A-Z a-z 0-9 _ - .`.
private func readName(_ value: SpecJSON, path: String) throws -> String {
    let name = try SpecValue.string(value, path: path)
    guard name.count <= 100, name.allSatisfy({ nameCharacters.contains($0) }) else {
        throw ExperimentSpecError(
            path: path, message: "\"\(SpecJSONParser.quoted(name))\" is not a valid name; expected 1 to 100 "
                + "characters from A-Z a-z 0-9 _ - .")
    }
    return name
}

extension ExperimentSpec {
    /// The longest `dataset.path` or `dataset.item_attributes`, in characters (Linux's PATH_MAX).
    public static let maxPathLength = 4096
    /// The longest `description`, in characters.
    public static let maxDescriptionLength = SpecValue.maxStringLength

    /// The keys of the top level, in documentation order. The sections have tables of their own.
    static let fields: [SpecField<ExperimentSpec>] = [
        .custom("name", default: "required", required: "the experiment's name",
                "1-100 characters from `A-Z a-z 0-9 _ - .`") { spec, value, path in
            spec.name = try readName(value, path: path)
        },
        .custom("description", default: "`\"\"`", "free text, at most 10,000 characters") { spec, value, path in
            spec.description = try SpecValue.string(value, path: path, nonEmpty: false, maxLength: maxDescriptionLength)
        },
        .custom("dataset", default: "required",
                required: "an object with the name of an imported dataset, or a kind ("
                    + datasetKinds.joined(separator: ", ") + ")",
                "where the interactions come from: see `dataset.*`") { spec, value, path in
            spec.dataset = try DatasetSpec.read(value, path: path)
        },
        .custom("preprocessing", default: "see `preprocessing.*`", "how interactions become sequences and labels") {
            spec, value, path in
            spec.preprocessing = try PreprocessingSpec.read(value, path: path)
        },
        .custom("encoder", default: "see `encoder.*`", "the encoder every method shares") { spec, value, path in
            spec.encoder = try EncoderSpec.read(value, path: path)
        },
        .custom("methods", default: "one of each",
                "the pretraining methods to compare, each with `name`, a unique `label` and its fields (`methods[].*`)") {
            spec, value, path in
            let methods = try SpecValue.list(value, path: path, unique: false, describe: { "\($0.label)" }) {
                try MethodSpec.read($0, path: $1)
            }
            let labels = methods.map(\.label)
            for (index, label) in labels.enumerated() {
                if let first = labels.firstIndex(of: label), first < index {
                    throw ExperimentSpecError(
                        path: "\(path)[\(index)].label",
                        message: "duplicate method label \"\(label)\" (also methods[\(first)]); give each method a "
                            + "unique label")
                }
            }
            spec.methods = methods
        },
        .custom("tasks", default: defaultTasks.map { "`\($0)`" }.joined(separator: ", "),
                "also " + taskNames.filter { !defaultTasks.contains($0) }.map { "`\($0)`" }.joined(separator: ", ")
                    + " where the dataset has the metadata; asking for one it lacks is an error naming the supported ones") {
            spec, value, path in
            spec.tasks = try SpecValue.list(value, path: path, describe: { "\"\($0)\"" }) {
                try SpecValue.choice($0, path: $1, allowed: taskNames, what: "task")
            }
        },
        .custom("protocols", default: protocolNames.map { "`\($0)`" }.joined(separator: ", "),
                "the evaluation protocols") { spec, value, path in
            spec.protocols = try SpecValue.list(value, path: path, describe: { "\"\($0)\"" }) {
                try SpecValue.choice($0, path: $1, allowed: protocolNames, what: "protocol")
            }
        },
        .custom("label_fractions", default: defaultLabelFractions.map(SpecJSON.format).joined(separator: ", "),
                "each in (0, 1], no duplicates; n = max(round(f · N_train), 2 · C), drawn stratified") {
            spec, value, path in
            spec.labelFractions = try SpecValue.list(value, path: path, describe: { SpecJSON.format($0) }) {
                try SpecValue.double($0, path: $1, low: 0, high: 1, lowOpen: true)
            }
        },
        .custom("seeds", default: "5",
                "a count n (1-100: seeds 0…n−1) or a list (each 0-2147483647); each seed fixes the user split and "
                    + "label subsets for every method") { spec, value, path in
            spec.seeds = try readSeeds(value, path: path)
        },
        .custom("baseline", default: "`dual_encoder` if present",
                "the method label gains are measured against (paired at the same sweep point where the baseline is "
                    + "swept too), or one series such as `dual_encoder[batch_size=32]`") {
            spec, value, path in
            spec.baseline = try SpecValue.string(value, path: path)  // checked once the sweep is read
        }.after("methods"),
        .custom("sweep", default: "none",
                "one pretraining per value of one method field, or per point of a grid over several: see `sweep.*`") {
            spec, value, path in
            spec.sweep = try SweepSpec.read(value, path: path, methods: spec.methods)
        }.after("methods"),
        .custom("fine_tune", default: "see `fine_tune.*`", "settings of the `fine_tune` protocol") { spec, value, path in
            spec.fineTune = try FineTuneSpec.read(value, path: path)
        },
        .custom("linear_probe", default: "see `linear_probe.*`", "settings of the `linear_probe` protocol") {
            spec, value, path in
            spec.linearProbe = try LinearProbeSpec.read(value, path: path)
        },
    ]

    /// The JSON keys of the top level, in documentation order.
    static var keys: [String] { fields.map(\.key) }

    /// Decodes and checks a spec from JSON text with ``SpecJSONParser``: syntax errors name the line and column,
    /// duplicate keys their path, numbers must be finite and escapes valid. Throws: ``ExperimentSpecError`` naming
    /// the field (path `""` for a document that is not JSON).
    public init(json: Data) throws {
        self = try Self.read(try SpecJSONParser.parse([UInt8](json)), path: "")
    }

    /// Decodes and checks a spec from a JSON string. Throws: ``ExperimentSpecError``.
    public init(json: String) throws {
        self = try Self.read(try SpecJSONParser.parse(Array(json.utf8)), path: "")
    }

    static func read(_ value: SpecJSON, path: String) throws -> ExperimentSpec {
        var spec = ExperimentSpec(
            name: "", description: "", dataset: DatasetSpec(kind: nil), preprocessing: PreprocessingSpec(),
            encoder: EncoderSpec(), methods: defaultMethods.map { MethodSpec.defaults(for: $0) },
            tasks: defaultTasks,
            protocols: protocolNames, labelFractions: defaultLabelFractions, seeds: Array(0..<5), baseline: nil,
            sweep: nil, fineTune: FineTuneSpec(), linearProbe: LinearProbeSpec())
        var errors: [ExperimentSpecError] = []
        do {
            try SpecFields.read(fields, value, into: &spec, path: path)
        } catch let error as ExperimentSpecError { errors.append(error) }
        if try SpecReader(value, path: path).value("baseline") == nil {
            spec.baseline = spec.methods.contains { $0.label == "dual_encoder" } ? "dual_encoder" : nil
        } else if let baseline = spec.baseline {
            // A label, or a series of the plan (checked only when the methods and the sweep read cleanly).
            let dependsOn = ["methods", "sweep", "baseline"].map { specPath(path, $0) }
            let clean = !errors.flatMap(\.all).contains { error in dependsOn.contains { error.path.hasPrefix($0) } }
            if clean {
                let labels = spec.methods.map(\.label)
                let allowed = labels + ExperimentPlan.series(of: spec).filter { !labels.contains($0) }
                do {
                    _ = try SpecValue.choice(.string(baseline), path: specPath(path, "baseline"), allowed: allowed,
                                             what: "baseline method")
                } catch let error as ExperimentSpecError { errors.append(error) }
            }
        }
        // Each hybrid's `of` (checked only when the methods and the sweep read cleanly).
        let hybridInputs = ["methods", "sweep"].map { specPath(path, $0) }
        if !errors.flatMap(\.all).contains(where: { error in hybridInputs.contains { error.path.hasPrefix($0) } }) {
            do { try checkHybrids(spec, path: path) } catch let error as ExperimentSpecError { errors.append(error) }
        }
        if !errors.isEmpty { throw ExperimentSpecError(collecting: errors) }
        return spec
    }

    /// Each `hybrid`'s `of` names a method of the spec with an encoder (not `bag_of_items` or another `hybrid`)
    /// that no sweep varies (its embedding must be one series).
    private static func checkHybrids(_ spec: ExperimentSpec, path: String) throws {
        for (index, method) in spec.methods.enumerated() where method.name == .hybrid {
            let ofPath = specPath(path, "methods") + "[\(index)].of"
            let encoders = spec.methods.filter(\.hasEncoder).map(\.label)
            guard let of = method.of, let target = spec.methods.first(where: { $0.label == of }), target.hasEncoder
            else {
                throw ExperimentSpecError(
                    path: ofPath,
                    message: "\"\(method.of ?? "")\" is not a method with an encoder in this spec; expected one of "
                        + (encoders.isEmpty ? "(none: add a barlow_twins, dual_encoder, contrastive or none method)"
                            : encoders.joined(separator: ", ")))
            }
            if let sweep = spec.sweep, sweep.methods.contains(of) {
                throw ExperimentSpecError(
                    path: ofPath,
                    message: "method \"\(of)\" is swept (\(sweep.parameter)), so it has no single embedding; name an "
                        + "unswept method or remove it from sweep.methods")
            }
        }
    }

    private static func readSeeds(_ value: SpecJSON?, path: String) throws -> [Int] {
        guard let value else { return Array(0..<5) }
        if case .number = value {
            let count = try SpecValue.int(value, path: path, range: 1...100)
            return Array(0..<count)
        }
        guard case .array = value else {
            throw ExperimentSpecError(
                path: path, message: "expected a seed count (1...100) or a list of seeds, found \(value.found)")
        }
        return try SpecValue.list(value, path: path, describe: { "\($0)" }) {
            try SpecValue.int($0, path: $1, range: 0...Int(Int32.max))
        }
    }
}

extension DatasetSpec {
    /// The keys of `dataset`. A dataset is an imported one (`name`), files (`kind` + `path`) or synthetic data
    /// (`kind: synthetic` + `synthetic`); the cross-field rules are checked after the keys are read.
    static let fields: [SpecField<DatasetSpec>] = [
        .custom("name", default: "none",
                "an imported dataset (`seqtwins dataset list`); with it, `path`, `item_attributes` and `synthetic` must be absent") {
            spec, value, path in
            let name = try SpecValue.string(value, path: path)
            guard name.utf8.count <= 100,
                name.unicodeScalars.allSatisfy({
                    $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0))
                })
            else {
                throw ExperimentSpecError(
                    path: path,
                    message: "expected a dataset name (1 to 100 characters from A-Z a-z 0-9 _ - .), found "
                        + "\"\(SpecJSONParser.quoted(name))\"")
            }
            spec.name = name
        },
        .custom("kind", default: "required unless `name`",
                ExperimentSpec.datasetKinds.map { "`\($0)`" }.joined(separator: ", ")
                    + " (`movielens20m` also reads ml-latest); with `name`, optional and checked against the imported dataset") {
            spec, value, path in
            spec.kind = try SpecValue.choice(value, path: path, allowed: ExperimentSpec.datasetKinds, what: "dataset kind")
        },
        .custom("path", default: "required for the file kinds",
                "read by the CLI only, which imports the files and stores the spec with the dataset's name instead: "
                    + "the dataset folder (MovieLens: `ratings.dat`/`u.data`/`ratings.csv` and metadata; Yelp: "
                    + "`review.json`, `business.json`) or, for `sequences`, the file (`user item item ...` per line)") {
            spec, value, path in
            spec.path = try SpecValue.string(value, path: path, maxLength: ExperimentSpec.maxPathLength)
        },
        .custom("item_attributes", default: "none",
                "`sequences` only: JSON mapping item id to a list of attribute (category) ids") { spec, value, path in
            spec.itemAttributes = try SpecValue.string(value, path: path, maxLength: ExperimentSpec.maxPathLength)
        },
        .custom("synthetic", default: "see below", "`synthetic` only: the generator's settings") { spec, value, path in
            spec.synthetic = try SyntheticSpec.read(value, path: path)
        },
    ]

    static func read(_ value: SpecJSON, path: String) throws -> DatasetSpec {
        var spec = DatasetSpec(kind: nil)
        try SpecFields.read(fields, value, into: &spec, path: path)
        let reader = try SpecReader(value, path: path)
        if spec.name != nil {
            for key in ["path", "item_attributes", "synthetic"] where reader.value(key) != nil {
                throw ExperimentSpecError(
                    path: reader.path(key),
                    message: "not used with dataset.name (the dataset is already imported); remove one of them")
            }
            if spec.kind == "synthetic" {
                throw ExperimentSpecError(
                    path: reader.path("kind"),
                    message: "synthetic data is generated, never imported; remove \"kind\" or \"name\"")
            }
            return spec
        }
        guard let kind = spec.kind else {
            _ = try reader.required("kind", expected: "the name of an imported dataset (\"name\"), or a kind: one of "
                                    + ExperimentSpec.datasetKinds.joined(separator: ", "))
            return spec
        }
        if kind == "synthetic" {
            for key in ["path", "item_attributes"] where reader.value(key) != nil {
                throw ExperimentSpecError(
                    path: reader.path(key), message: "not used by dataset kind \"synthetic\"; remove it")
            }
            if spec.synthetic == nil { spec.synthetic = SyntheticSpec() }
            return spec
        }
        if reader.value("synthetic") != nil {
            throw ExperimentSpecError(
                path: reader.path("synthetic"), message: "only used by dataset kind \"synthetic\", not \"\(kind)\"")
        }
        let expected =
            kind == "sequences"
            ? "the path of the sequence file (one line per user: user item item …)"
            : "the path of the \(kind) dataset folder"
        _ = try reader.required("path", expected: expected)
        if spec.itemAttributes != nil && kind != "sequences" {
            throw ExperimentSpecError(
                path: reader.path("item_attributes"),
                message: "only used by dataset kind \"sequences\", not \"\(kind)\"")
        }
        return spec
    }
}

extension SyntheticSpec {
    /// The most interactions (users × mean sequence length) a synthetic dataset may have: ten times MovieLens-20M,
    /// which every worker and `enqueue --dry-run` generate in memory.
    public static let maxInteractions = 200_000_000

    /// The keys of `dataset.synthetic`; the defaults are MovieLens-1M's scale.
    static let fields: [SpecField<SyntheticSpec>] = {
        let defaults = SyntheticSpec()
        return [
            .int("users", \.users, 10...10_000_000, defaults: defaults, "users generated"),
            .int("items", \.items, 10...10_000_000, defaults: defaults, "items"),
            .int("categories", \.categories, 2...1000, defaults: defaults, "item categories (tastes are planted over them)"),
            .int("mean_sequence_length", \.meanSequenceLength, 5...10_000, defaults: defaults,
                 "mean interactions per user; users × mean length at most 200,000,000"),
            .int("seed", \.seed, 0...Int(Int32.max), defaults: defaults,
                 "the generator's seed (planted tastes, popularity, drift, a Markov component, ratings and user "
                    + "attributes tied to taste)"),
        ]
    }()

    static func read(_ value: SpecJSON, path: String) throws -> SyntheticSpec {
        var spec = SyntheticSpec()
        try SpecFields.read(fields, value, into: &spec, path: path)
        let interactions = spec.users * spec.meanSequenceLength
        guard interactions <= maxInteractions else {
            throw ExperimentSpecError(
                path: path,
                message: "users × mean_sequence_length = \(spec.users) × \(spec.meanSequenceLength) = \(interactions) "
                    + "interactions; expected at most \(maxInteractions) (lower users or mean_sequence_length)")
        }
        return spec
    }
}

extension PreprocessingSpec {
    /// The keys of `preprocessing` (PROTOCOL.md sections 1 and 2).
    static let fields: [SpecField<PreprocessingSpec>] = {
        let defaults = PreprocessingSpec()
        return [
            .int("min_sequence_length", \.minSequenceLength, 2...1000, defaults: defaults, "shorter users are dropped"),
            .int("k_core", \.kCore, 1...1000, defaults: defaults,
                 "iteratively keep users and items with at least k interactions"),
            .int("max_length", \.maxLength, 1...4096, defaults: defaults,
                 "the encoder sees the last `max_length` history items"),
            .double("history_fraction", \.historyFraction, SpecInterval(low: 0, high: 1, lowOpen: true, highOpen: true),
                    defaults: defaults, "the first share of each user's interactions is the history, the rest the future"),
            .int("label_categories", \.labelCategories, 2...1000, defaults: defaults,
                 "size of the label-category vocabulary (PROTOCOL section 2)"),
            .choice("pretrain_users", \.pretrainUsers, ["train", "all"], what: "pretrain_users value",
                    defaults: defaults, "whose histories pretraining sees"),
        ]
    }()

    static func read(_ value: SpecJSON, path: String) throws -> PreprocessingSpec {
        var spec = PreprocessingSpec()
        try SpecFields.read(fields, value, into: &spec, path: path)
        return spec
    }
}

extension EncoderSpec {
    /// The keys of `encoder` (PROTOCOL.md section 3).
    static let fields: [SpecField<EncoderSpec>] = {
        let defaults = EncoderSpec()
        return [
            .choice("kind", \.kind, ["transformer", "mean_pool"], what: "encoder kind", defaults: defaults,
                    "pre-norm Transformer blocks with learned positions and masked mean pooling, or the masked mean "
                        + "of item embeddings, then Linear d→d"),
            .int("d", \.d, 1...4096, defaults: defaults, "the embedding width, a multiple of `heads`"),
            .int("blocks", \.blocks, 1...64, defaults: defaults, "Transformer blocks"),
            .int("heads", \.heads, 1...64, defaults: defaults, "attention heads, dividing `d`"),
            .int("ff", \.ff, 1...65536, defaults: defaults, "feed-forward width"),
            .double("dropout", \.dropout, SpecInterval(low: 0, high: 1, highOpen: true, float32: true),
                    defaults: defaults,
                    "dropout on the input, the residual branches and the feed-forward hidden layer"),
            .double("attention_dropout", \.attentionDropout,
                    SpecInterval(low: 0, high: 1, highOpen: true, float32: true), defaults: defaults,
                    "dropout on the attention probabilities (a stock PyTorch encoder layer uses "
                        + "`dropout` here too)"),
        ]
    }()

    static func read(_ value: SpecJSON, path: String) throws -> EncoderSpec {
        var spec = EncoderSpec()
        try SpecFields.read(fields, value, into: &spec, path: path)
        if spec.d % spec.heads != 0 {
            throw ExperimentSpecError(
                path: specPath(path, "heads"),
                message: "\(spec.heads) heads do not divide d = \(spec.d); expected a divisor of \(spec.d)")
        }
        return spec
    }
}

extension AugmentationSpec {
    /// The keys of `methods[].augmentations` (PROTOCOL.md section 4).
    static let fields: [SpecField<AugmentationSpec>] = {
        let defaults = AugmentationSpec()
        return [
            .double("crop", \.crop, SpecInterval(low: 0, high: 1, lowOpen: true), defaults: defaults,
                    "`crop` keeps a random contiguous share"),
            .double("mask", \.mask, SpecInterval(low: 0, high: 1, highOpen: true), defaults: defaults,
                    "`mask` replaces a share with the mask token"),
            .double("reorder", \.reorder, SpecInterval(low: 0, high: 1), defaults: defaults,
                    "`reorder` shuffles a contiguous share"),
            .custom("enabled", default: defaults.enabled.map { "`\($0)`" }.joined(separator: ", "),
                    "which augmentations each view draws from, a non-empty subset") { spec, value, path in
                spec.enabled = try SpecValue.list(value, path: path, describe: { "\"\($0)\"" }) {
                    try SpecValue.choice($0, path: $1, allowed: AugmentationSpec.names, what: "augmentation")
                }
            },
        ]
    }()

    static func read(_ value: SpecJSON, path: String) throws -> AugmentationSpec {
        var spec = AugmentationSpec()
        try SpecFields.read(fields, value, into: &spec, path: path)
        return spec
    }
}

extension MethodSpec {
    /// The methods that train an encoder.
    static let trainedMethods = MethodKind.trained.map(\.rawValue)

    /// The keys of `methods[]`, each with the methods that take it and its default there (PROTOCOL.md section 4).
    static let fields: [SpecField<MethodSpec>] = [
        .custom("name", default: "required", ExperimentSpec.methodNames.map { "`\($0)`" }.joined(separator: ", ")) {
            _, _, _ in  // read first, by ``read(_:path:)``: it decides which keys apply
        },
        .custom("label", default: "the name",
                "unique within the spec, 1-100 characters from `A-Z a-z 0-9 _ - .`; names the series in results") {
            spec, value, path in
            spec.label = try readName(value, path: path)
        },
        .methodInt("epochs", \.epochs, 1...100_000, default: 100, methods: trainedMethods, sweepable: true,
                   "training epochs"),
        .methodInt("batch_size", \.batchSize, 2...65536, default: 256, methods: trainedMethods, sweepable: true,
                   "sequences per batch (per view)"),
        .methodDouble("lr", \.lr, SpecInterval(low: 0, high: 10, lowOpen: true, float32: true), default: 1e-3,
                      methods: trainedMethods, sweepable: true, "peak learning rate (AdamW)"),
        .methodDouble("weight_decay", \.weightDecay, SpecInterval(low: 0, high: 1, float32: true), default: 1e-6,
                      methods: trainedMethods, sweepable: true, "AdamW weight decay"),
        .methodDouble("warmup_fraction", \.warmupFraction, SpecInterval(low: 0, high: 1, highOpen: true),
                      default: 0.05, methods: trainedMethods, sweepable: true,
                      "share of steps in linear warm-up, then cosine decay"),
        SpecField(
            key: "projector", defaultText: "`[256, 256, 256]`",
            doc: "1-8 widths of 1-65536: the projector (Linear, BatchNorm, ReLU between); sets `lambda`'s default "
                + "to 1 / last width",
            read: { spec, value, path in
                let widths = try SpecValue.list(value, path: path, unique: false, describe: { "\($0)" }) {
                    try SpecValue.int($0, path: $1, range: 1...65536)
                }
                guard widths.count <= 8 else {
                    throw ExperimentSpecError(path: path, message: "\(widths.count) layers; expected 1 to 8 layer widths")
                }
                spec.projector = widths
                spec.lambda = 1.0 / Double(widths.last!)
            },
            methods: ["barlow_twins"], applyDefault: { $0.projector = [256, 256, 256] }),
        .methodDouble("lambda", \.lambda, SpecInterval(low: 0, high: 100, lowOpen: true, float32: true),
                      default: 1.0 / 256, defaultText: "1/256", methods: ["barlow_twins"], sweepable: true,
                      "Barlow Twins' off-diagonal weight"),
        .methodDouble("temperature", \.temperature, SpecInterval(low: 0, high: 100, lowOpen: true, float32: true),
                      default: 0.1, methods: ["dual_encoder", "contrastive"], sweepable: true, "softmax temperature"),
        SpecField(
            key: "augmentations", defaultText: "see `methods[].augmentations.*`",
            doc: "the two views' augmentations",
            read: { spec, value, path in spec.augmentations = try AugmentationSpec.read(value, path: path) },
            methods: ["barlow_twins", "contrastive"], applyDefault: { $0.augmentations = AugmentationSpec() }),
        .methodInt("hash_buckets", \.hashBuckets, 1...1_048_576, default: 256, methods: ["bag_of_items", "hybrid"],
                   "buckets of the hashed item bag"),
        .methodDouble("gradient_clip", \.gradientClip, SpecInterval(low: 0, high: 1000, float32: true), default: 1,
                      methods: trainedMethods, "largest global gradient norm per step (larger ones are scaled down); 0 "
                          + "turns clipping off"),
        SpecField(
            key: "budget", defaultText: "`epochs`",
            doc: "exactly one of `epochs`, `steps`, `examples` (see `methods[].budget.*`), instead of `epochs`; the "
                + "report states every series' steps, examples and seconds",
            read: { spec, value, path in
                let budget = try BudgetSpec.read(value, path: path)
                if budget.unit == .epochs {
                    spec.epochs = budget.amount
                    spec.budget = nil
                } else {
                    spec.epochs = nil
                    spec.budget = budget
                }
            },
            methods: trainedMethods),
        SpecField(
            key: "optimizer", defaultText: "`adamw`",
            doc: "`adamw`, `lazy_adamw`: AdamW over every parameter, or lazy AdamW that updates (and clips) only the "
                + "embedding rows a step touched, O(rows touched) instead of O(vocabulary); see Lazy AdamW",
            read: { spec, value, path in
                spec.optimizer = try SpecValue.choice(value, path: path, allowed: ["adamw", "lazy_adamw"],
                                                      what: "optimizer")
            },
            methods: trainedMethods),
        SpecField(
            key: "of", defaultText: "required",
            doc: "the label of the method (with an encoder, unswept) whose embedding `hybrid` concatenates with the "
                + "bag-of-items features; linear probe only",
            read: { spec, value, path in spec.of = try readName(value, path: path) },
            methods: ["hybrid"], required: "the label of a method with an encoder"),
        SpecField(
            key: "eval_every", defaultText: "off",
            doc: "1-100000: during pretraining, every this many epochs (and at epoch 0) a fast linear probe (fixed L2 "
                + "`linear_probe.default_l2`, up to 1,000 labelled train users, scored on up to 1,000 labelled "
                + "validation users, drawn once per seed) scores the encoder on the first task; stored as metric "
                + "`probe_accuracy` (`probe_roc_auc` for a multi-label task) and drawn by `seqtwins report`; the "
                + "training itself is unchanged",
            read: { spec, value, path in spec.evalEvery = try SpecValue.int(value, path: path, range: 1...100_000) },
            methods: trainedMethods),
    ]

    /// The JSON keys a method of kind `name` accepts.
    static func keys(for name: MethodKind) -> [String] {
        fields.filter { $0.methods?.contains(name.rawValue) ?? true }.map(\.key)
    }

    /// The method `name` with every default of PROTOCOL.md section 4.
    public static func defaults(for name: MethodKind) -> MethodSpec {
        var spec = MethodSpec(name: name, label: name.rawValue)
        for field in fields where field.methods?.contains(name.rawValue) ?? false { field.applyDefault?(&spec) }
        return spec
    }

    /// A method with only a name and label set; see ``defaults(for:)`` for one with its defaults.
    public init(name: MethodKind, label: String) {
        self.name = name
        self.label = label
    }

    static func read(_ value: SpecJSON, path: String) throws -> MethodSpec {
        let reader = try SpecReader(value, path: path)
        let chosen = try SpecValue.choice(
            reader.required("name", expected: "one of \(ExperimentSpec.methodNames.joined(separator: ", "))"),
            path: reader.path("name"), allowed: ExperimentSpec.methodNames, what: "method")
        let name = MethodKind(rawValue: chosen)!  // `choice` allowed only the kinds' names
        var spec = defaults(for: name)
        try SpecFields.read(fields.filter { $0.methods?.contains(chosen) ?? true }, value, into: &spec, path: path,
                            context: " for method \"\(name)\"")
        if reader.value("epochs") != nil && reader.value("budget") != nil {
            throw ExperimentSpecError(
                path: reader.path("budget"),
                message: "given with \"epochs\"; give one of them (a budget in epochs is {\"epochs\": N})")
        }
        return spec
    }
}

extension BudgetSpec {
    /// The keys of `methods[].budget`: exactly one is given.
    static let fields: [SpecField<BudgetSpec>] = [
        .custom("epochs", default: "100", "1-100000: full passes over the pretraining users (as `methods[].epochs`)") {
            spec, value, path in spec = BudgetSpec(.epochs, try SpecValue.int(value, path: path, range: 1...100_000))
        },
        .custom("steps", default: "none",
                "1-100000000: optimiser steps; training stops after exactly this many (the last epoch may be partial)") {
            spec, value, path in spec = BudgetSpec(.steps, try SpecValue.int(value, path: path, range: 1...100_000_000))
        },
        .custom("examples", default: "none",
                "1-100000000000: examples seen; ⌈examples / batch⌉ steps of a full batch") {
            spec, value, path in
            spec = BudgetSpec(.examples, try SpecValue.int(value, path: path, range: 1...100_000_000_000))
        },
    ]

    static func read(_ value: SpecJSON, path: String) throws -> BudgetSpec {
        let reader = try SpecReader(value, path: path)
        let given = fields.map(\.key).filter { reader.value($0) != nil }
        guard given.count == 1 else {
            try reader.rejectUnknownKeys(fields.map(\.key))
            throw ExperimentSpecError(
                path: path,
                message: given.isEmpty
                    ? "expected exactly one of epochs, steps, examples, found none"
                    : "expected exactly one of epochs, steps, examples, found \(given.joined(separator: " and "))")
        }
        var spec = BudgetSpec(.epochs, 100)
        try SpecFields.read(fields, value, into: &spec, path: path)
        return spec
    }
}

extension SweepSpec {
    /// The augmentation rates a sweep may vary, as `augmentations.crop` etc. (methods with augmentations only).
    private static let augmentationRules: [(String, SweepRule<MethodSpec>)] = {
        let crop = SpecInterval(low: 0, high: 1, lowOpen: true)
        let mask = SpecInterval(low: 0, high: 1, highOpen: true)
        let reorder = SpecInterval(low: 0, high: 1)
        return [
            ("augmentations.crop", SweepRule(read: { try crop.read($0, path: $1) },
                                             apply: { $0.augmentations?.crop = $1 })),
            ("augmentations.mask", SweepRule(read: { try mask.read($0, path: $1) },
                                             apply: { $0.augmentations?.mask = $1 })),
            ("augmentations.reorder", SweepRule(read: { try reorder.read($0, path: $1) },
                                                apply: { $0.augmentations?.reorder = $1 })),
        ]
    }()

    /// How a list-valued parameter reads one value (to its items joined by `+`) and applies it.
    private struct ListRule: Sendable {
        let read: @Sendable (SpecJSON, String) throws -> String
        let apply: @Sendable (inout MethodSpec, String) -> Void
    }

    /// The list-valued parameters: projector widths (λ follows 1 / last width unless the method sets λ or λ is
    /// swept) and the set of enabled augmentations.
    private static let listRules: [(String, ListRule)] = [
        ("projector", ListRule(
            read: { value, path in
                let widths = try SpecValue.list(value, path: path, unique: false, describe: { "\($0)" }) {
                    try SpecValue.int($0, path: $1, range: 1...65536)
                }
                guard widths.count <= 8 else {
                    throw ExperimentSpecError(path: path, message: "\(widths.count) layers; expected 1 to 8 layer widths")
                }
                return widths.map(String.init).joined(separator: "+")
            },
            apply: { method, list in
                let widths = list.split(separator: "+").compactMap { Int($0) }
                guard let last = widths.last else { return }
                if let old = method.projector?.last, method.lambda == 1.0 / Double(old) {
                    method.lambda = 1.0 / Double(last)
                }
                method.projector = widths
            })),
        ("augmentations.enabled", ListRule(
            read: { value, path in
                try SpecValue.list(value, path: path, describe: { "\"\($0)\"" }) {
                    try SpecValue.choice($0, path: $1, allowed: AugmentationSpec.names, what: "augmentation")
                }.joined(separator: "+")
            },
            apply: { method, list in method.augmentations?.enabled = list.split(separator: "+").map(String.init) })),
    ]

    /// The parameters a sweep may vary, in the order series names list them: the sweepable method fields, the
    /// augmentation rates `augmentations.crop`, `augmentations.mask`, `augmentations.reorder`, then the list-valued
    /// `projector` (widths) and `augmentations.enabled` (a set).
    public static let parameters =
        MethodSpec.fields.filter { $0.sweep != nil }.map(\.key) + augmentationRules.map { $0.0 } + listRules.map { $0.0 }

    /// Whether `parameter` is a field of `method` (for example `lambda` of `barlow_twins` only).
    public static func applies(_ parameter: String, to method: MethodSpec) -> Bool {
        let key = parameter.hasPrefix("augmentations.") ? "augmentations" : parameter
        return MethodSpec.keys(for: method.name).contains(key)
    }

    /// The sweep rule of `parameter`.
    private static func rule(_ parameter: String) -> SweepRule<MethodSpec>? {
        MethodSpec.fields.first { $0.key == parameter }?.sweep
            ?? augmentationRules.first { $0.0 == parameter }?.1
    }

    /// The keys of `sweep`.
    static let fields: [SpecField<SweepSpec>] = [
        .custom("parameter", default: "required unless `grid`",
                "one method field to vary: " + parameters.map { "`\($0)`" }.joined(separator: ", ")) { _, _, _ in },
        .custom("values", default: "required with `parameter`",
                "non-empty, without duplicates, each in the field's own range; one pretraining per value") { _, _, _ in },
        .custom("grid", default: "none",
                "instead of `parameter` and `values`: an object of parameters to value lists; one pretraining per "
                    + "point of the cartesian grid of the parameters that apply to the method, named "
                    + "`label[p=v,q=w]` (parameters in the order above)") { _, _, _ in },
        .custom("methods", default: "every method a parameter applies to", "the labels of the swept methods") {
            _, _, _ in
        },
    ]

    static func read(_ value: SpecJSON, path: String) throws -> SweepSpec {
        try read(value, path: path, methods: nil)
    }

    /// Reads one axis: the values of `parameter` at `path`.
    private static func axis(_ parameter: String, _ value: SpecJSON, path: String) throws -> Axis {
        if let listRule = listRules.first(where: { $0.0 == parameter })?.1 {
            let lists = try SpecValue.list(value, path: path, describe: { "[\($0.replacingOccurrences(of: "+", with: ", "))]" }) {
                try listRule.read($0, $1)
            }
            return Axis(parameter: parameter, lists: lists)
        }
        let rule = Self.rule(parameter)!
        let values = try SpecValue.list(value, path: path, describe: { SpecJSON.format($0) }) { try rule.read($0, $1) }
        return Axis(parameter: parameter, values: values)
    }

    /// Reads the sweep; with `methods` given, checks that every swept label exists and takes a swept parameter,
    /// and defaults the swept methods to every method a parameter applies to.
    static func read(_ value: SpecJSON, path: String, methods: [MethodSpec]?) throws -> SweepSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(fields.map(\.key))
        var axes: [Axis]
        if let grid = reader.value("grid") {
            for key in ["parameter", "values"] where reader.value(key) != nil {
                throw ExperimentSpecError(
                    path: reader.path(key), message: "not used with \"grid\"; give either grid or parameter and values")
            }
            let gridReader = try SpecReader(grid, path: reader.path("grid"))
            try gridReader.rejectUnknownKeys(parameters, context: " (sweep parameter)")
            axes = try parameters.compactMap { parameter in
                try gridReader.value(parameter).map { try axis(parameter, $0, path: gridReader.path(parameter)) }
            }
            guard !axes.isEmpty else {
                throw ExperimentSpecError(
                    path: reader.path("grid"),
                    message: "expected at least one parameter with its values; allowed: "
                        + parameters.joined(separator: ", "))
            }
        } else {
            let parameter = try SpecValue.choice(
                reader.required("parameter", expected: "one of \(parameters.joined(separator: ", ")) (or a grid)"),
                path: reader.path("parameter"), allowed: parameters, what: "sweep parameter")
            axes = [try axis(parameter, reader.required("values", expected: "a non-empty list of values of \(parameter)"),
                             path: reader.path("values"))]
        }
        let swept = axes.map(\.parameter)
        let named = swept.count == 1 ? swept[0] : "any of " + swept.joined(separator: ", ")
        let applicable = methods?.filter { method in swept.contains { applies($0, to: method) } }.map(\.label)
        var labels: [String]
        if let listed = reader.value("methods") {
            let allowed = applicable ?? []
            labels = try SpecValue.list(listed, path: reader.path("methods"), describe: { "\"\($0)\"" }) {
                item, itemPath in
                let label = try SpecValue.string(item, path: itemPath)
                if let methods, !allowed.contains(label) {
                    let known = methods.map(\.label)
                    let message =
                        known.contains(label)
                        ? "method \"\(label)\" has no \(named); allowed: \(allowed.joined(separator: ", "))"
                        : "unknown method label \"\(label)\"; allowed: \(allowed.joined(separator: ", "))"
                    throw ExperimentSpecError(path: itemPath, message: message)
                }
                return label
            }
        } else {
            labels = applicable ?? []
        }
        if let methods, labels.isEmpty {
            let takers = MethodKind.allCases.filter { name in
                swept.contains { applies($0, to: MethodSpec(name: name, label: name.rawValue)) }
            }.map(\.rawValue)
            throw ExperimentSpecError(
                path: reader.value("grid") == nil ? reader.path("parameter") : reader.path("grid"),
                message:
                    "\"\(swept.joined(separator: ", "))\" applies to none of the methods "
                    + "(\(methods.map(\.label).joined(separator: ", "))); "
                    + "it applies to \(takers.joined(separator: ", "))")
        }
        return SweepSpec(axes: axes, methods: labels)
    }

    /// The method with `parameter` set to `value`.
    public func applying(_ value: Double, to method: MethodSpec) -> MethodSpec {
        applying([SweepPoint(parameter: parameter, value: value)], to: method)
    }

    /// The method with every point's parameter set to its value.
    public func applying(_ points: [SweepPoint], to method: MethodSpec) -> MethodSpec {
        var method = method
        // Lists first: a projector sets λ's default, which a swept λ then overrides.
        for point in points {
            if let list = point.list { Self.listRules.first { $0.0 == point.parameter }?.1.apply(&method, list) }
        }
        for point in points where point.list == nil { Self.rule(point.parameter)?.apply(&method, point.value) }
        return method
    }

    /// The sweep points of `method`: `[]` (one unswept variant) when it is not swept, else the cartesian grid of
    /// the axes that apply to it, the first axis varying slowest.
    public func points(for method: MethodSpec) -> [[SweepPoint]] {
        guard methods.contains(method.label) else { return [[]] }
        var grid: [[SweepPoint]] = [[]]
        for axis in axes where Self.applies(axis.parameter, to: method) {
            grid = grid.flatMap { prefix in
                axis.lists.map { lists in lists.map { prefix + [SweepPoint(parameter: axis.parameter, list: $0)] } }
                    ?? axis.values.map { prefix + [SweepPoint(parameter: axis.parameter, value: $0)] }
            }
        }
        return grid
    }
}

extension FineTuneSpec {
    /// The keys of `fine_tune`.
    static let fields: [SpecField<FineTuneSpec>] = {
        let defaults = FineTuneSpec()
        return [
            .int("epochs", \.epochs, 1...10_000, defaults: defaults, "the encoder plus a linear head, trained end to end"),
            .double("lr", \.lr, SpecInterval(low: 0, high: 10, lowOpen: true, float32: true), defaults: defaults,
                    "learning rate"),
            .int("patience", \.patience, 1...1000, defaults: defaults,
                 "early stopping: epochs without a better validation accuracy"),
            .int("batch_size", \.batchSize, 1...65536, defaults: defaults, "batch size"),
            .custom("lr_grid", default: "none (`lr` alone)",
                    "learning rates, each in (0, 10], no duplicates: one fine-tuning per rate (early stopping each), "
                        + "the best validation score picks the rate (as `linear_probe.l2_grid` picks L2); "
                        + "not with `lr`") {
                spec, value, path in
                spec.lrGrid = try SpecValue.list(value, path: path, describe: { SpecJSON.format($0) }) {
                    try SpecValue.double($0, path: $1, low: 0, high: 10, lowOpen: true, float32: true)
                }
            },
            .choice("init", \.initialization, ["random", "probe"], what: "head initialisation", defaults: defaults,
                    "the head starts at zero, or from the linear probe fitted on the pretrained embeddings "
                        + "(probe-then-fine-tune, with the `linear_probe` settings)"),
            .choice("optimizer", \.optimizer, ["adamw", "lazy_adamw"], what: "optimizer", defaults: defaults,
                    "AdamW over every parameter, or lazy AdamW that updates (and clips) only the item embedding rows "
                        + "a step touched, O(rows touched) instead of O(vocabulary); see Lazy AdamW"),
        ]
    }()

    static func read(_ value: SpecJSON, path: String) throws -> FineTuneSpec {
        var spec = FineTuneSpec()
        try SpecFields.read(fields, value, into: &spec, path: path)
        let reader = try SpecReader(value, path: path)
        if reader.value("lr") != nil && reader.value("lr_grid") != nil {
            throw ExperimentSpecError(
                path: reader.path("lr_grid"), message: "give either lr or lr_grid, not both (lr_grid replaces lr)")
        }
        return spec
    }

    /// Encodes every field but `lr` when `lr_grid` replaces it, so the encoded form decodes back to an equal value;
    /// `optimizer` only when it is not the default, so the resolved specs and payloads of experiments that do not set
    /// it stay as they were (and workers of earlier versions still read them).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epochs, forKey: .epochs)
        if lrGrid == nil { try container.encode(lr, forKey: .lr) }
        try container.encode(patience, forKey: .patience)
        try container.encode(batchSize, forKey: .batchSize)
        try container.encodeIfPresent(lrGrid, forKey: .lrGrid)
        try container.encode(initialization, forKey: .initialization)
        if optimizer != FineTuneSpec().optimizer { try container.encode(optimizer, forKey: .optimizer) }
    }
}

extension LinearProbeSpec {
    /// The keys of `linear_probe` (PROTOCOL.md section 5).
    static let fields: [SpecField<LinearProbeSpec>] = {
        let defaults = LinearProbeSpec()
        return [
            .custom("l2_grid", default: "`[" + defaults.l2Grid.map(SpecJSON.format).joined(separator: ", ") + "]`",
                    "L2 strengths of the multinomial logistic probe, each in (0, 1e6], picked on validation labels") {
                spec, value, path in
                spec.l2Grid = try SpecValue.list(value, path: path, describe: { SpecJSON.format($0) }) {
                    try SpecValue.double($0, path: $1, low: 0, high: 1e6, lowOpen: true)
                }
            },
            .double("default_l2", \.defaultL2, SpecInterval(low: 0, high: 1e6, lowOpen: true), defaults: defaults,
                    "the L2 strength when there are too few validation labels"),
            .int("min_validation_labels", \.minValidationLabels, 0...1_000_000, defaults: defaults,
                 "the fewest validation labels with which the grid is searched"),
        ]
    }()

    static func read(_ value: SpecJSON, path: String) throws -> LinearProbeSpec {
        var spec = LinearProbeSpec()
        try SpecFields.read(fields, value, into: &spec, path: path)
        return spec
    }
}
