/// How an `InteractionDataset` becomes a `PreparedDataset` (PROTOCOL.md section 1). Defaults are the protocol's.
public struct Preprocessing: Sendable, Hashable, Codable {
    /// Users with fewer interactions are dropped (after k-core filtering).
    public var minSequenceLength: Int = 5
    /// When set, iteratively drop items with fewer than `kCore` interactions and users with fewer than
    /// `max(kCore, minSequenceLength)` until both hold.
    public var kCore: Int? = nil
    /// The encoder sees the last `maxLength` items of a history.
    public var maxLength: Int = 50
    /// The first `floor(historyFraction · L)` interactions of a user (clamped to 1...L-1) are the history.
    public var historyFraction: Double = 0.8
    /// Size of the label-category vocabulary.
    public var labelCategories: Int = 20
    /// Fractions of users in train and validation; the rest is test.
    public var trainFraction: Double = 0.7
    /// See `trainFraction`.
    public var validationFraction: Double = 0.1
    /// Seeds the user split (and, through `PreparedDataset.generator`, everything derived from it).
    public var seed: UInt64 = 0

    /// The protocol's defaults, with any field overridden through the memberwise-style parameters.
    public init(
        minSequenceLength: Int = 5, kCore: Int? = nil, maxLength: Int = 50, historyFraction: Double = 0.8,
        labelCategories: Int = 20, trainFraction: Double = 0.7, validationFraction: Double = 0.1,
        seed: UInt64 = 0
    ) {
        self.minSequenceLength = minSequenceLength
        self.kCore = kCore
        self.maxLength = maxLength
        self.historyFraction = historyFraction
        self.labelCategories = labelCategories
        self.trainFraction = trainFraction
        self.validationFraction = validationFraction
        self.seed = seed
    }

    /// Throws a `DatasetRequestError` naming the first out-of-range field.
    public func validate() throws {
        guard minSequenceLength >= 2 else { throw DatasetRequestError("min_sequence_length must be at least 2") }
        if let kCore, kCore < 1 { throw DatasetRequestError("k_core must be at least 1") }
        guard maxLength >= 1 else { throw DatasetRequestError("max_length must be at least 1") }
        guard historyFraction > 0 && historyFraction < 1 else {
            throw DatasetRequestError("history_fraction must be in (0, 1)")
        }
        guard labelCategories >= 2 else { throw DatasetRequestError("label_categories must be at least 2") }
        guard trainFraction > 0, validationFraction >= 0, trainFraction + validationFraction < 1 else {
            throw DatasetRequestError("train and validation fractions must be positive and sum below 1")
        }
    }
}

/// Which part of the user split a user belongs to.
public enum UserSplit: Int8, Sendable, Hashable, Codable, CaseIterable {
    /// Train users: pretraining and labelled subsets.
    case train
    /// Validation users: model selection.
    case validation
    /// Test users: reported metrics.
    case test
}
