import Foundation

/// One numbered SQL file from the migrations folder, e.g. `0002_queue.sql` → version 2, name `queue`.
public struct Migration: Sendable, Equatable {
    /// The number that orders migrations.
    public var version: Int
    /// The name after the number.
    public var name: String
    /// The file's SQL.
    public var sql: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// A migration's state in a database.
public struct MigrationStatus: Sendable, Equatable {
    /// The migration.
    public var version: Int
    /// Its name.
    public var name: String
    /// When it was applied, or `nil` when pending.
    public var appliedAt: Date?
}

/// An error in the migrations folder or between the folder and the database.
public struct MigrationError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// Applies numbered SQL files in order, each once and in its own transaction, recorded in
/// `seqtwins.schema_migrations`. A session-level advisory lock serialises concurrent migrators: the second waits,
/// then finds nothing left to do.
public struct Migrator: Sendable {
    /// The migrations, sorted by version.
    public let migrations: [Migration]

    /// The advisory lock key (`hashtext('seqtwins.migrate')` would do as well; a constant is easier to inspect).
    static let lockKey: Int64 = 0x5345_5154_5749_4E53

    /// Uses the given migrations.
    public init(migrations: [Migration]) {
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Reads `NNNN_name.sql` files from a folder.
    /// - Throws: `MigrationError` for a file whose name does not start with a number, or a repeated number.
    public init(directory: URL) throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for name in names {
            let stem = String(name.dropLast(4))
            let digits = stem.prefix { $0.isNumber }
            guard let version = Int(digits), stem.dropFirst(digits.count).first == "_" else {
                throw MigrationError(description: "\(directory.path)/\(name): expected a name like 0002_queue.sql")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw MigrationError(description: "\(directory.path): \(name) repeats version \(version) of \(clash.name)")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            migrations.append(Migration(version: version, name: String(stem.dropFirst(digits.count + 1)), sql: sql))
        }
        self.init(migrations: migrations)
    }

    /// Finds the migrations folder: `$SEQTWINS_MIGRATIONS`, then a `Migrations` folder beside or above the running
    /// executable (a build folder inside the checkout), then above the working directory, then
    /// `/usr/share/seqtwins/migrations` (container images).
    public static func locateDirectory() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        if let path = environment["SEQTWINS_MIGRATIONS"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var starts: [URL] = []
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        if let path = Bundle.main.executableURL?.resolvingSymlinksInPath() { starts.append(path) }
        starts.append(executable)
        starts.append(URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("."))
        for start in starts {
            var folder = start.deletingLastPathComponent()
            while folder.path != "/" && !folder.path.isEmpty {
                let candidate = folder.appendingPathComponent("Migrations")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("0001_schema.sql").path) {
                    return candidate
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        let installed = URL(fileURLWithPath: "/usr/share/seqtwins/migrations")
        if FileManager.default.fileExists(atPath: installed.path) { return installed }
        throw MigrationError(description: "no Migrations folder found beside the executable or the working directory; "
                             + "set SEQTWINS_MIGRATIONS to its path")
    }

    /// Applies every pending migration in order. Safe to run from several processes at once.
    /// - Returns: the migrations this call applied (empty when the database was up to date).
    /// - Throws: `PostgresError` from a failing migration (its transaction is rolled back, later ones not run), or
    ///   `MigrationError` when an applied migration's file changed since.
    @discardableResult
    public func migrate(_ db: PostgresConnection) throws -> [Migration] {
        try db.execute("SELECT pg_advisory_lock(\(Self.lockKey))")
        defer { _ = try? db.execute("SELECT pg_advisory_unlock(\(Self.lockKey))") }
        try db.executeTrustedScript("""
            CREATE SCHEMA IF NOT EXISTS seqtwins;
            CREATE TABLE IF NOT EXISTS seqtwins.schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """)
        let applied = try appliedChecksums(db)
        var done: [Migration] = []
        for migration in migrations {
            let checksum = try Self.checksum(migration.sql, db)
            if let recorded = applied[migration.version] {
                guard recorded == checksum else {
                    throw MigrationError(description: "migration \(migration.version)_\(migration.name) was changed "
                                         + "after it was applied; add a new migration instead")
                }
                continue
            }
            try db.transaction { db in
                try db.executeTrustedScript(migration.sql)
                try db.execute("""
                    INSERT INTO seqtwins.schema_migrations (version, name, checksum)
                    VALUES (\(migration.version), \(migration.name), \(checksum))
                    """)
            }
            done.append(migration)
        }
        return done
    }

    /// Lists every known migration with its applied time, plus applied versions whose files are gone.
    public func status(_ db: PostgresConnection) throws -> [MigrationStatus] {
        let exists = try db.queryOne("SELECT to_regclass('seqtwins.schema_migrations') IS NOT NULL AS present")
        var appliedAt: [Int: (String, Date)] = [:]
        if try exists?.decode("present", as: Bool.self) == true {
            for row in try db.query("SELECT version, name, applied_at FROM seqtwins.schema_migrations") {
                appliedAt[try row.decode("version")] = (try row.decode("name"), try row.decode("applied_at"))
            }
        }
        var result = migrations.map { MigrationStatus(version: $0.version, name: $0.name, appliedAt: appliedAt[$0.version]?.1) }
        for (version, (name, date)) in appliedAt where !migrations.contains(where: { $0.version == version }) {
            result.append(MigrationStatus(version: version, name: name, appliedAt: date))
        }
        return result.sorted { $0.version < $1.version }
    }

    private func appliedChecksums(_ db: PostgresConnection) throws -> [Int: String] {
        var result: [Int: String] = [:]
        for row in try db.query("SELECT version, checksum FROM seqtwins.schema_migrations") {
            result[try row.decode("version")] = try row.decode("checksum", as: String.self)
        }
        return result
    }

    /// SHA-256 of the file's text, computed by the server (no crypto library needed on the client).
    static func checksum(_ sql: String, _ db: PostgresConnection) throws -> String {
        let row = try db.queryOne("SELECT encode(sha256(convert_to(\(sql), 'UTF8')), 'hex') AS sum")
        return try row!.decode("sum")
    }
}
