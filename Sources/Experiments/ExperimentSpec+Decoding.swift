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

    /// The JSON keys of the top level, in documentation order.
    static let keys = [
        "name", "description", "dataset", "preprocessing", "encoder", "methods", "tasks", "protocols",
        "label_fractions", "seeds", "baseline", "sweep", "fine_tune", "linear_probe",
    ]

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
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(keys)
        let name = try readName(reader.required("name", expected: "the experiment's name"), path: reader.path("name"))
        let description =
            try reader.value("description").map {
                try SpecValue.string($0, path: reader.path("description"), nonEmpty: false,
                                     maxLength: maxDescriptionLength)
            } ?? ""
        let dataset = try DatasetSpec.read(
            reader.required("dataset", expected: "an object with the name of an imported dataset, or a kind ("
                            + datasetKinds.joined(separator: ", ") + ")"),
            path: reader.path("dataset"))
        let preprocessing =
            try reader.value("preprocessing").map {
                try PreprocessingSpec.read($0, path: reader.path("preprocessing"))
            } ?? PreprocessingSpec()
        let encoder =
            try reader.value("encoder").map { try EncoderSpec.read($0, path: reader.path("encoder")) }
            ?? EncoderSpec()
        let methods =
            try reader.value("methods").map { value in
                try SpecValue.list(value, path: reader.path("methods"), unique: false, describe: { "\($0.label)" }) {
                    try MethodSpec.read($0, path: $1)
                }
            } ?? methodNames.map { MethodSpec.defaults(for: $0) }
        let labels = methods.map(\.label)
        for (index, label) in labels.enumerated() {
            if let first = labels.firstIndex(of: label), first < index {
                throw ExperimentSpecError(
                    path: "\(reader.path("methods"))[\(index)].label",
                    message:
                        "duplicate method label \"\(label)\" (also methods[\(first)]); give each method a unique label")
            }
        }
        let tasks =
            try reader.value("tasks").map { value in
                try SpecValue.list(value, path: reader.path("tasks"), describe: { "\"\($0)\"" }) {
                    try SpecValue.choice($0, path: $1, allowed: taskNames, what: "task")
                }
            } ?? defaultTasks
        let protocols =
            try reader.value("protocols").map { value in
                try SpecValue.list(value, path: reader.path("protocols"), describe: { "\"\($0)\"" }) {
                    try SpecValue.choice($0, path: $1, allowed: protocolNames, what: "protocol")
                }
            } ?? protocolNames
        let fractions =
            try reader.value("label_fractions").map { value in
                try SpecValue.list(value, path: reader.path("label_fractions"), describe: { SpecJSON.format($0) }) {
                    try SpecValue.double($0, path: $1, low: 0, high: 1, lowOpen: true)
                }
            } ?? defaultLabelFractions
        let seeds = try readSeeds(reader.value("seeds"), path: reader.path("seeds"))
        let baseline: String?
        if let value = reader.value("baseline") {
            baseline = try SpecValue.choice(
                value, path: reader.path("baseline"), allowed: labels, what: "baseline method")
        } else {
            baseline = labels.contains("dual_encoder") ? "dual_encoder" : nil
        }
        let sweep = try reader.value("sweep").map {
            try SweepSpec.read($0, path: reader.path("sweep"), methods: methods)
        }
        let fineTune =
            try reader.value("fine_tune").map { try FineTuneSpec.read($0, path: reader.path("fine_tune")) }
            ?? FineTuneSpec()
        let linearProbe =
            try reader.value("linear_probe").map {
                try LinearProbeSpec.read($0, path: reader.path("linear_probe"))
            } ?? LinearProbeSpec()
        return ExperimentSpec(
            name: name, description: description, dataset: dataset, preprocessing: preprocessing, encoder: encoder,
            methods: methods, tasks: tasks, protocols: protocols, labelFractions: fractions, seeds: seeds,
            baseline: baseline, sweep: sweep, fineTune: fineTune, linearProbe: linearProbe)
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
    static func read(_ value: SpecJSON, path: String) throws -> DatasetSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(["name", "kind", "path", "item_attributes", "synthetic"])
        if let nameValue = reader.value("name") {
            let name = try SpecValue.string(nameValue, path: reader.path("name"))
            guard name.utf8.count <= 100,
                name.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "_.-".unicodeScalars.contains($0)) })
            else {
                throw ExperimentSpecError(
                    path: reader.path("name"),
                    message: "expected a dataset name (1 to 100 characters from A-Z a-z 0-9 _ - .), found "
                        + "\"\(SpecJSONParser.quoted(name))\"")
            }
            for key in ["path", "item_attributes", "synthetic"] where reader.value(key) != nil {
                throw ExperimentSpecError(
                    path: reader.path(key),
                    message: "not used with dataset.name (the dataset is already imported); remove one of them")
            }
            let kind = try reader.value("kind").map {
                try SpecValue.choice($0, path: reader.path("kind"), allowed: ExperimentSpec.datasetKinds.filter { $0 != "synthetic" },
                                     what: "dataset kind")
            }
            return DatasetSpec(name: name, kind: kind)
        }
        let kind = try SpecValue.choice(
            reader.required("kind", expected: "the name of an imported dataset (\"name\"), or a kind: one of "
                            + ExperimentSpec.datasetKinds.joined(separator: ", ")),
            path: reader.path("kind"), allowed: ExperimentSpec.datasetKinds, what: "dataset kind")
        var spec = DatasetSpec(kind: kind)
        if kind == "synthetic" {
            for key in ["path", "item_attributes"] where reader.value(key) != nil {
                throw ExperimentSpecError(
                    path: reader.path(key), message: "not used by dataset kind \"synthetic\"; remove it")
            }
            spec.synthetic =
                try reader.value("synthetic").map { try SyntheticSpec.read($0, path: reader.path("synthetic")) }
                ?? SyntheticSpec()
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
        spec.path = try SpecValue.string(reader.required("path", expected: expected), path: reader.path("path"),
                                         maxLength: ExperimentSpec.maxPathLength)
        if let attributes = reader.value("item_attributes") {
            guard kind == "sequences" else {
                throw ExperimentSpecError(
                    path: reader.path("item_attributes"),
                    message: "only used by dataset kind \"sequences\", not \"\(kind)\"")
            }
            spec.itemAttributes = try SpecValue.string(attributes, path: reader.path("item_attributes"),
                                                       maxLength: ExperimentSpec.maxPathLength)
        }
        return spec
    }
}

