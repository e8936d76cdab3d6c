import CLibPQ
import Foundation

/// A blocking connection to PostgreSQL over libpq.
///
/// Statements are `SQL` values whose interpolated values travel as bound parameters. A connection belongs to one
/// thread at a time (it is not `Sendable`); give each thread, such as a heartbeat thread, its own connection.
/// Sessions are set to UTC and ISO dates so timestamps decode the same everywhere.
public final class PostgresConnection {
    private var handle: OpaquePointer
    private var transactionDepth = 0
    private var listenedChannels: [String] = []
    /// Named prepared statements of this session, by statement text and parameter types (see `executePrepared`).
    var preparedStatements: [PreparedKey: String] = [:]
    /// The number in the next prepared statement's name.
    var nextPreparedNumber = 1

    /// Whether `executePrepared` uses named prepared statements (`false`: it sends unnamed statements, parsed and
    /// planned on every call, as `execute` does; for benchmarks comparing the two).
    public var usesPreparedStatements = true

    /// Connects with a `postgresql://` URL or libpq keyword string; `nil` or empty uses libpq's `PG*` variables.
    /// - Throws: `PostgresError` with `isConnectionFailure` set when the server cannot be reached.
    public init(url: String? = nil, applicationName: String = "seqtwins") throws {
        var keys = ["options", "application_name"]
        var values = ["-c TimeZone=UTC -c DateStyle=ISO,YMD -c client_min_messages=warning", applicationName]
        if let url, !url.isEmpty {
            keys.insert("dbname", at: 0)
            values.insert(url, at: 0)
        }
        handle = Self.connect(keys: keys, values: values)
        guard PQstatus(handle) == CONNECTION_OK else {
            // Throwing from a class initialiser after every property is set runs deinit, which frees the handle.
            let message = Self.trimmed(PQerrorMessage(handle))
            throw PostgresError(sqlState: "08001", message: "could not connect to PostgreSQL: \(message)",
                                isConnectionFailure: true)
        }
    }

    /// Connects using `DATABASE_URL` from the environment, else libpq's `PG*` variables.
    public static func fromEnvironment(applicationName: String = "seqtwins") throws -> PostgresConnection {
        try PostgresConnection(url: ProcessInfo.processInfo.environment["DATABASE_URL"],
                               applicationName: applicationName)
    }

    deinit { PQfinish(handle) }

    private static func connect(keys: [String], values: [String]) -> OpaquePointer {
        let cKeys = keys.map { strdup($0) }
        let cValues = values.map { strdup($0) }
        defer {
            cKeys.forEach { free($0) }
            cValues.forEach { free($0) }
        }
        var keyPointers: [UnsafePointer<CChar>?] = cKeys.map { UnsafePointer($0) } + [nil]
        var valuePointers: [UnsafePointer<CChar>?] = cValues.map { UnsafePointer($0) } + [nil]
        return keyPointers.withUnsafeMutableBufferPointer { keyBuffer in
            valuePointers.withUnsafeMutableBufferPointer { valueBuffer in
                PQconnectdbParams(keyBuffer.baseAddress, valueBuffer.baseAddress, 1)
            }
        }!
    }

    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        guard let message else { return "unknown error" }
        return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether libpq considers the connection usable.
    public var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server process id serving this connection (`pg_backend_pid()`).
    public var backendProcessID: Int32 { PQbackendPID(handle) }

