import Randomness

/// A dataset ready for training and evaluation (PROTOCOL.md section 1), built purely from an
/// `InteractionDataset` and a `Preprocessing`.
///
/// - Items have dense ids `1...itemCount`; `0` is padding and `itemCount + 1` (`maskToken`) the mask token.
/// - User `u` (0-based, users with too few interactions removed) has the sequence `items[offsets[u] ..<
///   offsets[u + 1]]` in (timestamp, file order); its first `historyLengths[u]` items are the history, the
///   rest (at least one) the future.
/// - `splits[u]` is the user's part of the seeded 70/10/20 user split.
public struct PreparedDataset: Sendable {
    /// The source dataset's name.
    public var name: String
    /// The configuration it was built with.
    public var config: Preprocessing
    /// Number of distinct items (dense ids `1...itemCount`).
    public var itemCount: Int
    /// `[userCount + 1]` offsets into `items`, `timestamps`, `ratings`.
    public var offsets: [Int]
    /// `[interactionCount]` dense item ids.
    public var items: [Int32]
    /// `[interactionCount]` timestamps.
    public var timestamps: [Int64]
    /// `[interactionCount]` ratings, or empty when the dataset has none.
    public var ratings: [Float]
    /// `[userCount]` history length of each user (the rest of the sequence is the future).
    public var historyLengths: [Int32]
    /// `[userCount]` index of each user in the source dataset.
    public var sourceUsers: [Int32]
    /// `[itemCount + 1]` index of each dense item in the source dataset (`-1` at 0, the padding id).
    public var sourceItems: [Int32]
    /// Original user ids, `[userCount]`.
    public var userIDs: [String]
    /// Original item ids by dense id, `[itemCount + 1]` (empty string at 0).
    public var itemIDs: [String]
    /// Category names in the dataset's category order.
    public var categoryNames: [String]
    /// `[itemCount + 1]` categories (indices into `categoryNames`) of each dense item.
    public var itemCategories: [[Int32]]
    /// The label-category vocabulary and primary categories (PROTOCOL.md section 2).
    public var vocabulary: LabelVocabulary
    /// `[userCount]` split of each user.
    public var splits: [UserSplit]
    /// Train, validation and test users, each in increasing user order.
    public var trainUsers: [Int32], validationUsers: [Int32], testUsers: [Int32]
    /// User attributes restricted to the kept users.
    public var gender: UserAttribute?, ageGroup: UserAttribute?, occupation: UserAttribute?

    /// The padding id.
    public static let paddingToken: Int32 = 0
    /// The mask token, `itemCount + 1`; embedding tables need `itemCount + 2` rows.
    public var maskToken: Int32 { Int32(itemCount + 1) }
    /// Number of kept users.
    public var userCount: Int { offsets.count - 1 }
    /// Number of kept interactions.
    public var interactionCount: Int { items.count }
    /// Whether ratings are present.
    public var hasRatings: Bool { !ratings.isEmpty }

    /// User `u`'s whole sequence.
    public func sequence(of user: Int) -> ArraySlice<Int32> { items[offsets[user]..<offsets[user + 1]] }
    /// User `u`'s history (all of it; encoders take the last `config.maxLength`).
    public func history(of user: Int) -> ArraySlice<Int32> {
        items[offsets[user]..<offsets[user] + Int(historyLengths[user])]
    }
    /// User `u`'s history truncated to its last `config.maxLength` items, as the encoder sees it.
    public func encoderHistory(of user: Int) -> ArraySlice<Int32> {
        let history = history(of: user)
        return history.suffix(config.maxLength)
    }
    /// User `u`'s future (what follows the history).
    public func future(of user: Int) -> ArraySlice<Int32> {
        items[offsets[user] + Int(historyLengths[user])..<offsets[user + 1]]
    }
    /// Positions of user `u`'s future in the flat arrays.
    public func futureRange(of user: Int) -> Range<Int> {
        offsets[user] + Int(historyLengths[user])..<offsets[user + 1]
    }
    /// The users of one split.
    public func users(in split: UserSplit) -> [Int32] {
        switch split {
        case .train: trainUsers
        case .validation: validationUsers
        case .test: testUsers
        }
    }

    /// A generator for a named purpose, derived from `config.seed` (e.g. `"augment"`, `"batches"`).
    public func generator(_ label: String) -> SplitMix64 { SplitMix64(seed: config.seed, stream: label) }

