extension Preprocessing {
    /// Spec keys (snake_case, as in PROTOCOL.md): `min_sequence_length`, `k_core`, `max_length`,
    /// `history_fraction`, `label_categories`, `train_fraction`, `validation_fraction`, `seed`.
    enum CodingKeys: String, CodingKey {
        case minSequenceLength = "min_sequence_length"
        case kCore = "k_core"
        case maxLength = "max_length"
        case historyFraction = "history_fraction"
        case labelCategories = "label_categories"
        case trainFraction = "train_fraction"
        case validationFraction = "validation_fraction"
        case seed
    }

    /// Decodes a spec object; every key is optional and defaults to the protocol's value.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Preprocessing()
        self.init(
            minSequenceLength: try container.decodeIfPresent(Int.self, forKey: .minSequenceLength)
                ?? defaults.minSequenceLength,
            kCore: try container.decodeIfPresent(Int.self, forKey: .kCore),
            maxLength: try container.decodeIfPresent(Int.self, forKey: .maxLength) ?? defaults.maxLength,
            historyFraction: try container.decodeIfPresent(Double.self, forKey: .historyFraction)
                ?? defaults.historyFraction,
            labelCategories: try container.decodeIfPresent(Int.self, forKey: .labelCategories)
                ?? defaults.labelCategories,
            trainFraction: try container.decodeIfPresent(Double.self, forKey: .trainFraction) ?? defaults.trainFraction,
            validationFraction: try container.decodeIfPresent(Double.self, forKey: .validationFraction)
                ?? defaults.validationFraction,
            seed: try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed)
    }
}

extension Augmentations {
    /// Spec keys: `crop`, `mask`, `reorder` (rates; JSON null disables one).
    enum CodingKeys: String, CodingKey {
        case cropRate = "crop"
        case maskRate = "mask"
        case reorderRate = "reorder"
    }

    /// Decodes a spec object; a missing key keeps the protocol's default rate, `null` disables the augmentation.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = Augmentations()
        func rate(_ key: CodingKeys, _ fallback: Double?) throws -> Double? {
            guard container.contains(key) else { return fallback }
            return try container.decodeNil(forKey: key) ? nil : try container.decode(Double.self, forKey: key)
        }
        self.init(
            cropRate: try rate(.cropRate, defaults.cropRate), maskRate: try rate(.maskRate, defaults.maskRate),
            reorderRate: try rate(.reorderRate, defaults.reorderRate))
    }

    /// Encodes the rates, writing `null` for a disabled augmentation.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(cropRate, forKey: .cropRate)
        try container.encode(maskRate, forKey: .maskRate)
        try container.encode(reorderRate, forKey: .reorderRate)
    }
}

extension DatasetSpec {
    enum CodingKeys: String, CodingKey {
        case kind, path, options
    }

    /// Decodes `{"kind": "movielens1m", "path": "...", "options": {...}}`; `options` may be absent.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kind: try container.decode(Kind.self, forKey: .kind),
            path: try container.decode(String.self, forKey: .path),
            options: try container.decodeIfPresent([String: String].self, forKey: .options) ?? [:])
    }
}