extension SyntheticSpec {
    /// The most interactions (users × mean sequence length) a synthetic dataset may have: ten times MovieLens-20M,
    /// which every worker and `enqueue --dry-run` generate in memory.
    public static let maxInteractions = 200_000_000

    static func read(_ value: SpecJSON, path: String) throws -> SyntheticSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(["users", "items", "categories", "mean_sequence_length", "seed"])
        var spec = SyntheticSpec()
        if let v = reader.value("users") {
            spec.users = try SpecValue.int(v, path: reader.path("users"), range: 10...10_000_000)
        }
        if let v = reader.value("items") {
            spec.items = try SpecValue.int(v, path: reader.path("items"), range: 10...10_000_000)
        }
        if let v = reader.value("categories") {
            spec.categories = try SpecValue.int(v, path: reader.path("categories"), range: 2...1000)
        }
        if let v = reader.value("mean_sequence_length") {
            spec.meanSequenceLength = try SpecValue.int(v, path: reader.path("mean_sequence_length"), range: 5...10_000)
        }
        if let v = reader.value("seed") {
            spec.seed = try SpecValue.int(v, path: reader.path("seed"), range: 0...Int(Int32.max))
        }
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
    static func read(_ value: SpecJSON, path: String) throws -> PreprocessingSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys([
            "min_sequence_length", "k_core", "max_length", "history_fraction",
            "label_categories", "pretrain_users",
        ])
        var spec = PreprocessingSpec()
        if let v = reader.value("min_sequence_length") {
            spec.minSequenceLength = try SpecValue.int(v, path: reader.path("min_sequence_length"), range: 2...1000)
        }
        if let v = reader.value("k_core") {
            spec.kCore = try SpecValue.int(v, path: reader.path("k_core"), range: 1...1000)
        }
        if let v = reader.value("max_length") {
            spec.maxLength = try SpecValue.int(v, path: reader.path("max_length"), range: 1...4096)
        }
        if let v = reader.value("history_fraction") {
            spec.historyFraction = try SpecValue.double(
                v, path: reader.path("history_fraction"), low: 0, high: 1, lowOpen: true, highOpen: true)
        }
        if let v = reader.value("label_categories") {
            spec.labelCategories = try SpecValue.int(v, path: reader.path("label_categories"), range: 2...1000)
        }
        if let v = reader.value("pretrain_users") {
            spec.pretrainUsers = try SpecValue.choice(
                v, path: reader.path("pretrain_users"), allowed: ["train", "all"], what: "pretrain_users value")
        }
        return spec
    }
}

