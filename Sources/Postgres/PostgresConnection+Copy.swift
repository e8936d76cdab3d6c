import CLibPQ

extension PostgresConnection {
    /// Bulk-loads rows with `COPY ... FROM STDIN` in text format.
    ///
    /// - Parameters:
    ///   - statement: a `COPY table (columns) FROM STDIN` statement with no interpolated values (COPY takes none).
    ///   - rows: each row's fields as text (`nil` is NULL), in the statement's column order. Tabs, newlines and
    ///     backslashes in fields are escaped here.
    /// - Returns: the number of rows the server copied.
    /// - Throws: `PostgresError` from the server (e.g. a field of the wrong type); nothing is loaded then.
    @discardableResult
    public func copyIn(_ statement: SQL, rows: some Sequence<[String?]>) throws -> Int {
        let (text, bindings) = statement.rendered
        precondition(bindings.isEmpty, "COPY takes no parameters; format values into the rows instead")
        let started = PQexec(rawHandle, text)
        guard let started else { throw connectionError(query: text) }
        guard PQresultStatus(started) == PGRES_COPY_IN else {
            defer { PQclear(started) }
            throw error(from: started, query: text)
        }
        PQclear(started)

        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var failure: String?
        func flush() {
            guard !buffer.isEmpty, failure == nil else { return }
            let sent = buffer.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(rawHandle, $0.baseAddress, Int32($0.count)) }
            }
            if sent != 1 { failure = PostgresConnection.trimmed(PQerrorMessage(rawHandle)) }
            buffer.removeAll(keepingCapacity: true)
        }
        for row in rows {
            for (index, field) in row.enumerated() {
                if index > 0 { buffer.append(0x09) }
                if let field { Self.appendEscaped(field, to: &buffer) } else { buffer.append(contentsOf: [0x5C, 0x4E]) }
            }
            buffer.append(0x0A)
            if buffer.count >= 1 << 20 { flush() }
        }
        flush()
        _ = PQputCopyEnd(rawHandle, failure)
        var copied = 0
        var firstError: PostgresError?
        while let result = PQgetResult(rawHandle) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                copied = Int(String(cString: PQcmdTuples(result))) ?? 0
            } else if firstError == nil {
                firstError = error(from: result, query: text)
            }
            PQclear(result)
        }
        if let firstError { throw firstError }
        if let failure { throw PostgresError(message: failure, query: text, isConnectionFailure: !isConnected) }
        return copied
    }

    private static func appendEscaped(_ field: String, to buffer: inout [UInt8]) {
        for byte in field.utf8 {
            switch byte {
            case 0x5C: buffer.append(contentsOf: [0x5C, 0x5C])
            case 0x09: buffer.append(contentsOf: [0x5C, 0x74])
            case 0x0A: buffer.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: buffer.append(contentsOf: [0x5C, 0x72])
            default: buffer.append(byte)
            }
        }
    }
}
