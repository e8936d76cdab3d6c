/// Maps original ids (integers or strings) to dense 0-based indices in first-seen order.
///
/// Small non-negative integer ids (below 2^24) use a direct lookup table; others a dictionary.
public struct IDIndex: Sendable {
    private var table: [Int32] = []
    private var integerMap: [Int64: Int32] = [:]
    private var stringMap: [String: Int32] = [:]
    private var integerIDs: [Int64] = []
    private var stringIDs: [String] = []
    private var isInteger: Bool?

    /// An empty index.
    public init() {}

    /// Number of distinct ids.
    public var count: Int { isInteger == false ? stringIDs.count : integerIDs.count }

    /// The original ids as strings, in index order.
    public var ids: [String] { isInteger == false ? stringIDs : integerIDs.map { String($0) } }

    /// The index of an integer id, or nil if it has not been inserted.
    public func lookup(_ id: Int64) -> Int32? {
        if id >= 0 && id < Int64(table.count) {
            let value = table[Int(id)]
            return value >= 0 ? value : nil
        }
        return integerMap[id]
    }

    /// The index of a string id, or nil if it has not been inserted.
    public func lookup(_ id: String) -> Int32? { stringMap[id] }

    /// The index of an integer id, inserting it if new. An index holds integer or string ids, never both.
    public mutating func insert(_ id: Int64) -> Int32 {
        precondition(isInteger != false, "IDIndex mixes integer and string ids")
        isInteger = true
        if let known = lookup(id) { return known }
        let index = Int32(integerIDs.count)
        integerIDs.append(id)
        if id >= 0 && id < (1 << 24) {
            if id >= Int64(table.count) {
                let newCount = max(Int(id) + 1, table.count * 2, 1024)
                table.append(contentsOf: repeatElement(-1, count: min(newCount, 1 << 24) - table.count))
            }
            table[Int(id)] = index
        } else {
            integerMap[id] = index
        }
        return index
    }

    /// The index of a string id, inserting it if new.
    public mutating func insert(_ id: String) -> Int32 {
        precondition(isInteger != true, "IDIndex mixes integer and string ids")
        isInteger = false
        if let known = stringMap[id] { return known }
        let index = Int32(stringIDs.count)
        stringIDs.append(id)
        stringMap[id] = index
        return index
    }
}

/// Collects interaction rows in file order, then sorts them into an `InteractionDataset` (pure, no I/O).
///
/// Build: a stable counting sort by user, then per user a sort by (timestamp, file order). Ratings are kept at
/// half-star resolution while collecting (one byte a row: every supported format rates in whole or half stars,
/// 0...127.5). Peak memory is about the raw columns (4 + 4 + 8 + 1 bytes a row) plus one `Int32` permutation
/// plus the output (4 + 8 + 4 bytes a row); the raw columns are released one by one as the output is gathered.
public struct InteractionDatasetBuilder: Sendable {
    /// User ids seen so far (pre-fill from a users file to fix the order).
    public var users = IDIndex()
    /// Item ids seen so far (pre-fill from an items file to fix the order).
    public var items = IDIndex()
    private var rowUsers: [Int32] = []
    private var rowItems: [Int32] = []
    private var rowTimestamps: [Int64] = []
    private var rowHalfStars: [UInt8] = []
    /// Whether rows carry ratings.
    public let hasRatings: Bool

    /// An empty builder; `expectedRows` reserves capacity (untouched capacity costs address space, not memory).
    public init(hasRatings: Bool, expectedRows: Int = 0) {
        self.hasRatings = hasRatings
        rowUsers.reserveCapacity(expectedRows)
        rowItems.reserveCapacity(expectedRows)
        rowTimestamps.reserveCapacity(expectedRows)
        if hasRatings { rowHalfStars.reserveCapacity(expectedRows) }
    }

    /// Number of rows added.
    public var rowCount: Int { rowUsers.count }

