/// The downstream tasks (PROTOCOL.md section 2); raw values are the spec names.
public enum TaskKind: String, Sendable, Hashable, Codable, CaseIterable {
    /// The primary category of the first future item that has one.
    case nextCategory = "next_category"
    /// The vocabulary category most frequent among the future items (ties: the rarer category).
    case futureTopCategory = "future_top_category"
    /// Multi-label: which vocabulary categories appear among the future items.
    case futureCategories = "future_categories"
    /// Whether the first future rating is at least 4.
    case nextRatingHigh = "next_rating_high"
    /// The user's gender.
    case gender
    /// The user's age group (MovieLens-1M's seven groups).
    case ageGroup = "age_group"
    /// The user's occupation.
    case occupation

    /// Whether the task has several labels per user (scored per category).
    public var isMultiLabel: Bool { self == .futureCategories }
}

extension PreparedDataset {
    /// The tasks this dataset's metadata supports: category tasks need at least two vocabulary categories,
    /// `next_rating_high` ratings, and the attribute tasks the attribute.
    public var supportedTasks: [TaskKind] {
        TaskKind.allCases.filter { unsupportedReason($0) == nil }
    }

    /// Why `task` is not available, or nil when it is.
    public func unsupportedReason(_ task: TaskKind) -> String? {
        switch task {
        case .nextCategory, .futureTopCategory, .futureCategories:
            if categoryNames.isEmpty { return "the dataset has no item categories" }
            if vocabulary.count < 2 { return "fewer than 2 label categories remain after dropping generic ones" }
            return nil
        case .nextRatingHigh:
            return hasRatings ? nil : "the dataset has no ratings"
        case .gender:
            return gender.map { $0.values.contains { $0 >= 0 } } == true ? nil : "the dataset has no user genders"
        case .ageGroup:
            return ageGroup.map { $0.values.contains { $0 >= 0 } } == true ? nil : "the dataset has no user ages"
        case .occupation:
            return occupation.map { $0.values.contains { $0 >= 0 } } == true
                ? nil : "the dataset has no user occupations"
        }
    }
}