    /// Re-establishes a broken connection (after a server restart) and repeats its `LISTEN`s.
    /// - Throws: `PostgresError` with `isConnectionFailure` when the server is still unreachable.
    public func reconnectIfNeeded() throws {
        if PQstatus(handle) == CONNECTION_OK { return }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(sqlState: "08001", message: "could not reconnect: \(Self.trimmed(PQerrorMessage(handle)))",
                                isConnectionFailure: true)
        }
        transactionDepth = 0
        // A new session: the old one's prepared statements are gone.
        preparedStatements.removeAll()
        for channel in listenedChannels { try executeTrustedScript("LISTEN \(quoteIdentifier(channel))") }
    }

    /// Runs a statement and returns its rows and affected-row count.
    /// - Throws: `PostgresError` carrying SQLSTATE, message, detail, hint and the statement text.
    @discardableResult
    public func execute(_ statement: SQL) throws -> QueryResult {
        let (text, bindings) = statement.rendered
        let result = withParameters(bindings) { types, values, lengths, formats in
            PQexecParams(handle, text, Int32(bindings.count), types, values, lengths, formats, 0)
        }
        return try consume(result, query: text)
    }

    /// Runs a statement and returns its rows.
    public func query(_ statement: SQL) throws -> [PostgresRow] {
        try execute(statement).rows
    }

    /// Runs a query expected to return at most one row.
    public func queryOne(_ statement: SQL) throws -> PostgresRow? {
        try execute(statement).rows.first
    }

    /// Runs several `;`-separated statements from trusted text without parameters (migration files).
    ///
    /// - Warning: the text is sent as it is. Never pass text that contains user input; use `execute` with
    ///   interpolated parameters instead.
    public func executeTrustedScript(_ script: String) throws {
        let result = PQexec(handle, script)
        _ = try consume(result, query: String(script.prefix(200)))
    }

    /// Quotes an identifier (a channel or table name) with libpq's rules.
    public func quoteIdentifier(_ identifier: String) -> String {
        guard let quoted = PQescapeIdentifier(handle, identifier, identifier.utf8.count) else {
            return "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// Quotes a string as an SQL literal with libpq's rules (`'it''s'`, or `E'...'` when it holds backslashes), for
    /// the few statements that take no parameters (`CREATE ROLE ... PASSWORD`).
    /// - Throws: `PostgresError` when libpq cannot quote it (invalid encoding).
    public func quoteLiteral(_ text: String) throws -> String {
        guard let quoted = PQescapeLiteral(handle, text, text.utf8.count) else {
            throw PostgresError(sqlState: "22021",
                                message: "cannot quote text as a literal: \(Self.trimmed(PQerrorMessage(handle)))")
        }
        defer { PQfreemem(quoted) }
        return String(cString: quoted)
    }

    /// The password verifier the server stores for `user` with `password` (`SCRAM-SHA-256$...` under the server's
    /// `password_encryption`), computed here by libpq, so the password itself never reaches the server or its logs.
    /// - Throws: `PostgresError` when libpq cannot compute it.
    public func encryptPassword(_ password: String, user: String) throws -> String {
        guard let verifier = PQencryptPasswordConn(handle, password, user, nil) else {
            throw PostgresError(sqlState: nil,
                                message: "cannot encrypt the password: \(Self.trimmed(PQerrorMessage(handle)))")
        }
        defer { PQfreemem(verifier) }
        return String(cString: verifier)
    }

    func withParameters<R>(
        _ bindings: [PostgresBinding],
        _ body: (UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
                 UnsafePointer<Int32>?) -> R
    ) -> R {
        let types = bindings.map { Oid($0.type.rawValue) }
        let lengths = bindings.map { Int32($0.bytes?.count ?? 0) }
        let formats = bindings.map { Int32($0.isBinary ? 1 : 0) }
        let buffers: [UnsafeMutablePointer<CChar>?] = bindings.map { binding in
            guard let bytes = binding.bytes else { return nil }
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                if let base = source.baseAddress {
                    UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: bytes.count)
                }
            }
            buffer[bytes.count] = 0
            return buffer
        }
        defer { buffers.forEach { $0?.deallocate() } }
        let values = buffers.map { $0.map { UnsafePointer($0) } }
        return types.withUnsafeBufferPointer { typeBuffer in
            values.withUnsafeBufferPointer { valueBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    formats.withUnsafeBufferPointer { formatBuffer in
                        body(typeBuffer.baseAddress, valueBuffer.baseAddress, lengthBuffer.baseAddress,
                             formatBuffer.baseAddress)
                    }
                }
            }
        }
    }

    /// Reads a libpq result into a `QueryResult`, or throws its error, and frees it.
    func consume(_ result: OpaquePointer?, query: String) throws -> QueryResult {
        guard let result else { throw connectionError(query: query) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return Self.read(result)
        default:
            throw error(from: result, query: query)
        }
    }

    private static func read(_ result: OpaquePointer) -> QueryResult {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var index: [String: Int] = [:]
        for (position, name) in columns.enumerated() where index[name] == nil { index[name] = position }
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<rowCount {
            let values: [String?] = (0..<columnCount).map { column in
                if PQgetisnull(result, Int32(row), Int32(column)) == 1 { return nil }
                return String(cString: PQgetvalue(result, Int32(row), Int32(column)))
            }
            rows.append(PostgresRow(columnIndex: index, columns: columns, values: values))
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? 0
        return QueryResult(rows: rows, affectedRows: affected, columns: columns)
    }

    func error(from result: OpaquePointer, query: String) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let broken = PQstatus(handle) != CONNECTION_OK
            || sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" || $0 == "57P03" } == true
        return PostgresError(sqlState: sqlState,
                             message: field("M") ?? Self.trimmed(PQresultErrorMessage(result)),
                             detail: field("D"), hint: field("H"), query: query, isConnectionFailure: broken)
    }

    func connectionError(query: String?) -> PostgresError {
        PostgresError(sqlState: PQstatus(handle) == CONNECTION_OK ? nil : "08006",
                      message: Self.trimmed(PQerrorMessage(handle)), query: query,
                      isConnectionFailure: PQstatus(handle) != CONNECTION_OK)
    }

    var rawHandle: OpaquePointer { handle }

    func noteListening(_ channel: String) {
        if !listenedChannels.contains(channel) { listenedChannels.append(channel) }
    }

    func noteUnlistening(_ channel: String) {
        listenedChannels.removeAll { $0 == channel }
    }

    /// Whether a transaction is open (`transaction { }`).
    var inTransaction: Bool { transactionDepth > 0 }

    func enterTransaction() -> Int {
        transactionDepth += 1
        return transactionDepth
    }

    func leaveTransaction() {
        transactionDepth = max(0, transactionDepth - 1)
    }
}

@available(*, unavailable, message: "a connection belongs to one thread; open one per thread")
extension PostgresConnection: Sendable {}
