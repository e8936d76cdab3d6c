import Foundation
import Postgres
import Sequences

/// Loads an imported dataset from PostgreSQL into the `InteractionDataset` the reader built from its files: same
/// user and item order, same order within each user, same ratings, categories, titles and user attributes.
///
/// Three streamed reads (`COPY ... TO STDOUT`): users (which fix the CSR offsets from their interaction counts),
/// items, then the users' histories (`dataset_sequences`) in whatever order the server returns them, each placed at
/// `userOffsets[user]`. Memory: the result (16 bytes an interaction) plus one row at a time.
public enum StoredDatasetLoader {
    /// Loads the dataset called `name`.
    /// - Throws: ``DatasetImportError`` when there is no such dataset or its rows are inconsistent (naming the
    ///   table and row), `PostgresError` from the server.
    public static func load(_ db: PostgresConnection, name: String) throws -> InteractionDataset {
        let found = try DatasetCatalog(db).require(name)
        let row = try db.queryOne("""
            SELECT to_json(category_names)::text AS categories, user_attributes::text AS attributes FROM seqtwins.datasets WHERE id = \(found.id)
            """)!
        let categoryText: String = try row.decode("categories")
        let categoryNames = (try? JSONDecoder().decode([String].self, from: Data(categoryText.utf8))) ?? []
        let attributeText: String = try row.decode("attributes")
        let attributes = (try? JSONDecoder().decode([String: [String]].self, from: Data(attributeText.utf8))) ?? [:]
        let id = found.id

        // Users: ids, attributes and interaction counts (→ offsets).
        var userIDs: [String] = []
        userIDs.reserveCapacity(found.userCount)
        var offsets = [Int](repeating: 0, count: found.userCount + 1)
        let attributeKeys = ["gender", "age_group", "occupation"]
        var attributeValues = attributeKeys.map { key in attributes[key] == nil ? [Int32]() : [Int32](repeating: -1, count: found.userCount) }
        let attributeIndex = attributeKeys.map { key in
            Dictionary((attributes[key] ?? []).enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        }
        try db.copyOut(trusted("""
            COPY (SELECT user_index, user_id, interaction_count, gender, age_group, occupation
                  FROM seqtwins.dataset_users WHERE dataset_id = \(id) ORDER BY user_index) TO STDOUT
            """)) { bytes in
            var fields = CopyFields(bytes)
            let index = try fields.integer("dataset_users", found.name)
            guard index == Int64(userIDs.count), index < Int64(found.userCount) else {
                throw inconsistent(found.name, "dataset_users", "user_index \(index) out of order")
            }
            userIDs.append(try fields.text("dataset_users", found.name) ?? "")
            offsets[Int(index) + 1] = Int(try fields.integer("dataset_users", found.name))
            for k in 0..<3 {
                let value = try fields.text("dataset_users", found.name)
                if !attributeValues[k].isEmpty, let value {
                    attributeValues[k][Int(index)] = attributeIndex[k][value] ?? -1
                }
            }
        }
        guard userIDs.count == found.userCount else {
            throw inconsistent(found.name, "dataset_users", "\(userIDs.count) rows, expected \(found.userCount)")
        }
        for u in 0..<found.userCount { offsets[u + 1] += offsets[u] }
        guard Int64(offsets[found.userCount]) == found.interactionCount else {
            throw inconsistent(found.name, "dataset_users", "interaction counts add up to \(offsets[found.userCount]), "
                               + "expected \(found.interactionCount)")
        }

        // Items: ids, titles, categories as indices into the vocabulary.
        var itemIDs: [String] = []
        var titles: [String] = []
        var anyTitle = false
        var itemCategories: [[Int32]] = []
        itemIDs.reserveCapacity(found.itemCount)
        itemCategories.reserveCapacity(found.itemCount)
        try db.copyOut(trusted("""
            COPY (SELECT i.item_index, i.item_id, i.title,
                         array_to_string(ARRAY(SELECT array_position(d.category_names, c) - 1
                                               FROM unnest(i.categories) WITH ORDINALITY AS t (c, n) ORDER BY n), ' ')
                  FROM seqtwins.dataset_items i JOIN seqtwins.datasets d ON d.id = i.dataset_id
                  WHERE i.dataset_id = \(id) ORDER BY i.item_index) TO STDOUT
            """)) { bytes in
            var fields = CopyFields(bytes)
            let index = try fields.integer("dataset_items", found.name)
            guard index == Int64(itemIDs.count), index < Int64(found.itemCount) else {
                throw inconsistent(found.name, "dataset_items", "item_index \(index) out of order")
            }
            itemIDs.append(try fields.text("dataset_items", found.name) ?? "")
            if let title = try fields.text("dataset_items", found.name) {
                anyTitle = true
                titles.append(title)
            } else {
                titles.append("")
            }
            let list = try fields.text("dataset_items", found.name) ?? ""
            itemCategories.append(list.split(separator: " ").map { Int32($0) ?? -1 })
            if itemCategories[itemCategories.count - 1].contains(where: { $0 < 0 || Int($0) >= categoryNames.count }) {
                throw inconsistent(found.name, "dataset_items", "item \(index) names a category outside the vocabulary")
            }
        }
        guard itemIDs.count == found.itemCount else {
            throw inconsistent(found.name, "dataset_items", "\(itemIDs.count) rows, expected \(found.itemCount)")
        }

        // Histories, one row per user, placed at the user's offset.
        let count = Int(found.interactionCount)
        var items = [Int32](repeating: -1, count: count)
        var timestamps = [Int64](repeating: 0, count: count)
        var ratings = [Float](repeating: 0, count: found.hasRatings ? count : 0)
        let itemCount = Int64(found.itemCount)
        let userCount = Int64(found.userCount)
        var seen = 0
        try items.withUnsafeMutableBufferPointer { items in
            try timestamps.withUnsafeMutableBufferPointer { timestamps in
                try ratings.withUnsafeMutableBufferPointer { ratings in
                    try offsets.withUnsafeBufferPointer { offsets in
                        try db.copyOut(trusted("""
                            COPY (SELECT user_index, items, timestamps, ratings FROM seqtwins.dataset_sequences
                                  WHERE dataset_id = \(id)) TO STDOUT
                            """)) { bytes in
                            var fields = CopyFields(bytes)
                            let user = try fields.integer("dataset_sequences", found.name)
                            guard user >= 0, user < userCount else {
                                throw inconsistent(found.name, "dataset_sequences", "user_index \(user) out of range")
                            }
                            let start = offsets[Int(user)]
                            let length = offsets[Int(user) + 1] - start
                            var bad = false
                            let itemsRead = try fields.integers("dataset_sequences", found.name, limit: length) { k, item in
                                if item < 0 || item >= itemCount { bad = true } else { items[start + k] = Int32(item) }
                            }
                            let stampsRead = try fields.integers("dataset_sequences", found.name, limit: length) { k, value in
                                timestamps[start + k] = value
                            }
                            var ratingsRead = length
                            if !ratings.isEmpty {
                                ratingsRead = try fields.floats("dataset_sequences", found.name, limit: length) { k, value in
                                    ratings[start + k] = value
                                }
                            }
                            guard !bad, itemsRead == length, stampsRead == length, ratingsRead == length else {
                                throw inconsistent(found.name, "dataset_sequences",
                                                   "user \(user): \(itemsRead) items for \(length) interactions, or an item out of range")
                            }
                            seen += length
                        }
                    }
                }
            }
        }
        guard seen == count, !items.contains(-1) else {
            throw inconsistent(found.name, "dataset_sequences", "\(seen) interactions for \(count)")
        }
        func attribute(_ k: Int) -> UserAttribute? {
            attributes[attributeKeys[k]].map { UserAttribute(names: $0, values: attributeValues[k]) }
        }
        return InteractionDataset(
            name: found.name, userOffsets: offsets, items: items, timestamps: timestamps, ratings: ratings,
            userIDs: userIDs, itemIDs: itemIDs, itemTitles: anyTitle ? titles : [], categoryNames: categoryNames,
            itemCategories: itemCategories, gender: attribute(0), ageGroup: attribute(1), occupation: attribute(2))
    }

    /// COPY takes no parameters: the statement is built from a dataset id (an integer) only.
    private static func trusted(_ text: String) -> SQL { SQL(stringLiteral: text) }

    private static func inconsistent(_ name: String, _ table: String, _ what: String) -> DatasetImportError {
        DatasetImportError("dataset \"\(name)\" is inconsistent in seqtwins.\(table): \(what); delete and import it again")
    }
}

/// The tab-separated fields of one `COPY ... TO STDOUT` text row, read left to right.
struct CopyFields {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var cursor = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// The raw bytes of the next field.
    private mutating func next(_ table: String, _ dataset: String) throws -> Range<Int> {
        guard cursor <= bytes.count else {
            throw DatasetImportError("dataset \"\(dataset)\": a row of seqtwins.\(table) has too few fields")
        }
        let start = cursor
        while cursor < bytes.count && bytes[cursor] != 0x09 { cursor += 1 }
        let range = start..<cursor
        cursor += 1
        return range
    }

