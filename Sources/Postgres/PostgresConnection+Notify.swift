import CLibPQ
import Foundation

/// A message delivered by `NOTIFY`.
public struct PostgresNotification: Sendable, Equatable {
    /// The channel it was sent on.
    public var channel: String
    /// Its payload (empty when none was given).
    public var payload: String
    /// The sending server process.
    public var senderProcessID: Int32
}

extension PostgresConnection {
    /// Subscribes to a channel (`LISTEN`); the subscription is renewed after `reconnectIfNeeded()`.
    public func listen(_ channel: String) throws {
        try executeTrustedScript("LISTEN \(quoteIdentifier(channel))")
        noteListening(channel)
    }

    /// Ends a subscription (`UNLISTEN`).
    public func unlisten(_ channel: String) throws {
        try executeTrustedScript("UNLISTEN \(quoteIdentifier(channel))")
        noteUnlistening(channel)
    }

    /// Sends `pg_notify(channel, payload)`.
    public func notify(_ channel: String, payload: String = "") throws {
        try execute("SELECT pg_notify(\(channel), \(payload))")
    }

    /// Waits on the connection's socket (no sleeping) until a notification arrives or `timeout` seconds pass.
    /// - Returns: the first pending notification, or `nil` on timeout.
    /// - Throws: `PostgresError` with `isConnectionFailure` when the connection breaks while waiting.
    public func waitForNotification(timeout: Double) throws -> PostgresNotification? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard PQconsumeInput(rawHandle) == 1 else { throw connectionError(query: nil) }
            if let notification = nextNotification() { return notification }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var descriptor = pollfd(fd: PQsocket(rawHandle), events: Int16(POLLIN), revents: 0)
            guard descriptor.fd >= 0 else { throw connectionError(query: nil) }
            let ready = poll(&descriptor, 1, Int32(min(remaining * 1000, Double(Int32.max)).rounded(.up)))
            if ready < 0 && errno != EINTR { throw connectionError(query: nil) }
        }
    }

    /// Returns the notifications already received, without waiting.
    public func pendingNotifications() throws -> [PostgresNotification] {
        guard PQconsumeInput(rawHandle) == 1 else { throw connectionError(query: nil) }
        var notifications: [PostgresNotification] = []
        while let notification = nextNotification() { notifications.append(notification) }
        return notifications
    }

    private func nextNotification() -> PostgresNotification? {
        guard let raw = PQnotifies(rawHandle) else { return nil }
        defer { PQfreemem(raw) }
        return PostgresNotification(channel: String(cString: raw.pointee.relname),
                                    payload: raw.pointee.extra.map { String(cString: $0) } ?? "",
                                    senderProcessID: raw.pointee.be_pid)
    }
}
