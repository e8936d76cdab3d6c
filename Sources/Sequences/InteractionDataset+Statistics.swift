/// Summary figures of a dataset, for logs and reports.
public struct DatasetStatistics: Sendable, Hashable, CustomStringConvertible {
    /// Users with at least one interaction.
    public var users: Int
    /// Items with at least one interaction.
    public var items: Int
    /// Interactions.
    public var interactions: Int
    /// Mean interactions per user with any.
    public var meanLength: Double
    /// `interactions / (users · items)`.
    public var density: Double

    /// `users=… items=… interactions=… mean_length=… density=…`.
    public var description: String {
        "users=\(users) items=\(items) interactions=\(interactions) "
            + "mean_length=\((meanLength * 10).rounded() / 10) density=\((density * 1e5).rounded() / 1e5)"
    }
}

extension InteractionDataset {
    /// Counts of active users and items, mean sequence length and density.
    public var statistics: DatasetStatistics {
        var itemSeen = [Bool](repeating: false, count: itemCount)
        for item in items { itemSeen[Int(item)] = true }
        let activeUsers = (0..<userCount).filter { userOffsets[$0 + 1] > userOffsets[$0] }.count
        let activeItems = itemSeen.filter { $0 }.count
        return DatasetStatistics(
            users: activeUsers, items: activeItems, interactions: interactionCount,
            meanLength: activeUsers > 0 ? Double(interactionCount) / Double(activeUsers) : 0,
            density: activeUsers > 0 && activeItems > 0
                ? Double(interactionCount) / (Double(activeUsers) * Double(activeItems)) : 0)
    }
}