    /// Throws a `DatasetError` naming `file` when no row was added (an empty or header-only file).
    public func requireRows(file: String) throws {
        guard rowCount > 0 else { throw DatasetError(file: file, message: "no interactions found (empty file?)") }
    }

    /// Appends one interaction (indices from `users` and `items`); `rating` is rounded to the nearest half star
    /// and clamped to 0...127.5.
    public mutating func append(user: Int32, item: Int32, timestamp: Int64, rating: Float = 0) {
        rowUsers.append(user)
        rowItems.append(item)
        rowTimestamps.append(timestamp)
        if hasRatings { rowHalfStars.append(UInt8(min(max((rating * 2).rounded(), 0), 255))) }
    }

    /// Appends rows in bulk (the same as `append(user:item:timestamp:rating:)` for each row, faster).
    public mutating func append<U: Collection<Int32>, T: Collection<Int64>, R: Collection<Float>>(
        users: U, items: U, timestamps: T, ratings: R
    ) {
        precondition(users.count == items.count && items.count == timestamps.count)
        rowUsers.append(contentsOf: users)
        rowItems.append(contentsOf: items)
        rowTimestamps.append(contentsOf: timestamps)
        if hasRatings {
            precondition(ratings.count == users.count)
            rowHalfStars.append(contentsOf: ratings.lazy.map { UInt8(min(max(($0 * 2).rounded(), 0), 255)) })
        }
    }

    /// Sorts the rows into CSR form, releasing the collected rows as it goes (the builder is empty afterwards).
    /// Users and items without rows are kept (they are dropped by preprocessing).
    public mutating func build(name: String) -> InteractionDataset {
        let userCount = users.count
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for user in rowUsers { offsets[Int(user) + 1] += 1 }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        var permutation = [Int32](repeating: 0, count: rowUsers.count)
        do {
            var cursor = offsets
            for (row, user) in rowUsers.enumerated() {
                permutation[cursor[Int(user)]] = Int32(row)
                cursor[Int(user)] += 1
            }
        }
        rowUsers = []
        rowTimestamps.withUnsafeBufferPointer { stamps in
            permutation.withUnsafeMutableBufferPointer { perm in
                for u in 0..<userCount {
                    let lower = offsets[u]
                    let upper = offsets[u + 1]
                    // Already sorted (the common case for files grouped by user in time order)?
                    var sorted = true
                    var k = lower + 1
                    while k < upper {
                        if stamps[Int(perm[k])] < stamps[Int(perm[k - 1])] {
                            sorted = false
                            break
                        }
                        k += 1
                    }
                    if sorted { continue }
                    var slice = UnsafeMutableBufferPointer(rebasing: perm[lower..<upper])
                    slice.sort { a, b in
                        let ta = stamps[Int(a)]
                        let tb = stamps[Int(b)]
                        return ta != tb ? ta < tb : a < b
                    }
                }
            }
        }
        let outItems = InteractionDatasetBuilder.gather(rowItems, permutation)
        rowItems = []
        let outRatings: [Float] = hasRatings ? permutation.map { Float(rowHalfStars[Int($0)]) * 0.5 } : []
        rowHalfStars = []
        let outStamps = InteractionDatasetBuilder.gather(rowTimestamps, permutation)
        rowTimestamps = []
        return InteractionDataset(
            name: name, userOffsets: offsets, items: outItems, timestamps: outStamps, ratings: outRatings,
            userIDs: users.ids, itemIDs: items.ids
        )
    }

    /// `source[permutation[i]]` for every `i`.
    static func gather<T>(_ source: [T], _ permutation: [Int32]) -> [T] {
        source.withUnsafeBufferPointer { from in
            permutation.withUnsafeBufferPointer { perm in
                [T](unsafeUninitializedCapacity: perm.count) { buffer, count in
                    for i in 0..<perm.count { (buffer.baseAddress! + i).initialize(to: from[Int(perm[i])]) }
                    count = perm.count
                }
            }
        }
    }
}