    /// Filters, remaps, splits and builds the label vocabulary.
    /// - Throws: `DatasetRequestError` when the configuration is invalid or no user survives the filters.
    public init(_ dataset: InteractionDataset, config: Preprocessing = Preprocessing()) throws {
        try config.validate()
        self.name = dataset.name
        self.config = config
        let userThreshold = max(config.kCore ?? 0, config.minSequenceLength)
        let itemThreshold = config.kCore ?? 0
        // Iterative filtering (one pass when there is no k-core).
        var keepUser = [Bool](repeating: true, count: dataset.userCount)
        var keepItem = [Bool](repeating: true, count: dataset.itemCount)
        while true {
            var itemCounts = [Int](repeating: 0, count: dataset.itemCount)
            var changed = false
            for user in 0..<dataset.userCount where keepUser[user] {
                var length = 0
                for position in dataset.range(ofUser: user) where keepItem[Int(dataset.items[position])] { length += 1 }
                if length < userThreshold {
                    keepUser[user] = false
                    changed = true
                    continue
                }
                for position in dataset.range(ofUser: user) where keepItem[Int(dataset.items[position])] {
                    itemCounts[Int(dataset.items[position])] += 1
                }
            }
            if itemThreshold > 1 {
                for item in 0..<dataset.itemCount where keepItem[item] && itemCounts[item] < itemThreshold {
                    keepItem[item] = false
                    changed = true
                }
            }
            if !changed || itemThreshold <= 1 { break }
        }
        // Dense item ids in source order, among items that remain in some kept sequence.
        var used = [Bool](repeating: false, count: dataset.itemCount)
        for user in 0..<dataset.userCount where keepUser[user] {
            for position in dataset.range(ofUser: user) where keepItem[Int(dataset.items[position])] {
                used[Int(dataset.items[position])] = true
            }
        }
        var dense = [Int32](repeating: 0, count: dataset.itemCount)
        var sourceItems: [Int32] = [-1]
        for item in 0..<dataset.itemCount where used[item] {
            sourceItems.append(Int32(item))
            dense[item] = Int32(sourceItems.count - 1)
        }
        itemCount = sourceItems.count - 1
        self.sourceItems = sourceItems
        // Sequences.
        var offsets = [0]
        var items: [Int32] = []
        var timestamps: [Int64] = []
        var ratings: [Float] = []
        var sourceUsers: [Int32] = []
        let kept = (0..<dataset.userCount).reduce(0) { total, user in
            keepUser[user] ? total + dataset.range(ofUser: user).count : total
        }
        items.reserveCapacity(kept)
        timestamps.reserveCapacity(kept)
        if dataset.hasRatings { ratings.reserveCapacity(kept) }
        var historyLengths: [Int32] = []
        for user in 0..<dataset.userCount where keepUser[user] {
            for position in dataset.range(ofUser: user) where keepItem[Int(dataset.items[position])] {
                items.append(dense[Int(dataset.items[position])])
                timestamps.append(dataset.timestamps[position])
                if dataset.hasRatings { ratings.append(dataset.ratings[position]) }
            }
            let length = items.count - offsets.last!
            offsets.append(items.count)
            sourceUsers.append(Int32(user))
            let history = Int((config.historyFraction * Double(length)).rounded(.down))
            historyLengths.append(Int32(min(max(history, 1), length - 1)))
        }
        guard sourceUsers.count >= 3 else {
            throw DatasetRequestError(
                "\(dataset.name): only \(sourceUsers.count) users have at least "
                    + "\(userThreshold) interactions; at least 3 are needed for a train/validation/test split",
                setting: (config.kCore ?? 0) > config.minSequenceLength ? "k_core" : "min_sequence_length")
        }
        self.offsets = offsets
        self.items = items
        self.timestamps = timestamps
        self.ratings = ratings
        self.sourceUsers = sourceUsers
        self.historyLengths = historyLengths
        self.userIDs = sourceUsers.map { dataset.userIDs[Int($0)] }
        self.itemIDs = [""] + sourceItems.dropFirst().map { dataset.itemIDs[Int($0)] }
        self.categoryNames = dataset.categoryNames
        self.itemCategories = [[]] + sourceItems.dropFirst().map { dataset.itemCategories[Int($0)] }
        func restrict(_ attribute: UserAttribute?) -> UserAttribute? {
            attribute.map { source in
                UserAttribute(names: source.names, values: sourceUsers.map { source.values[Int($0)] })
            }
        }
        gender = restrict(dataset.gender)
        ageGroup = restrict(dataset.ageGroup)
        occupation = restrict(dataset.occupation)
        // User split.
        let split = PreparedDataset.userSplit(userCount: sourceUsers.count, config: config)
        splits = split
        trainUsers = split.indices.filter { split[$0] == .train }.map(Int32.init)
        validationUsers = split.indices.filter { split[$0] == .validation }.map(Int32.init)
        testUsers = split.indices.filter { split[$0] == .test }.map(Int32.init)
        vocabulary = LabelVocabulary(
            categoryNames: dataset.categoryNames, itemCategories: self.itemCategories,
            size: config.labelCategories)
    }

    /// The seeded user split: users shuffled by the stream (seed, "user-split"); the first
    /// `round(train · n)` are train, the next `round(validation · n)` validation, the rest test; each part gets
    /// at least one user when `n ≥ 3`.
    public static func userSplit(userCount n: Int, config: Preprocessing) -> [UserSplit] {
        var order = Array(0..<n)
        var generator = SplitMix64(seed: config.seed, stream: "user-split")
        order.seededShuffle(using: &generator)
        var trainCount = Int((config.trainFraction * Double(n)).rounded())
        var validationCount = Int((config.validationFraction * Double(n)).rounded())
        if n >= 3 {
            trainCount = min(max(trainCount, 1), n - 2)
            validationCount = min(max(validationCount, 1), n - trainCount - 1)
        }
        var split = [UserSplit](repeating: .test, count: n)
        for (rank, user) in order.enumerated() {
            if rank < trainCount {
                split[user] = .train
            } else if rank < trainCount + validationCount {
                split[user] = .validation
            }
        }
        return split
    }
}
