/// Reads a big ratings file (`ratings.dat`, `u.data`, `ratings.csv`) block by block with `RatingLineParser`,
/// mapping ids and appending rows in bulk; every line the fast path cannot take (a header, an unknown id, a
/// malformed line) goes to the reader's own per-line code, which checks it and reports errors. Rows keep file
/// order either way.
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct RatingFileScanner {
    /// Separator bytes (`:` `:`, tab, comma).
    let first: UInt8
    let second: UInt8?
    /// Ratings the fast path accepts; others go to the per-line code.
    let ratingRange: ClosedRange<Float>
    let wholeRatings: Bool
    /// Whether ids must already be in the builder's indices (a users/items file was read).
    let knownUsers: Bool
    let knownItems: Bool
    /// Lines up to this number always take the per-line path (1 for a header line).
    var headerLines = 0
    /// Read buffer size (blocks hold whole lines of at most about this many bytes).
    var bufferSize = 4 << 20

    private static let scratchRows = 1 << 14

    /// Scans `path` into `builder`; `slowLine` handles (appends or throws for) every other line.
    func scan(
        path: String, into builder: inout InteractionDatasetBuilder,
        slowLine: (TextLine, inout InteractionDatasetBuilder) throws -> Void
    ) throws {
        let capacity = RatingFileScanner.scratchRows
        let users = UnsafeMutableBufferPointer<Int32>.allocate(capacity: capacity)
        let items = UnsafeMutableBufferPointer<Int32>.allocate(capacity: capacity)
        let stamps = UnsafeMutableBufferPointer<Int64>.allocate(capacity: capacity)
        let ratings = UnsafeMutableBufferPointer<Float>.allocate(capacity: capacity)
        defer {
            users.deallocate()
            items.deallocate()
            stamps.deallocate()
            ratings.deallocate()
        }
        var pending = 0
        var reader = try TextBlockReader(path: path, bufferSize: bufferSize, checksContent: false)
        var line = 1
        while let (block, _) = try reader.next() {
            let base = block.baseAddress!
            let end = base + block.count
            var pointer = base
            while pointer < end {
                let lineStart = pointer
                if line > headerLines, let row = RatingLineParser.parseRow(&pointer, end, first: first, second: second),
                    pointer == end || pointer.pointee == 10
                        || (pointer.pointee == 13 && pointer + 1 < end && pointer[1] == 10),
                    ratingRange.contains(row.rating), !wholeRatings || row.rating == row.rating.rounded(),
                    let user = knownUsers ? builder.users.lookup(row.user) : builder.users.insert(row.user),
                    let item = knownItems ? builder.items.lookup(row.item) : builder.items.insert(row.item)
                {
                    users[pending] = user
                    items[pending] = item
                    stamps[pending] = row.timestamp
                    ratings[pending] = row.rating
                    pending += 1
                    if pending == capacity {
                        builder.append(
                            users: users[..<pending], items: items[..<pending],
                            timestamps: stamps[..<pending], ratings: ratings[..<pending])
                        pending = 0
                    }
                    if pointer < end { pointer += pointer.pointee == 13 ? 2 : 1 }
                    line += 1
                    continue
                }
                // The per-line path, in file order.
                builder.append(
                    users: users[..<pending], items: items[..<pending], timestamps: stamps[..<pending],
                    ratings: ratings[..<pending])
                pending = 0
                var lineEnd = lineStart
                while lineEnd < end && lineEnd.pointee != 10 { lineEnd += 1 }
                var stop = lineEnd
                if stop > lineStart && (stop - 1).pointee == 13 { stop -= 1 }
                let bytes = UnsafeBufferPointer(start: lineStart, count: lineStart.distance(to: stop))
                if memchr(lineStart, 0, lineStart.distance(to: lineEnd)) != nil {
                    throw DatasetError(file: path, line: line, message: "NUL byte: this is not a text file")
                }
                if !bytes.isEmpty { try slowLine(TextLine(bytes: bytes, number: line), &builder) }
                pointer = lineEnd < end ? lineEnd + 1 : end
                line += 1
            }
        }
        builder.append(
            users: users[..<pending], items: items[..<pending], timestamps: stamps[..<pending],
            ratings: ratings[..<pending])
    }
}
