import CLibPQ

/// Bytes for one `COPY ... FROM STDIN` in text format, sent to the server in 1 MiB pieces as they fill.
///
/// Fields are separated by ``endField()`` and rows ended by ``endRow()``; text fields go through
/// ``appendEscaped(_:)`` (tabs, newlines, carriage returns and backslashes escaped), numbers through the
/// `append(_:)` overloads, which need no escaping.
public struct CopyInWriter {
    fileprivate var buffer: [UInt8] = []
    fileprivate let flush: (inout [UInt8]) throws -> Void

    fileprivate init(flush: @escaping (inout [UInt8]) throws -> Void) {
        self.flush = flush
        buffer.reserveCapacity(1 << 20)
    }

    /// Appends a text field, escaped for the text format.
    public mutating func appendEscaped(_ field: String) {
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

    /// Appends bytes that need no escaping (digits, a literal `{...}` array the caller escaped).
    public mutating func appendRaw(_ text: StaticString) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    /// Appends a decimal integer.
    public mutating func append(_ value: Int64) {
        if value == 0 {
            buffer.append(0x30)
            return
        }
        var magnitude = value.magnitude
        if value < 0 { buffer.append(0x2D) }
        var digits: (UInt64, UInt64) = (0, 0)  // up to 20 digits, kept off the heap
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            while magnitude > 0 {
                scratch[count] = UInt8(magnitude % 10) + 0x30
                magnitude /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(scratch[index]) }
        }
    }

    /// Appends a decimal integer.
    public mutating func append(_ value: Int) { append(Int64(value)) }

    /// Appends a `Float` in the shortest form that reads back to the same value.
    public mutating func append(_ value: Float) { buffer.append(contentsOf: value.description.utf8) }

    /// Appends a text-format array literal `{a,b,c}` of numbers, each written by `element`.
    public mutating func appendArray<C: Collection>(_ values: C, element: (inout CopyInWriter, C.Element) -> Void) {
        buffer.append(0x7B)
        var first = true
        for value in values {
            if !first { buffer.append(0x2C) }
            first = false
            element(&self, value)
        }
        buffer.append(0x7D)
    }

    /// Appends `\N` (NULL).
    public mutating func appendNull() { buffer.append(contentsOf: [0x5C, 0x4E]) }

    /// Ends a field (a tab).
    public mutating func endField() { buffer.append(0x09) }

