import Foundation
import Postgres

/// The dashboard's read-only PostgreSQL connections: a few dedicated threads, each with its own connection.
///
/// libpq calls block, so they never run on the HTTP server's event loops: ``read(_:)`` hands the work to one of
/// these threads and suspends until it is done. Each connection is opened on first use (and again after a failure)
/// with `default_transaction_read_only = on` and a statement timeout, so even a writer login changes nothing
/// through the dashboard and a slow query cannot hold a thread for long.
public final class DashboardDatabase: @unchecked Sendable {
    private let url: String?
    private let statementTimeoutMilliseconds: Int
    private let condition = NSCondition()
    private var pending: [@Sendable (inout PostgresConnection?) -> Void] = []
    private var closed = false

    /// Starts `connections` threads for the database at `url` (`nil`: libpq's `PG*` variables). No connection is
    /// opened until the first request.
    /// - Parameters:
    ///   - url: a `postgresql://` URL or libpq keyword string; a read-only login (such as `seqtwins_reader`) is
    ///     enough.
    ///   - connections: how many queries may run at once (1-64; default 4).
    ///   - statementTimeout: seconds after which the server cancels a statement (default 15).
    public init(url: String?, connections: Int = 4, statementTimeout: Double = 15) {
        self.url = url
        statementTimeoutMilliseconds = max(1, Int(statementTimeout * 1000))
        for index in 0..<min(64, max(1, connections)) {
            let thread = Thread { [self] in serve() }
            thread.name = "seqtwins-dashboard-db-\(index)"
            thread.start()
        }
    }

    /// Runs `body` on a database thread with its connection and returns its result. A connection that broke (the
    /// server restarted) is opened again and `body` retried once.
    /// - Throws: what `body` throws, or `PostgresError` when no connection can be made.
    public func read<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = submit { connection in
                continuation.resume(with: Result { try self.run(body, on: &connection) })
            }
            if !accepted {
                continuation.resume(throwing: PostgresError(message: "the dashboard's connections are closed"))
            }
        }
    }

    private func run<T>(_ body: (PostgresConnection) throws -> T, on connection: inout PostgresConnection?) throws -> T {
        for attempt in 0..<2 {
            let db = try open(&connection)
            do {
                return try body(db)
            } catch {
                // A query error leaves the connection usable; a broken connection is replaced and tried again.
                guard !db.isConnected else { throw error }
                connection = nil
                if attempt == 1 { throw error }
            }
        }
        preconditionFailure("unreachable")
    }

    private func open(_ connection: inout PostgresConnection?) throws -> PostgresConnection {
        if let existing = connection, existing.isConnected { return existing }
        connection = nil
        let db = try PostgresConnection(url: url, applicationName: "seqtwins-dashboard")
        try db.executeTrustedScript("""
            SET default_transaction_read_only = on; SET statement_timeout = \(statementTimeoutMilliseconds)
            """)
        connection = db
        return db
    }

    /// Lets the threads finish the work already submitted, then close their connections and exit.
    public func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private func submit(_ work: @escaping @Sendable (inout PostgresConnection?) -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        pending.append(work)
        condition.signal()
        return true
    }

    /// One database thread: takes work in order and runs it on this thread's connection.
    private func serve() {
        var connection: PostgresConnection?
        while true {
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            if pending.isEmpty {
                condition.unlock()
                return
            }
            let work = pending.removeFirst()
            condition.unlock()
            work(&connection)
        }
    }
}
