/// What preprocessing did to a dataset, for people cross-checking a run: users, items and interactions before and
/// after the filters, the split sizes, the label vocabulary with its item counts, and the categories left out of it
/// (too generic: carried by more than half of the items; or beyond the vocabulary size). Pure.
public struct DatasetSummary: Sendable, Equatable, Codable {
    /// Counts of users, items and interactions.
    public struct Counts: Sendable, Equatable, Codable {
        /// Users.
        public var users: Int
        /// Items.
        public var items: Int
        /// Interactions.
        public var interactions: Int
    }

    /// One category with the number of (kept) items carrying it.
    public struct Category: Sendable, Equatable, Codable {
        /// The category's name.
        public var name: String
        /// Items carrying it.
        public var items: Int
    }

    /// The dataset as read.
    public var source: Counts
    /// After the minimum length and k-core filters.
    public var kept: Counts
    /// Train, validation and test users.
    public var train: Int, validation: Int, test: Int
    /// The label vocabulary, most frequent first.
    public var vocabulary: [Category]
    /// Categories carried by more than half of the kept items: too generic to be labels.
    public var genericCategories: [Category]
    /// Categories eligible but beyond the vocabulary size.
    public var categoriesBeyondVocabulary: Int

    /// The summary of preparing `source` into `prepared`.
    public init(source: InteractionDataset, prepared: PreparedDataset) {
        self.source = Counts(users: source.userCount, items: source.itemCount, interactions: source.interactionCount)
        kept = Counts(users: prepared.userCount, items: prepared.itemCount, interactions: prepared.items.count)
        train = prepared.trainUsers.count
        validation = prepared.validationUsers.count
        test = prepared.testUsers.count
        vocabulary = zip(prepared.vocabulary.names, prepared.vocabulary.itemCounts).map { Category(name: $0, items: $1) }
        // Item counts of every category over the kept items, as the vocabulary counts them.
        var counts = [Int](repeating: 0, count: source.categoryNames.count)
        for item in prepared.sourceItems.dropFirst() where item >= 0 {
            for category in Set(source.itemCategories[Int(item)]) { counts[Int(category)] += 1 }
        }
        let itemTotal = prepared.itemCount
        genericCategories = source.categoryNames.indices.filter { 2 * counts[$0] > itemTotal }
            .map { Category(name: source.categoryNames[$0], items: counts[$0]) }
        let eligible = source.categoryNames.indices.filter { counts[$0] > 0 && 2 * counts[$0] <= itemTotal }.count
        categoriesBeyondVocabulary = max(0, eligible - vocabulary.count)
    }

    /// A few lines for people: counts before and after, splits, the vocabulary and what was left out.
    public var text: String {
        func line(_ label: String, _ counts: Counts) -> String {
            "  \(label): \(counts.users) users, \(counts.items) items, \(counts.interactions) interactions"
        }
        var lines = [
            "dataset summary:", line("read", source),
            line("kept", kept) + " (dropped \(source.users - kept.users) users, \(source.items - kept.items) items)",
            "  split: \(train) train, \(validation) validation, \(test) test users",
            "  label vocabulary (\(vocabulary.count), items each): "
                + (vocabulary.isEmpty ? "none (no item categories)"
                   : vocabulary.map { "\($0.name) \($0.items)" }.joined(separator: ", ")),
        ]
        if !genericCategories.isEmpty {
            lines.append("  left out as too generic (on over half the items): "
                         + genericCategories.map { "\($0.name) \($0.items)" }.joined(separator: ", "))
        }
        if categoriesBeyondVocabulary > 0 {
            lines.append("  left out beyond the vocabulary size: \(categoriesBeyondVocabulary) categories")
        }
        return lines.joined(separator: "\n")
    }
}
