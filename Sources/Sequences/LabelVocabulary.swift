/// The label-category vocabulary (PROTOCOL.md section 2).
///
/// Categories carried by more than half of all items are too generic and left out; the vocabulary is the
/// `size` most frequent of the rest (frequency = number of items carrying the category; ties: the dataset's
/// category order). An item's primary category is its rarest category in the vocabulary (ties: the dataset's
/// category order); items with no vocabulary category have none.
public struct LabelVocabulary: Sendable, Hashable {
    /// Vocabulary entries as indices into the dataset's category names, most frequent first.
    public var categories: [Int32]
    /// Names of the vocabulary entries, in vocabulary order.
    public var names: [String]
    /// `[vocabulary size]` number of items carrying each entry.
    public var itemCounts: [Int]
    /// `[itemCount + 1]` vocabulary indices of each dense item's categories (in the item's order).
    public var itemEntries: [[Int32]]
    /// `[itemCount + 1]` vocabulary index of each dense item's primary category, or -1.
    public var primary: [Int32]

    /// Number of vocabulary entries.
    public var count: Int { categories.count }

    /// Builds the vocabulary from per-item categories (`itemCategories[0]` is the padding item and ignored).
    public init(categoryNames: [String], itemCategories: [[Int32]], size: Int) {
        let itemTotal = max(itemCategories.count - 1, 0)
        var counts = [Int](repeating: 0, count: categoryNames.count)
        for list in itemCategories.dropFirst() { for category in Set(list) { counts[Int(category)] += 1 } }
        let eligible = categoryNames.indices.filter { counts[$0] > 0 && 2 * counts[$0] <= itemTotal }
        let chosen = eligible.sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }.prefix(size)
        categories = chosen.map(Int32.init)
        names = chosen.map { categoryNames[$0] }
        itemCounts = chosen.map { counts[$0] }
        var entryOf = [Int32](repeating: -1, count: categoryNames.count)
        for (entry, category) in chosen.enumerated() { entryOf[category] = Int32(entry) }
        let itemCounts = itemCounts
        itemEntries = itemCategories.enumerated().map { index, list in
            guard index > 0 else { return [] }
            var seen = Set<Int32>()
            return list.compactMap {
                entryOf[Int($0)] >= 0 && seen.insert(entryOf[Int($0)]).inserted ? entryOf[Int($0)] : nil
            }
        }
        primary = itemEntries.map { entries in
            // Rarest; ties broken by the dataset's category order.
            entries.min { a, b in
                itemCounts[Int(a)] != itemCounts[Int(b)]
                    ? itemCounts[Int(a)] < itemCounts[Int(b)] : chosen[Int(a)] < chosen[Int(b)]
            } ?? -1
        }
    }

    /// Whether vocabulary entry `a` is rarer than `b` (fewer items; ties: the dataset's category order).
    public func isRarer(_ a: Int, than b: Int) -> Bool {
        itemCounts[a] != itemCounts[b] ? itemCounts[a] < itemCounts[b] : categories[a] < categories[b]
    }
}
