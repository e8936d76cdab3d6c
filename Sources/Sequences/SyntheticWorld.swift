import Foundation
import Randomness

/// Sizes and knobs of the synthetic data generator.
public struct SyntheticConfig: Sendable, Hashable, Codable {
    /// Number of users.
    public var users: Int
    /// Number of items.
    public var items: Int
    /// Number of categories (the first 18 are named after MovieLens genres).
    public var categories: Int = 18
    /// Mean interactions per user (lengths are `minLength` + an exponential draw, capped at 20 × the mean).
    public var meanLength: Double
    /// Shortest sequence.
    public var minLength: Int = 5
    /// Probability that the next item is the previous item's fixed successor (the Markov component).
    public var markovProbability: Double = 0.3
    /// Weight, growing linearly over a sequence up to this value, of the user's drift category.
    public var drift: Double = 0.5
    /// Seed; the whole dataset is a function of the configuration.
    public var seed: UInt64 = 0

    /// A configuration from its sizes.
    public init(users: Int, items: Int, categories: Int = 18, meanLength: Double, seed: UInt64 = 0) {
        self.users = users
        self.items = items
        self.categories = categories
        self.meanLength = meanLength
        self.seed = seed
    }

    /// Named sizes: `tiny` (tests: 300 users), `small` (2,000 users), `ml1m` (MovieLens-1M scale, about 1M
    /// interactions), `ml20m` (MovieLens-20M scale, about 20M interactions).
    public static func preset(_ name: String, seed: UInt64 = 0) -> SyntheticConfig? {
        switch name {
        case "tiny": SyntheticConfig(users: 300, items: 400, categories: 12, meanLength: 30, seed: seed)
        case "small": SyntheticConfig(users: 2_000, items: 1_500, meanLength: 60, seed: seed)
        case "ml1m": SyntheticConfig(users: 6_040, items: 3_706, meanLength: 165.6, seed: seed)
        case "ml20m": SyntheticConfig(users: 138_493, items: 26_744, meanLength: 144.4, seed: seed)
        default: nil
        }
    }
}

/// One synthetic user: attributes and the interactions in time order.
public struct SyntheticUser: Sendable, Hashable {
    /// 0 = F, 1 = M.
    public var gender: Int
    /// Index into `InteractionDataset.ageGroupNames`.
    public var ageGroup: Int
    /// MovieLens-1M occupation code 0...20.
    public var occupation: Int
    /// The user's categories by taste weight, strongest first (the planted structure).
    public var favourites: [Int]
    /// 0-based item indices in time order.
    public var items: [Int32]
    /// Ratings 1...5.
    public var ratings: [Int8]
    /// Unix seconds, non-decreasing (equal neighbours happen, as in MovieLens).
    public var timestamps: [Int64]
}

/// The pure part of the synthetic generator: items with categories and popularity, and users drawn on demand
/// (user `u` depends only on the configuration and `u`, so huge datasets stream without being held).
///
/// Planted structure: each user has a taste mixture over three favourite categories (weights 0.6, 0.25,
/// 0.15, plus 10% uniform); a drift category whose weight grows linearly to `drift` over the sequence;
/// with probability `markovProbability` the next item is the previous item's fixed successor; items within a
/// category are drawn by Zipf popularity. Ratings are higher for items in the top two favourites; gender, age
/// group and occupation depend on the first favourite.
public struct SyntheticWorld: Sendable {
    /// The configuration.
    public let config: SyntheticConfig
    /// Category names.
    public let categoryNames: [String]
    /// `[items]` each item's categories (primary first).
    public let itemCategories: [[Int32]]
    /// `[items]` popularity weight of each item.
    public let popularity: [Double]
    /// `[categories]` items whose primary category it is, with cumulative popularity for sampling.
    private let categoryItems: [[Int32]]
    private let categoryCumulative: [[Double]]
    /// `[categories]` cumulative category weights for favourites.
    private let categoryWeights: [Double]
    /// `[items]` the fixed successor of each item (Markov component).
    public let successor: [Int32]