    /// The next field as an integer.
    mutating func integer(_ table: String, _ dataset: String) throws -> Int64 {
        let range = try next(table, dataset)
        var value: Int64 = 0
        var index = range.lowerBound
        let negative = index < range.upperBound && bytes[index] == 0x2D
        if negative { index += 1 }
        guard index < range.upperBound else {
            throw DatasetImportError("dataset \"\(dataset)\": an empty or NULL integer in seqtwins.\(table)")
        }
        while index < range.upperBound {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else {
                throw DatasetImportError("dataset \"\(dataset)\": a non-integer value in seqtwins.\(table)")
            }
            value = value &* 10 &+ Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }

    /// Parses the next field, a text-format array of integers `{1,2,3}`, calling `store(index, value)` for each of
    /// at most `limit` elements; returns the element count (more than `limit` means too many).
    mutating func integers(_ table: String, _ dataset: String, limit: Int,
                           _ store: (Int, Int64) -> Void) throws -> Int {
        let range = try next(table, dataset)
        guard range.count >= 2, bytes[range.lowerBound] == 0x7B, bytes[range.upperBound - 1] == 0x7D else {
            throw DatasetImportError("dataset \"\(dataset)\": expected an array in seqtwins.\(table)")
        }
        var index = range.lowerBound + 1
        let end = range.upperBound - 1
        var count = 0
        while index < end {
            let negative = bytes[index] == 0x2D
            if negative { index += 1 }
            var value: Int64 = 0
            var digits = 0
            while index < end, bytes[index] != 0x2C {
                let digit = bytes[index] &- 0x30
                guard digit < 10 else {
                    throw DatasetImportError("dataset \"\(dataset)\": a non-integer array element in seqtwins.\(table)")
                }
                value = value &* 10 &+ Int64(digit)
                digits += 1
                index += 1
            }
            guard digits > 0 else {
                throw DatasetImportError("dataset \"\(dataset)\": an empty array element in seqtwins.\(table)")
            }
            if count < limit { store(count, negative ? -value : value) }
            count += 1
            index += 1  // the comma
        }
        return count
    }

    /// Parses the next field, a text-format array of numbers, like ``integers(_:_:limit:_:)``.
    mutating func floats(_ table: String, _ dataset: String, limit: Int, _ store: (Int, Float) -> Void) throws -> Int {
        let range = try next(table, dataset)
        guard range.count >= 2, bytes[range.lowerBound] == 0x7B, bytes[range.upperBound - 1] == 0x7D else {
            throw DatasetImportError("dataset \"\(dataset)\": expected an array of ratings in seqtwins.\(table)")
        }
        var count = 0
        var start = range.lowerBound + 1
        let end = range.upperBound - 1
        while start < end {
            var stop = start
            while stop < end, bytes[stop] != 0x2C { stop += 1 }
            if let value = Self.shortDecimal(bytes[start..<stop]) {
                if count < limit { store(count, value) }
                count += 1
                start = stop + 1
                continue
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<stop]), as: UTF8.self)
            guard let value = Float(text) else {
                throw DatasetImportError("dataset \"\(dataset)\": rating \"\(text.prefix(20))\" in seqtwins.\(table) is not a number")
            }
            if count < limit { store(count, value) }
            count += 1
            start = stop + 1
        }
        return count
    }

