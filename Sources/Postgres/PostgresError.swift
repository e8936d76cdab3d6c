/// An error reported by PostgreSQL or libpq, with the SQLSTATE and the statement that caused it.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// The five-character SQLSTATE (e.g. `23505` unique violation), or `nil` for client-side failures.
    public var sqlState: String?
    /// The primary message.
    public var message: String
    /// The server's detail line, if any.
    public var detail: String?
    /// The server's hint, if any.
    public var hint: String?
    /// The statement text with `$n` placeholders (never the values).
    public var query: String?
    /// Whether the connection itself broke (server restart, network): the statement may not have run.
    public var isConnectionFailure: Bool

    /// Creates an error.
    public init(sqlState: String? = nil, message: String, detail: String? = nil, hint: String? = nil,
                query: String? = nil, isConnectionFailure: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.hint = hint
        self.query = query
        self.isConnectionFailure = isConnectionFailure
    }

    public var description: String {
        var text = message
        if let sqlState { text += " (SQLSTATE \(sqlState))" }
        if let detail { text += "; detail: \(detail)" }
        if let hint { text += "; hint: \(hint)" }
        if let query { text += "; query: \(query)" }
        return text
    }

    /// `40001` serialization failure or `40P01` deadlock: the transaction may be retried as a whole.
    public var isRetryableTransactionFailure: Bool { sqlState == "40001" || sqlState == "40P01" }
}
