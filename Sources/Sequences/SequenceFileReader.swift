/// Reads the sequence-per-line format of sequential-recommendation papers: `user item item ...` (space or tab
/// separated, already in time order), with an optional JSON file mapping item id to a list of attribute ids
/// (`{"4": [1, 2, 3], ...}`), used as categories.
///
/// There are no timestamps: an interaction's timestamp is its position in the line. Attribute categories are
/// ordered by numeric id when every id is an integer, else by first appearance.
public enum SequenceFileReader {
    /// Loads `path`, with the attributes file when given.
    /// - Throws: `DatasetError` naming the first bad line (a user listed twice, an empty sequence, bad JSON).
    public static func load(
        path: String, attributes: String? = nil, name: String = "sequences"
    ) throws -> InteractionDataset {
        guard TextFileReader.fileExists(path) else {
            throw DatasetError(file: path, message: "missing file (expected one line per user: user item item ...)")
        }
        var builder = InteractionDatasetBuilder(
            hasRatings: false, expectedRows: (TextFileReader.fileSize(path) ?? 0) / 6)
        try TextFileReader(path: path).forEachLine { line in
            if line.bytes.isEmpty { return true }
            var splitter = FieldSplitter(line.bytes, separator: " ")
            var userField: Field?
            var position: Int64 = 0
            var user: Int32 = 0
            while let field = splitter.next() {
                if field.isEmpty { continue }
                if field.bytes.contains(9) || field.bytes.contains(UInt8(ascii: ",")) {
                    throw DatasetError(
                        file: path, line: line.number, column: field.column,
                        message: "expected space-separated ids, found \(field.quoted) (wrong separator?)")
                }
                guard let id = field.strictUTF8 else {
                    throw DatasetError(
                        file: path, line: line.number, column: field.column, message: "id is not valid UTF-8")
                }
                if userField == nil {
                    userField = field
                    guard builder.users.lookup(id) == nil else {
                        throw DatasetError(
                            file: path, line: line.number, column: 1, field: "user",
                            message: "user \(DatasetError.quoted(id)) appears on two lines (expected one line per user)")
                    }
                    user = builder.users.insert(id)
                    continue
                }
                builder.append(user: user, item: builder.items.insert(id), timestamp: position)
                position += 1
            }
            if position == 0 {
                throw DatasetError(
                    file: path, line: line.number, column: line.bytes.count + 1,
                    message: "expected a user id followed by at least one item id")
            }
            return true
        }
        try builder.requireRows(file: path)
        var dataset = builder.build(name: name)
        if let attributes { try attachAttributes(path: attributes, to: &dataset) }
        return dataset
    }

    /// Reads an item → attribute-list JSON object and sets the dataset's categories. Items not in the dataset
    /// are ignored.
    public static func attachAttributes(path: String, to dataset: inout InteractionDataset) throws {
        var bytes: [UInt8] = []
        var lineStarts: [Int] = []
        try TextFileReader(path: path).forEachLine { line in
            lineStarts.append(bytes.count)
            bytes.append(contentsOf: line.bytes)
            bytes.append(10)
            return true
        }
        var itemIndex: [String: Int] = [:]
        for (index, id) in dataset.itemIDs.enumerated() { itemIndex[id] = index }
        var lists = [[String]](repeating: [], count: dataset.itemCount)
        var firstSeen: [String] = []
        var seen = Set<String>()
        try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer, file: path, line: 1)
            do {
                try scanner.readObject { key, scanner in
                    var list: [String] = []
                    try scanner.readArray { scanner in
                        let value = try scanner.readNumber()
                        guard value == value.rounded(), abs(value) < 1e15 else {
                            throw scanner.error("expected integer attribute ids", field: key)
                        }
                        list.append(String(Int64(value)))
                    }
                    for name in list where seen.insert(name).inserted { firstSeen.append(name) }
                    if let item = itemIndex[key] { lists[item] = list }
                }
                try scanner.expectEnd()
            } catch let error as DatasetError {
                // Translate the byte column of the joined text back to a line and column.
                var located = error
                if let column = error.column {
                    let offset = column - 1
                    var line = 0
                    while line + 1 < lineStarts.count && lineStarts[line + 1] <= offset { line += 1 }
                    located.line = line + 1
                    located.column = offset - (lineStarts.isEmpty ? 0 : lineStarts[line]) + 1
                }
                throw located
            }
        }
        let order =
            firstSeen.allSatisfy({ Int64($0) != nil })
            ? firstSeen.sorted { Int64($0)! < Int64($1)! } : firstSeen
        var table = ItemTable()
        for (index, id) in dataset.itemIDs.enumerated() {
            _ = table.add(stringID: id, title: "", categories: lists[index])
        }
        table.attach(to: &dataset, categoryOrder: order)
        dataset.itemTitles = []
    }
}
