import CLibPQ

/// A prepared statement's identity in a session: its text and its parameters' types.
struct PreparedKey: Hashable {
    var text: String
    var types: [UInt32]
}

extension PostgresConnection {
    /// Runs a statement as a named prepared statement of this session: the first call sends `PQprepare` (parse and
    /// analyse once), later calls with the same text and parameter types only `PQexecPrepared` (bind and execute;
    /// the server keeps the plan or re-plans per its plan cache rules). For the hot statements of the job queue.
    ///
    /// The cache belongs to the session: `reconnectIfNeeded()` empties it, and a statement the server no longer
    /// knows (`DISCARD ALL`, SQLSTATE 26000) or whose result type changed under it (a function redefined by a
    /// migration, SQLSTATE 0A000) is prepared again and run once more, outside a transaction (inside one the
    /// error has aborted it, so it is thrown, and the next call prepares afresh).
    /// With `usesPreparedStatements` off it is `execute`.
    /// - Throws: `PostgresError` as `execute` does.
    @discardableResult
    public func executePrepared(_ statement: SQL) throws -> QueryResult {
        guard usesPreparedStatements else { return try execute(statement) }
        let (text, bindings) = statement.rendered
        let key = PreparedKey(text: text, types: bindings.map { UInt32($0.type.rawValue) })
        do {
            return try runPrepared(key, bindings)
        } catch let error as PostgresError where error.sqlState == "26000" || error.sqlState == "0A000" {
            forgetPrepared(key)
            if inTransaction { throw error }
            return try runPrepared(key, bindings)
        }
    }

    /// `executePrepared`, returning the rows.
    public func queryPrepared(_ statement: SQL) throws -> [PostgresRow] {
        try executePrepared(statement).rows
    }

    /// How many statements this session has prepared (for tests).
    public var preparedStatementCount: Int { preparedStatements.count }

    private func runPrepared(_ key: PreparedKey, _ bindings: [PostgresBinding]) throws -> QueryResult {
        let name = try prepare(key)
        let result = withParameters(bindings) { _, values, lengths, formats in
            PQexecPrepared(rawHandle, name, Int32(bindings.count), values, lengths, formats, 0)
        }
        return try consume(result, query: key.text)
    }

    /// The statement's name in this session, preparing it first when needed.
    private func prepare(_ key: PreparedKey) throws -> String {
        if let name = preparedStatements[key] { return name }
        let name = "seqtwins_prepared_\(nextPreparedNumber)"
        nextPreparedNumber += 1
        let types = key.types.map { Oid($0) }
        let result = types.withUnsafeBufferPointer { typeBuffer in
            PQprepare(rawHandle, name, key.text, Int32(types.count), typeBuffer.baseAddress)
        }
        _ = try consume(result, query: key.text)
        preparedStatements[key] = name
        return name
    }

    /// Drops a statement from the cache and, when the server still has it, from the session.
    private func forgetPrepared(_ key: PreparedKey) {
        guard let name = preparedStatements.removeValue(forKey: key) else { return }
        if !inTransaction, isConnected {
            _ = try? executeTrustedScript("DEALLOCATE \(quoteIdentifier(name))")
        }
    }
}
