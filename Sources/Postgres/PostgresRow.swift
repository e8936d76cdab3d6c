/// The outcome of one statement: its rows (text format) and how many rows it changed.
public struct QueryResult: Sendable {
    /// The returned rows, in order.
    public var rows: [PostgresRow]
    /// Rows inserted, updated or deleted (`PQcmdTuples`); 0 for statements that report none.
    public var affectedRows: Int
    /// The column names, in order.
    public var columns: [String]
}

/// One result row; values are kept in PostgreSQL's text format and decoded on access.
public struct PostgresRow: Sendable {
    /// Column name to index, shared by all rows of a result.
    let columnIndex: [String: Int]
    /// Column names in order.
    public let columns: [String]
    /// The values (`nil` is SQL NULL).
    public let values: [String?]

    /// Decodes the named column as `T`; throws `PostgresDecodingError` for a missing column, NULL or bad text.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard let index = columnIndex[column] else {
            throw PostgresDecodingError(column: column, expected: "\(T.self)", found: "no such column")
        }
        return try decode(index, as: T.self)
    }

    /// Decodes the named column as `T?`, mapping NULL to `nil`.
    public func decode<T: PostgresDecodable>(_ column: String, as type: T?.Type = T?.self) throws -> T? {
        guard let index = columnIndex[column] else {
            throw PostgresDecodingError(column: column, expected: "\(T.self)", found: "no such column")
        }
        return try decode(index, as: T?.self)
    }

    /// Decodes the column at `index` as `T`; NULL is an error.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        guard let value = try decode(index, as: T?.self) else {
            throw PostgresDecodingError(column: columns[index], expected: "\(T.self)", found: "NULL")
        }
        return value
    }

    /// Decodes the column at `index` as `T?`, mapping NULL to `nil`.
    public func decode<T: PostgresDecodable>(_ index: Int, as type: T?.Type = T?.self) throws -> T? {
        precondition(index >= 0 && index < values.count, "column index \(index) out of range 0..<\(values.count)")
        guard let text = values[index] else { return nil }
        do {
            return try T(postgresText: text)
        } catch let error as InvalidText {
            throw PostgresDecodingError(column: columns[index], expected: "\(T.self) (\(error.expected))",
                                        found: String(text.prefix(80)))
        }
    }

    /// Whether the named column is SQL NULL (or missing).
    public func isNull(_ column: String) -> Bool {
        guard let index = columnIndex[column] else { return true }
        return values[index] == nil
    }
}