    /// Ends a row (a newline), sending the buffer when it holds 1 MiB.
    public mutating func endRow() throws {
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush(&buffer) }
    }

    fileprivate mutating func finish() throws { try flush(&buffer) }
}

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
        try copyIn(statement) { writer in
            for row in rows {
                for (index, field) in row.enumerated() {
                    if index > 0 { writer.endField() }
                    if let field { writer.appendEscaped(field) } else { writer.appendNull() }
                }
                try writer.endRow()
            }
        }
    }

    /// Bulk-loads rows with `COPY ... FROM STDIN` in text format, written by `body` through a ``CopyInWriter``
    /// (no per-row allocation: the form for millions of rows).
    ///
    /// - Parameters:
    ///   - statement: a `COPY table (columns) FROM STDIN` statement with no interpolated values.
    ///   - body: writes every row; an error it throws aborts the COPY (nothing is loaded) and is rethrown.
    /// - Returns: the number of rows the server copied.
    /// - Throws: `PostgresError` from the server; nothing is loaded then.
    @discardableResult
    public func copyIn(_ statement: SQL, body: (inout CopyInWriter) throws -> Void) throws -> Int {
        try streamCopyIn(statement) { flush in
            var writer = CopyInWriter(flush: flush)
            try body(&writer)
            try writer.finish()
        }
    }

    /// Bulk-loads rows with `COPY ... FROM STDIN (FORMAT binary)`, written by `body` through a
    /// ``BinaryCopyInWriter``: no text to format on this side or to parse on the server's (the form for large
    /// numeric arrays, such as embeddings).
    ///
    /// - Parameters:
    ///   - statement: a `COPY table (columns) FROM STDIN (FORMAT binary)` statement with no interpolated values.
    ///   - body: writes every row, each field in the column's binary wire format; an error it throws aborts the
    ///     COPY (nothing is loaded) and is rethrown.
    /// - Returns: the number of rows the server copied.
    /// - Throws: `PostgresError` from the server (e.g. a field whose bytes do not fit its column); nothing is
    ///   loaded then.
    @discardableResult
    public func copyInBinary(_ statement: SQL, body: (inout BinaryCopyInWriter) throws -> Void) throws -> Int {
        try streamCopyIn(statement) { flush in
            var writer = BinaryCopyInWriter(flush: flush)
            try body(&writer)
            try writer.finish()
        }
    }

    /// Runs a `COPY ... FROM STDIN`: `produce` writes the data through the flush function it is given (which sends
    /// a buffer with `PQputCopyData` and empties it); then the COPY is ended and its result read.
    private func streamCopyIn(
        _ statement: SQL, produce: (_ flush: @escaping (inout [UInt8]) throws -> Void) throws -> Void
    ) throws -> Int {
        let text = try startCopy(statement, expecting: PGRES_COPY_IN)
        var failure: String?
        let handle = rawHandle
        let flush: (inout [UInt8]) throws -> Void = { buffer in
            guard !buffer.isEmpty, failure == nil else {
                buffer.removeAll(keepingCapacity: true)
                return
            }
            let sent = buffer.withUnsafeBufferPointer { bytes in
                bytes.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            if sent != 1 { failure = PostgresConnection.trimmed(PQerrorMessage(handle)) }
            buffer.removeAll(keepingCapacity: true)
        }
        var bodyError: (any Error)?
        do {
            try produce(flush)
        } catch {
            bodyError = error
        }
        _ = PQputCopyEnd(rawHandle, bodyError.map { String(describing: $0).prefix(200) }.map(String.init) ?? failure)
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
        if let bodyError { throw bodyError }
        if let firstError { throw firstError }
        if let failure { throw PostgresError(message: failure, query: text, isConnectionFailure: !isConnected) }
        return copied
    }

    /// Streams the rows of `COPY (query) TO STDOUT` in text format: `row` receives each row's bytes (fields
    /// separated by tabs, `\N` for NULL, no trailing newline), valid only during the call.
    ///
    /// - Parameters:
    ///   - statement: a `COPY (SELECT ...) TO STDOUT` statement with no interpolated values.
    ///   - row: called once per row, in the server's order.
    /// - Returns: the number of rows.
    /// - Throws: `PostgresError` from the server or the connection; what `row` throws (the rest of the stream is
    ///   drained first, so the connection stays usable).
    @discardableResult
    public func copyOut(_ statement: SQL, row: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        try streamCopyOut(statement) { bytes in
            try row(bytes.last == 0x0A ? UnsafeBufferPointer(rebasing: bytes.dropLast()) : bytes)
        }
    }

    /// Streams `COPY (query) TO STDOUT (FORMAT binary)` as a ``BinaryCopyOutReader``: `row` receives each row's
    /// fields in the columns' binary send formats (the file header and trailer are handled here).
    /// - Returns: the number of rows read.
    /// - Throws: `PostgresError` from the server or for bytes that break the format; any error `row` throws (the
    ///   COPY is drained first, so the connection stays usable).
    @discardableResult
    public func copyOutBinary(_ statement: SQL, row: (inout BinaryCopyOutReader) throws -> Void) throws -> Int {
        var header = true
        var rows = 0
        try streamCopyOut(statement) { bytes in
            var reader = BinaryCopyOutReader(bytes)
            if header {
                try reader.skipHeader()
                header = false
            }
            while try reader.beginRow() {
                try row(&reader)
                rows += 1
            }
        }
        return rows
    }

    /// Runs a `COPY ... TO STDOUT`, handing `message` the bytes of each CopyData message (one row, plus the header
    /// or trailer in the binary format), valid only during the call; the COPY is drained to its end even after an
    /// error, which is then thrown.
    private func streamCopyOut(_ statement: SQL, message: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Int {
        let text = try startCopy(statement, expecting: PGRES_COPY_OUT)
        var count = 0
        var rowError: (any Error)?
        while true {
            var pointer: UnsafeMutablePointer<CChar>?
            let length = PQgetCopyData(rawHandle, &pointer, 0)
            if length == -1 { break }  // done
            if length == -2 { throw connectionError(query: text) }
            guard let pointer else { continue }
            defer { PQfreemem(pointer) }
            guard rowError == nil else { continue }
            do {
                try pointer.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
                    try message(UnsafeBufferPointer(start: $0, count: Int(length)))
                }
                count += 1
            } catch {
                rowError = error
            }
        }
        var firstError: PostgresError?
        while let result = PQgetResult(rawHandle) {
            if PQresultStatus(result) != PGRES_COMMAND_OK && firstError == nil {
                firstError = error(from: result, query: text)
            }
            PQclear(result)
        }
        if let rowError { throw rowError }
        if let firstError { throw firstError }
        return count
    }

    /// Sends a COPY statement (which takes no parameters) and checks that the server entered the `expected` COPY
    /// state; returns the statement's text for error messages.
    private func startCopy(_ statement: SQL, expecting expected: ExecStatusType) throws -> String {
        let (text, bindings) = statement.rendered
        precondition(bindings.isEmpty, "COPY takes no parameters; format values into the rows or the statement")
        let started = PQexec(rawHandle, text)
        guard let started else { throw connectionError(query: text) }
        defer { PQclear(started) }
        guard PQresultStatus(started) == expected else { throw error(from: started, query: text) }
        return text
    }
}
