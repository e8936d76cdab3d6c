/// One categorical user attribute (gender, age group, occupation): class names and one value per user.
public struct UserAttribute: Sendable, Hashable {
    /// Class names; `values` index into this array.
    public var names: [String]
    /// One entry per user: an index into `names`, or -1 when the user's value is unknown.
    public var values: [Int32]

    /// An attribute from its names and per-user values.
    public init(names: [String], values: [Int32]) {
        self.names = names
        self.values = values
    }
}

/// The compact in-memory form of every dataset (CSR by user).
///
/// User `u`'s interactions are positions `userOffsets[u] ..< userOffsets[u + 1]` of the flat arrays `items`,
/// `timestamps` and (when the dataset has them) `ratings`, sorted by (timestamp, file order). Items and users
/// are 0-based indices here; `itemIDs` and `userIDs` map them back to the original ids. Memory: 4 + 8 + 4
/// bytes per interaction (items as `Int32`, timestamps as `Int64`, ratings as `Float`), so 20M interactions
/// take about 320 MB.
public struct InteractionDataset: Sendable, Equatable {
    /// A name for messages and reports (e.g. `movielens1m`).
    public var name: String
    /// `[userCount + 1]`: start of each user's interactions in the flat arrays.
    public var userOffsets: [Int]
    /// `[interactionCount]`: 0-based item index of each interaction.
    public var items: [Int32]
    /// `[interactionCount]`: Unix seconds (or the position in the line for the sequence format).
    public var timestamps: [Int64]
    /// `[interactionCount]` when the dataset has ratings, else empty.
    public var ratings: [Float]
    /// Original user ids, `[userCount]`.
    public var userIDs: [String]
    /// Original item ids, `[itemCount]`.
    public var itemIDs: [String]
    /// Item titles or names when the dataset has them (`[itemCount]`), else empty.
    public var itemTitles: [String]
    /// Category names in the dataset's category order.
    public var categoryNames: [String]
    /// `[itemCount]`: each item's category indices (into `categoryNames`), in the file's order.
    public var itemCategories: [[Int32]]
    /// Gender per user, when the dataset has it.
    public var gender: UserAttribute?
    /// Age group per user (MovieLens-1M's seven groups), when the dataset has it.
    public var ageGroup: UserAttribute?
    /// Occupation per user, when the dataset has it.
    public var occupation: UserAttribute?

    /// Number of users (including users without interactions).
    public var userCount: Int { userOffsets.count - 1 }
    /// Number of items (including items without interactions).
    public var itemCount: Int { itemIDs.count }
    /// Number of interactions.
    public var interactionCount: Int { items.count }
    /// Whether `ratings` is filled.
    public var hasRatings: Bool { !ratings.isEmpty }
    /// Whether any item has a category.
    public var hasCategories: Bool { !categoryNames.isEmpty }

    /// The positions of user `u`'s interactions in the flat arrays.
    public func range(ofUser user: Int) -> Range<Int> { userOffsets[user]..<userOffsets[user + 1] }

    /// A dataset from its parts; `userOffsets.last` must equal `items.count`.
    public init(
        name: String, userOffsets: [Int], items: [Int32], timestamps: [Int64], ratings: [Float],
        userIDs: [String], itemIDs: [String], itemTitles: [String] = [], categoryNames: [String] = [],
        itemCategories: [[Int32]] = [], gender: UserAttribute? = nil, ageGroup: UserAttribute? = nil,
        occupation: UserAttribute? = nil
    ) {
        precondition(userOffsets.last == items.count && timestamps.count == items.count)
        precondition(ratings.isEmpty || ratings.count == items.count)
        precondition(userIDs.count == userOffsets.count - 1)
        self.name = name
        self.userOffsets = userOffsets
        self.items = items
        self.timestamps = timestamps
        self.ratings = ratings
        self.userIDs = userIDs
        self.itemIDs = itemIDs
        self.itemTitles = itemTitles
        self.categoryNames = categoryNames
        self.itemCategories = itemCategories.isEmpty ? Array(repeating: [], count: itemIDs.count) : itemCategories
        self.gender = gender
        self.ageGroup = ageGroup
        self.occupation = occupation
    }
}

extension InteractionDataset {
    /// MovieLens-1M's seven age groups, the buckets every MovieLens age is reported in.
    public static let ageGroupNames = ["<18", "18-24", "25-34", "35-44", "45-49", "50-55", "56+"]

    /// The age group index (into `ageGroupNames`) of an age in years: <18, 18-24, 25-34, 35-44, 45-49, 50-55, 56+.
    public static func ageGroup(ofAge age: Int) -> Int32 {
        switch age {
        case ..<18: 0
        case 18...24: 1
        case 25...34: 2
        case 35...44: 3
        case 45...49: 4
        case 50...55: 5
        default: 6
        }
    }
}
