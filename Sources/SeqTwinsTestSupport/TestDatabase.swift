import Foundation
import Postgres

/// A fresh, migrated database on the private test cluster, dropped by `drop()` or when released.
///
/// The server is `DATABASE_URL` when set, else the project's private cluster, which `scripts/pg.sh start` starts on
/// first use. Each instance creates its own database (`seqtwins_test_<suite>_<pid>_<n>`), so suites and tests run
/// in parallel without seeing each other's rows.
public final class TestDatabase {
    /// The database's name.
    public let name: String
    /// A URL for this database, for connections and for worker processes (`DATABASE_URL`).
    public let url: String
    private var dropped = false

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    /// Creates and migrates a fresh database.
    /// - Throws: `TestDatabaseError` when no server can be reached or started, `PostgresError` from migrations.
    public init(suite: String, migrate: Bool = true) throws {
        let server = try Self.serverURL()
        let number = Self.counterLock.withLock {
            Self.counter += 1
            return Self.counter
        }
        let slug = suite.lowercased().filter { $0.isLetter || $0.isNumber }
        name = "seqtwins_test_\(slug.prefix(30))_\(getpid())_\(number)"
        url = DatabaseURL.replacingDatabase(in: server, with: name)
        let admin = try PostgresConnection(url: server)
        try admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(name)")
        try admin.executeTrustedScript("DROP DATABASE IF EXISTS \(admin.quoteIdentifier(name))")
        try admin.executeTrustedScript("CREATE DATABASE \(admin.quoteIdentifier(name))")
        if migrate {
            let db = try PostgresConnection(url: url)
            try Migrator(directory: RepositoryPaths.root.appendingPathComponent("Migrations")).migrate(db)
        }
    }

    deinit { drop() }

    /// Opens a new connection to this database.
    public func connect() throws -> PostgresConnection {
        try PostgresConnection(url: url)
    }

    /// Drops the database, ending its open sessions first. Safe to call more than once.
    public func drop() {
        guard !dropped else { return }
        dropped = true
        guard let server = try? Self.serverURL(), let admin = try? PostgresConnection(url: server) else { return }
        _ = try? admin.executeTrustedScript("DROP DATABASE IF EXISTS \(admin.quoteIdentifier(name)) WITH (FORCE)")
    }

    /// Whether database tests can run. Under `CI=true` this is always true, so a missing server fails the tests
    /// instead of skipping them; elsewhere an unreachable server prints why and skips.
    public static let isAvailable: Bool = {
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        do {
            _ = try serverURL()
            return true
        } catch {
            print("skipping database tests: \(error)")
            return false
        }
    }()

    private static let cachedServer: Result<String, any Error> = Result {
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty {
            _ = try PostgresConnection(url: url)
            return url
        }
        let script = RepositoryPaths.root.appendingPathComponent("scripts/pg.sh").path
        let output = try TestProcess.run("/bin/bash", [script, "start"])
        guard output.status == 0, let url = output.stdout.split(separator: "\n").last.map(String.init) else {
            throw TestDatabaseError(description: "scripts/pg.sh start failed (\(output.status)): \(output.stderr)")
        }
        _ = try PostgresConnection(url: url)
        return url
    }

    /// The server's URL (`DATABASE_URL`, or the private cluster's, starting it if needed).
    public static func serverURL() throws -> String {
        try cachedServer.get()
    }
}

/// No test server could be reached or started.
public struct TestDatabaseError: Error, CustomStringConvertible {
    public var description: String
}

/// Rewrites connection strings.
public enum DatabaseURL {
    /// Points a `postgresql://` URL or a `key=value` string at another database, keeping everything else.
    public static func replacingDatabase(in url: String, with database: String) -> String {
        guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
            return url + " dbname=\(database)"
        }
        let schemeEnd = url.range(of: "://")!.upperBound
        let rest = url[schemeEnd...]
        let queryStart = rest.firstIndex(of: "?") ?? rest.endIndex
        let authority = rest[..<queryStart].split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return String(url[..<schemeEnd]) + authority + "/" + database + rest[queryStart...]
    }

    /// Points a `postgresql://` URL or a `key=value` string at another user (and password), keeping the server and
    /// the database.
    public static func replacingUser(in url: String, with user: String, password: String? = nil) -> String {
        guard url.hasPrefix("postgresql://") || url.hasPrefix("postgres://") else {
            return url + " user=\(user)" + (password.map { " password='\($0)'" } ?? "")
        }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let encode = { (text: String) in text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text }
        let schemeEnd = url.range(of: "://")!.upperBound
        let rest = url[schemeEnd...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let host = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority
        let userInfo = encode(user) + (password.map { ":" + encode($0) } ?? "")
        return String(url[..<schemeEnd]) + userInfo + "@" + host + rest[authorityEnd...]
    }
}