extension EncoderSpec {
    static func read(_ value: SpecJSON, path: String) throws -> EncoderSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(["kind", "d", "blocks", "heads", "ff", "dropout"])
        var spec = EncoderSpec()
        if let v = reader.value("kind") {
            spec.kind = try SpecValue.choice(
                v, path: reader.path("kind"), allowed: ["transformer", "mean_pool"],
                what: "encoder kind")
        }
        if let v = reader.value("d") { spec.d = try SpecValue.int(v, path: reader.path("d"), range: 1...4096) }
        if let v = reader.value("blocks") {
            spec.blocks = try SpecValue.int(v, path: reader.path("blocks"), range: 1...64)
        }
        if let v = reader.value("heads") {
            spec.heads = try SpecValue.int(v, path: reader.path("heads"), range: 1...64)
        }
        if let v = reader.value("ff") { spec.ff = try SpecValue.int(v, path: reader.path("ff"), range: 1...65536) }
        if let v = reader.value("dropout") {
            spec.dropout = try SpecValue.double(v, path: reader.path("dropout"), low: 0, high: 1, highOpen: true,
                                                float32: true)
        }
        if spec.d % spec.heads != 0 {
            throw ExperimentSpecError(
                path: reader.path("heads"),
                message: "\(spec.heads) heads do not divide d = \(spec.d); expected a divisor of \(spec.d)")
        }
        return spec
    }
}

extension AugmentationSpec {
    static func read(_ value: SpecJSON, path: String) throws -> AugmentationSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(["crop", "mask", "reorder", "enabled"])
        var spec = AugmentationSpec()
        if let v = reader.value("crop") {
            spec.crop = try SpecValue.double(v, path: reader.path("crop"), low: 0, high: 1, lowOpen: true)
        }
        if let v = reader.value("mask") {
            spec.mask = try SpecValue.double(v, path: reader.path("mask"), low: 0, high: 1, highOpen: true)
        }
        if let v = reader.value("reorder") {
            spec.reorder = try SpecValue.double(v, path: reader.path("reorder"), low: 0, high: 1)
        }
        if let v = reader.value("enabled") {
            spec.enabled = try SpecValue.list(v, path: reader.path("enabled"), describe: { "\"\($0)\"" }) {
                try SpecValue.choice($0, path: $1, allowed: AugmentationSpec.names, what: "augmentation")
            }
        }
        return spec
    }
}

extension MethodSpec {
    /// The JSON keys a method of `name` accepts.
    static func keys(for name: String) -> [String] {
        let trained = ["name", "label", "epochs", "batch_size", "lr", "weight_decay", "warmup_fraction"]
        switch name {
        case "barlow_twins": return trained + ["lambda", "projector", "augmentations"]
        case "contrastive": return trained + ["temperature", "augmentations"]
        case "dual_encoder": return trained + ["temperature"]
        case "bag_of_items": return ["name", "label", "hash_buckets"]
        default: return ["name", "label"]
        }
    }

    /// The method `name` with every default of PROTOCOL.md section 4.
    public static func defaults(for name: String) -> MethodSpec {
        var spec = MethodSpec(name: name, label: name)
        let keys = keys(for: name)
        if keys.contains("epochs") {
            spec.epochs = 100
            spec.batchSize = 256
            spec.lr = 1e-3
            spec.weightDecay = 1e-6
            spec.warmupFraction = 0.05
        }
        if keys.contains("projector") { spec.projector = [256, 256, 256] }
        if keys.contains("lambda") { spec.lambda = 1.0 / 256 }
        if keys.contains("temperature") { spec.temperature = 0.1 }
        if keys.contains("augmentations") { spec.augmentations = AugmentationSpec() }
        if keys.contains("hash_buckets") { spec.hashBuckets = 256 }
        return spec
    }

