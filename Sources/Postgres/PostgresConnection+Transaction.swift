extension PostgresConnection {
    /// Runs `body` in a transaction: `BEGIN`, then `COMMIT`, or `ROLLBACK` and rethrow when `body` throws.
    /// Nested calls use savepoints, so an inner failure rolls back only the inner part.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let depth = enterTransaction()
        defer { leaveTransaction() }
        let savepoint = "seqtwins_savepoint_\(depth)"
        try executeTrustedScript(depth == 1 ? "BEGIN" : "SAVEPOINT \(savepoint)")
        do {
            let value = try body(self)
            try executeTrustedScript(depth == 1 ? "COMMIT" : "RELEASE SAVEPOINT \(savepoint)")
            return value
        } catch {
            if isConnected {
                try? executeTrustedScript(depth == 1 ? "ROLLBACK" : "ROLLBACK TO SAVEPOINT \(savepoint)")
            }
            throw error
        }
    }
}
