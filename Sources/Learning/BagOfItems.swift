import Sequences

/// The `bag_of_items` reference featuriser (PROTOCOL.md section 4): no training, a user is what their history
/// holds.
///
/// For user `u` with history `h` (all of it, not only the encoder's last `maxLength` items) and a label
/// vocabulary of `V` categories, the feature row has `V + buckets` entries:
/// - `x[k] = c_k / Σ_j c_j` for `k < V`, where `c_k` counts the history items carrying vocabulary category `k`
///   (an item with several vocabulary categories counts once for each); all zero when no history item has one.
/// - `x[V + b] = |{i ∈ h : bucket(i) = b}| / |h|` for `b < buckets`, where `bucket(i)` is the stable
///   FNV-1a 64-bit hash of the item's original id (UTF-8) modulo `buckets`, so an item lands in the same bucket
///   whatever the preprocessing or the process.
///
/// Both parts sum to 1 (the category part when it is not all zero). Pure: no I/O, no randomness.
public struct BagOfItems: Sendable, Hashable, Codable {
    /// Number of hash buckets of the item bag (PROTOCOL.md default 256).
    public var buckets: Int

    /// A featuriser with `buckets` item buckets. Precondition: `buckets ≥ 1`.
    public init(buckets: Int = 256) {
        precondition(buckets >= 1, "BagOfItems: buckets must be at least 1, found \(buckets)")
        self.buckets = buckets
    }

    /// The feature width for `dataset`: `vocabulary.count + buckets`.
    public func dimension(for dataset: PreparedDataset) -> Int { dataset.vocabulary.count + buckets }

    /// The bucket of an original item id: `fnv1a64(utf8(id)) mod buckets`.
    public static func bucket(ofItemID id: String, buckets: Int) -> Int {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return Int(hash % UInt64(buckets))
    }

    /// `[itemCount + 1]` bucket of every dense item (`-1` for the padding id 0).
    public func itemBuckets(for dataset: PreparedDataset) -> [Int32] {
        dataset.itemIDs.enumerated().map { index, id in
            index == 0 ? -1 : Int32(BagOfItems.bucket(ofItemID: id, buckets: buckets))
        }
    }

    /// The feature rows of `users` (default every user, in user order): `[users.count][V + buckets]`.
    public func features(_ dataset: PreparedDataset, users: [Int32]? = nil) -> [[Float]] {
        let itemBuckets = itemBuckets(for: dataset)
        let users = users ?? (0..<Int32(dataset.userCount)).map { $0 }
        return users.map { features(of: Int($0), in: dataset, itemBuckets: itemBuckets) }
    }

    /// One user's feature row, `[V + buckets]`, given the table from ``itemBuckets(for:)``.
    public func features(of user: Int, in dataset: PreparedDataset, itemBuckets: [Int32]) -> [Float] {
        let vocabularySize = dataset.vocabulary.count
        var row = [Float](repeating: 0, count: vocabularySize + buckets)
        let history = dataset.history(of: user)
        var categoryTotal = 0
        for item in history {
            for entry in dataset.vocabulary.itemEntries[Int(item)] {
                row[Int(entry)] += 1
                categoryTotal += 1
            }
            row[vocabularySize + Int(itemBuckets[Int(item)])] += 1
        }
        if categoryTotal > 0 {
            let scale = 1 / Float(categoryTotal)
            for k in 0..<vocabularySize { row[k] *= scale }
        }
        if !history.isEmpty {
            let scale = 1 / Float(history.count)
            for b in vocabularySize..<row.count { row[b] *= scale }
        }
        return row
    }
}