    /// A method with only a name and label set; see ``defaults(for:)`` for one with its defaults.
    public init(name: String, label: String) {
        self.name = name
        self.label = label
    }

    static func read(_ value: SpecJSON, path: String) throws -> MethodSpec {
        let reader = try SpecReader(value, path: path)
        let name = try SpecValue.choice(
            reader.required("name", expected: "one of \(ExperimentSpec.methodNames.joined(separator: ", "))"),
            path: reader.path("name"), allowed: ExperimentSpec.methodNames, what: "method")
        try reader.rejectUnknownKeys(keys(for: name), context: " for method \"\(name)\"")
        var spec = defaults(for: name)
        if let v = reader.value("label") { spec.label = try readName(v, path: reader.path("label")) }
        if let v = reader.value("epochs") {
            spec.epochs = try SpecValue.int(v, path: reader.path("epochs"), range: 1...100_000)
        }
        if let v = reader.value("batch_size") {
            spec.batchSize = try SpecValue.int(v, path: reader.path("batch_size"), range: 2...65536)
        }
        if let v = reader.value("lr") {
            spec.lr = try SpecValue.double(v, path: reader.path("lr"), low: 0, high: 10, lowOpen: true, float32: true)
        }
        if let v = reader.value("weight_decay") {
            spec.weightDecay = try SpecValue.double(v, path: reader.path("weight_decay"), low: 0, high: 1,
                                                    float32: true)
        }
        if let v = reader.value("warmup_fraction") {
            spec.warmupFraction = try SpecValue.double(
                v, path: reader.path("warmup_fraction"), low: 0, high: 1, highOpen: true)
        }
        if let v = reader.value("projector") {
            let widths = try SpecValue.list(v, path: reader.path("projector"), unique: false, describe: { "\($0)" }) {
                try SpecValue.int($0, path: $1, range: 1...65536)
            }
            guard widths.count <= 8 else {
                throw ExperimentSpecError(
                    path: reader.path("projector"),
                    message: "\(widths.count) layers; expected 1 to 8 layer widths")
            }
            spec.projector = widths
            spec.lambda = 1.0 / Double(widths.last!)
        }
        if let v = reader.value("lambda") {
            spec.lambda = try SpecValue.double(v, path: reader.path("lambda"), low: 0, high: 100, lowOpen: true,
                                               float32: true)
        }
        if let v = reader.value("temperature") {
            spec.temperature = try SpecValue.double(
                v, path: reader.path("temperature"), low: 0, high: 100, lowOpen: true, float32: true)
        }
        if let v = reader.value("augmentations") {
            spec.augmentations = try AugmentationSpec.read(v, path: reader.path("augmentations"))
        }
        if let v = reader.value("hash_buckets") {
            spec.hashBuckets = try SpecValue.int(v, path: reader.path("hash_buckets"), range: 1...1_048_576)
        }
        return spec
    }
}

extension SweepSpec {
    /// Whether `parameter` is a field of `method` (for example `lambda` of `barlow_twins` only).
    public static func applies(_ parameter: String, to method: MethodSpec) -> Bool {
        MethodSpec.keys(for: method.name).contains(parameter)
    }

    /// Checks one value of `parameter` against the range of the method field it replaces.
    static func readValue(_ value: SpecJSON, path: String, parameter: String) throws -> Double {
        switch parameter {
        case "batch_size": return Double(try SpecValue.int(value, path: path, range: 2...65536))
        case "epochs": return Double(try SpecValue.int(value, path: path, range: 1...100_000))
        case "lr": return try SpecValue.double(value, path: path, low: 0, high: 10, lowOpen: true, float32: true)
        case "weight_decay": return try SpecValue.double(value, path: path, low: 0, high: 1, float32: true)
        case "warmup_fraction": return try SpecValue.double(value, path: path, low: 0, high: 1, highOpen: true)
        default: return try SpecValue.double(value, path: path, low: 0, high: 100, lowOpen: true, float32: true)
        }
    }

    static func read(_ value: SpecJSON, path: String) throws -> SweepSpec {
        try read(value, path: path, methods: nil)
    }