    private static let genreNames = [
        "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]

    /// Builds the item side of the world from `config`.
    public init(config: SyntheticConfig) {
        precondition(config.users > 0 && config.items > 0 && config.categories >= 2 && config.meanLength >= 1)
        self.config = config
        let k = config.categories
        categoryNames = (0..<k).map {
            $0 < SyntheticWorld.genreNames.count ? SyntheticWorld.genreNames[$0] : "Genre\($0 + 1)"
        }
        var generator = SplitMix64(seed: config.seed, stream: "synthetic-items")
        // Category popularity: Zipf over a shuffled order.
        var categoryOrder = Array(0..<k)
        categoryOrder.seededShuffle(using: &generator)
        var weights = [Double](repeating: 0, count: k)
        for (rank, category) in categoryOrder.enumerated() { weights[category] = 1 / pow(Double(rank + 1), 0.7) }
        var cumulative = 0.0
        categoryWeights = weights.map {
            cumulative += $0
            return cumulative
        }
        // Items: primary category by category weight, sometimes one or two more.
        var itemCategories: [[Int32]] = []
        for _ in 0..<config.items {
            var list = [Int32(SyntheticWorld.draw(categoryWeightsCumulative: categoryWeights, &generator))]
            for extraProbability in [0.4, 0.15] where generator.nextDouble() < extraProbability {
                let extra = Int32(generator.nextInt(below: k))
                if !list.contains(extra) { list.append(extra) }
            }
            itemCategories.append(list)
        }
        self.itemCategories = itemCategories
        var itemOrder = Array(0..<config.items)
        itemOrder.seededShuffle(using: &generator)
        var popularity = [Double](repeating: 0, count: config.items)
        for (rank, item) in itemOrder.enumerated() { popularity[item] = 1 / pow(Double(rank + 1), 0.9) }
        self.popularity = popularity
        var members = [[Int32]](repeating: [], count: k)
        for item in 0..<config.items { members[Int(itemCategories[item][0])].append(Int32(item)) }
        categoryItems = members
        categoryCumulative = members.map { list in
            var total = 0.0
            return list.map {
                total += popularity[Int($0)]
                return total
            }
        }
        // Successor: the next item of the same primary category in a shuffled cycle.
        var successor = [Int32](repeating: 0, count: config.items)
        for var list in members where !list.isEmpty {
            list.seededShuffle(using: &generator)
            for (index, item) in list.enumerated() { successor[Int(item)] = list[(index + 1) % list.count] }
        }
        self.successor = successor
    }

    private static func draw(categoryWeightsCumulative cumulative: [Double], _ generator: inout SplitMix64) -> Int
    {
        let target = generator.nextDouble() * cumulative.last!
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return low
    }

    private func drawItem(category: Int, _ generator: inout SplitMix64) -> Int32 {
        let cumulative = categoryCumulative[category]
        if cumulative.isEmpty { return Int32(generator.nextInt(below: config.items)) }
        return categoryItems[category][SyntheticWorld.draw(categoryWeightsCumulative: cumulative, &generator)]
    }

    /// User `u` (0-based), a pure function of the configuration and `u`.
    public func user(_ u: Int) -> SyntheticUser {
        var generator = SplitMix64(seed: config.seed, stream: "synthetic-users").child(UInt64(u))
        let k = config.categories
        var favourites: [Int] = []
        while favourites.count < min(3, k) {
            let category = SyntheticWorld.draw(categoryWeightsCumulative: categoryWeights, &generator)
            if !favourites.contains(category) { favourites.append(category) }
        }
        var driftCategory = generator.nextInt(below: k)
        if favourites.contains(driftCategory) { driftCategory = (driftCategory + 1) % k }
        let tasteWeights = [0.6, 0.25, 0.15]
        // Attributes correlated with the first favourite.
        let first = favourites[0]
        let gender = generator.nextDouble() < (first < k / 2 ? 0.8 : 0.25) ? 1 : 0
        let ageGroup = generator.nextDouble() < 0.6 ? first % 7 : generator.nextInt(below: 7)
        let occupation = generator.nextDouble() < 0.5 ? (first * 3) % 21 : generator.nextInt(below: 21)
        // Length.
        let extraMean = max(config.meanLength - Double(config.minLength), 0)
        let extra = min(-log(1 - generator.nextDouble()) * extraMean, 20 * max(config.meanLength, 1))
        let length = config.minLength + Int(extra)
        var items: [Int32] = []
        var ratings: [Int8] = []
        var timestamps: [Int64] = []
        items.reserveCapacity(length)
        var time = Int64(956_703_932) + Int64(generator.nextInt(below: 3 * 365 * 86_400))
        for step in 0..<length {
            let item: Int32
            if let previous = items.last, generator.nextDouble() < config.markovProbability {
                item = successor[Int(previous)]
            } else {
                let driftWeight = config.drift * Double(step) / Double(max(length - 1, 1))
                var u = generator.nextDouble()
                let category: Int
                if u < driftWeight {
                    category = driftCategory
                } else {
                    u = generator.nextDouble()
                    if u < 0.1 {
                        category = generator.nextInt(below: k)
                    } else {
                        var pick = favourites.count - 1
                        var acc = 0.1
                        for (index, weight) in tasteWeights.prefix(favourites.count).enumerated() {
                            acc += 0.9 * weight
                            if u < acc {
                                pick = index
                                break
                            }
                        }
                        category = favourites[pick]
                    }
                }
                item = drawItem(category: category, &generator)
            }
            let primary = Int(itemCategories[Int(item)][0])
            var score = 2.6 + (primary == favourites[0] ? 1.2 : primary == favourites[1] ? 0.7 : 0)
            score += 0.6 * min(popularity[Int(item)] * 10, 1) + 0.8 * generator.nextGaussian()
            items.append(item)
            ratings.append(Int8(min(max(score.rounded(), 1), 5)))
            if generator.nextDouble() >= 0.2 { time += 1 + Int64(generator.nextInt(below: 2 * 86_400)) }
            timestamps.append(time)
        }
        return SyntheticUser(
            gender: gender, ageGroup: ageGroup, occupation: occupation, favourites: favourites,
            items: items, ratings: ratings, timestamps: timestamps)
    }

    /// The order in which `user`'s rows are written: rotated at the middle when the timestamps strictly increase
    /// there (so readers must sort, and sorting by (timestamp, file order) recovers the time order exactly).
    public static func fileOrder(of user: SyntheticUser) -> [Int] {
        let n = user.items.count
        let middle = n / 2
        guard middle > 0, user.timestamps[middle] > user.timestamps[middle - 1] else { return Array(0..<n) }
        return Array(middle..<n) + Array(0..<middle)
    }
}