    /// `d…d[.d…d]` with at most 7 digits in all, as the nearest `Float` (the same value `Float(text)` gives:
    /// an exact integer below 2²⁴ divided by an exact power of ten, rounded once); `nil` for anything else.
    static func shortDecimal(_ slice: Slice<UnsafeBufferPointer<UInt8>>) -> Float? {
        var mantissa = 0
        var digits = 0
        var fraction = -1
        for byte in slice {
            if byte == 0x2E, fraction < 0 {
                fraction = 0
                continue
            }
            let digit = byte &- 0x30
            guard digit < 10 else { return nil }
            mantissa = mantissa * 10 + Int(digit)
            digits += 1
            if fraction >= 0 { fraction += 1 }
        }
        guard digits > 0, digits <= 7, fraction != 0 else { return nil }
        let powers: [Float] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]
        return Float(mantissa) / powers[max(fraction, 0)]
    }

    /// The next field as a `Float`.
    mutating func float(_ table: String, _ dataset: String) throws -> Float {
        let range = try next(table, dataset)
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        guard let value = Float(text) else {
            throw DatasetImportError("dataset \"\(dataset)\": rating \"\(text.prefix(20))\" in seqtwins.\(table) is not a number")
        }
        return value
    }

    /// The next field as text with COPY's escapes undone, `nil` for NULL (`\N`).
    mutating func text(_ table: String, _ dataset: String) throws -> String? {
        let range = try next(table, dataset)
        if range.count == 2 && bytes[range.lowerBound] == 0x5C && bytes[range.lowerBound + 1] == 0x4E { return nil }
        guard bytes[range].contains(0x5C) else {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        var out: [UInt8] = []
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == 0x5C && index + 1 < range.upperBound {
                index += 1
                switch bytes[index] {
                case 0x74: out.append(0x09)
                case 0x6E: out.append(0x0A)
                case 0x72: out.append(0x0D)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x76: out.append(0x0B)
                default: out.append(bytes[index])
                }
            } else {
                out.append(byte)
            }
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