    /// Reads the sweep; with `methods` given, checks that every swept label exists and takes the parameter, and
    /// defaults the swept methods to every method the parameter applies to.
    static func read(_ value: SpecJSON, path: String, methods: [MethodSpec]?) throws -> SweepSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(["parameter", "values", "methods"])
        let parameter = try SpecValue.choice(
            reader.required("parameter", expected: "one of \(parameters.joined(separator: ", "))"),
            path: reader.path("parameter"), allowed: parameters, what: "sweep parameter")
        let values = try SpecValue.list(
            reader.required("values", expected: "a non-empty list of values of \(parameter)"),
            path: reader.path("values"), describe: { SpecJSON.format($0) }
        ) { try readValue($0, path: $1, parameter: parameter) }
        let applicable = methods?.filter { applies(parameter, to: $0) }.map(\.label)
        var swept: [String]
        if let listed = reader.value("methods") {
            let allowed = applicable ?? []
            swept = try SpecValue.list(listed, path: reader.path("methods"), describe: { "\"\($0)\"" }) {
                item, itemPath in
                let label = try SpecValue.string(item, path: itemPath)
                if let methods, !allowed.contains(label) {
                    let known = methods.map(\.label)
                    let message =
                        known.contains(label)
                        ? "method \"\(label)\" has no \(parameter); allowed: \(allowed.joined(separator: ", "))"
                        : "unknown method label \"\(label)\"; allowed: \(allowed.joined(separator: ", "))"
                    throw ExperimentSpecError(path: itemPath, message: message)
                }
                return label
            }
        } else {
            swept = applicable ?? []
        }
        if let methods, swept.isEmpty {
            let takers = ExperimentSpec.methodNames.filter { MethodSpec.keys(for: $0).contains(parameter) }
            throw ExperimentSpecError(
                path: reader.path("parameter"),
                message:
                    "\"\(parameter)\" applies to none of the methods "
                    + "(\(methods.map(\.label).joined(separator: ", "))); "
                    + "it applies to \(takers.joined(separator: ", "))")
        }
        return SweepSpec(parameter: parameter, values: values, methods: swept)
    }

    /// The method with `parameter` set to `value`.
    public func applying(_ value: Double, to method: MethodSpec) -> MethodSpec {
        var method = method
        switch parameter {
        case "batch_size": method.batchSize = Int(value)
        case "epochs": method.epochs = Int(value)
        case "lr": method.lr = value
        case "weight_decay": method.weightDecay = value
        case "warmup_fraction": method.warmupFraction = value
        case "lambda": method.lambda = value
        case "temperature": method.temperature = value
        default: break
        }
        return method
    }
}

extension FineTuneSpec {
    static func read(_ value: SpecJSON, path: String) throws -> FineTuneSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(["epochs", "lr", "patience", "batch_size"])
        var spec = FineTuneSpec()
        if let v = reader.value("epochs") {
            spec.epochs = try SpecValue.int(v, path: reader.path("epochs"), range: 1...10_000)
        }
        if let v = reader.value("lr") {
            spec.lr = try SpecValue.double(v, path: reader.path("lr"), low: 0, high: 10, lowOpen: true, float32: true)
        }
        if let v = reader.value("patience") {
            spec.patience = try SpecValue.int(v, path: reader.path("patience"), range: 1...1000)
        }
        if let v = reader.value("batch_size") {
            spec.batchSize = try SpecValue.int(v, path: reader.path("batch_size"), range: 1...65536)
        }
        return spec
    }
}

extension LinearProbeSpec {
    static func read(_ value: SpecJSON, path: String) throws -> LinearProbeSpec {
        let reader = try SpecReader(value, path: path)
        try reader.rejectUnknownKeys(["l2_grid", "default_l2", "min_validation_labels"])
        var spec = LinearProbeSpec()
        if let v = reader.value("l2_grid") {
            spec.l2Grid = try SpecValue.list(v, path: reader.path("l2_grid"), describe: { SpecJSON.format($0) }) {
                try SpecValue.double($0, path: $1, low: 0, high: 1e6, lowOpen: true)
            }
        }
        if let v = reader.value("default_l2") {
            spec.defaultL2 = try SpecValue.double(v, path: reader.path("default_l2"), low: 0, high: 1e6, lowOpen: true)
        }
        if let v = reader.value("min_validation_labels") {
            spec.minValidationLabels = try SpecValue.int(
                v, path: reader.path("min_validation_labels"), range: 0...1_000_000)
        }
        return spec
    }
}
