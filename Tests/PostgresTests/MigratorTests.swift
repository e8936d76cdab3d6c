import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

@Suite("Migrations", .enabled(if: TestDatabase.isAvailable))
final class MigratorTests {
    let database: TestDatabase

    init() throws {
        database = try TestDatabase(suite: "migrations", migrate: false)
    }

    deinit { database.drop() }

    static let migrations = [
        Migration(version: 1, name: "schema", sql: "CREATE SCHEMA IF NOT EXISTS seqtwins;"),
        Migration(version: 2, name: "table", sql: "CREATE TABLE seqtwins.t (id int); INSERT INTO seqtwins.t VALUES (1);"),
        Migration(version: 3, name: "more", sql: "INSERT INTO seqtwins.t VALUES (2); SELECT pg_sleep(0.2);"),
    ]

    @Test func applyingTwiceIsANoOp() throws {
        let db = try database.connect()
        let migrator = Migrator(migrations: Self.migrations)
        #expect(try migrator.migrate(db).map(\.version) == [1, 2, 3])
        #expect(try migrator.migrate(db).isEmpty)
        #expect(try db.queryOne("SELECT count(*)::int AS c FROM seqtwins.t")?.decode("c", as: Int.self) == 2)
        #expect(try migrator.status(db).allSatisfy { $0.appliedAt != nil })
    }

    @Test func statusListsPendingMigrations() throws {
        let db = try database.connect()
        #expect(try Migrator(migrations: Self.migrations).status(db).allSatisfy { $0.appliedAt == nil })
        try Migrator(migrations: Array(Self.migrations.prefix(2))).migrate(db)
        let status = try Migrator(migrations: Self.migrations).status(db)
        #expect(status.map { $0.appliedAt != nil } == [true, true, false])
    }

    @Test func concurrentMigratorsDoNotCollide() throws {
        let url = database.url
        let results = Results()
        let group = DispatchGroup()
        for _ in 0..<4 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                do {
                    let db = try PostgresConnection(url: url)
                    results.add(.success(try Migrator(migrations: Self.migrations).migrate(db).count))
                } catch {
                    results.add(.failure(error))
                }
            }
        }
        group.wait()
        let counts = try results.all.map { try $0.get() }
        #expect(counts.sorted() == [0, 0, 0, 3])
        let db = try database.connect()
        #expect(try db.queryOne("SELECT count(*)::int AS c FROM seqtwins.t")?.decode("c", as: Int.self) == 2)
    }

    @Test func aFailingMigrationRollsBackAndStops() throws {
        let db = try database.connect()
        let broken = Self.migrations.prefix(2) + [
            Migration(version: 3, name: "broken", sql: "INSERT INTO seqtwins.t VALUES (3); SELECT * FROM missing_table;"),
            Migration(version: 4, name: "later", sql: "INSERT INTO seqtwins.t VALUES (4);"),
        ]
        let error = try #require(throws: PostgresError.self) { try Migrator(migrations: Array(broken)).migrate(db) }
        #expect(error.sqlState == "42P01")
        #expect(try db.query("SELECT id FROM seqtwins.t ORDER BY id").map { try $0.decode("id", as: Int.self) } == [1])
        #expect(try Migrator(migrations: Array(broken)).status(db).map { $0.appliedAt != nil } == [true, true, false, false])
    }

    @Test func anEditedAppliedMigrationIsRefused() throws {
        let db = try database.connect()
        try Migrator(migrations: Self.migrations).migrate(db)
        var edited = Self.migrations
        edited[1].sql += " -- edited"
        #expect(throws: MigrationError.self) { try Migrator(migrations: edited).migrate(db) }
    }

    @Test func theProjectMigrationsFolderLoadsInOrder() throws {
        let migrator = try Migrator(directory: RepositoryPaths.root.appendingPathComponent("Migrations"))
        #expect(migrator.migrations.first?.version == 1)
        #expect(migrator.migrations.map(\.version) == migrator.migrations.map(\.version).sorted())
        let db = try database.connect()
        try migrator.migrate(db)
        #expect(try db.queryOne("SELECT to_regnamespace('seqtwins') IS NOT NULL AS ok")?.decode("ok", as: Bool.self) == true)
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<Int, any Error>] = []
    func add(_ value: Result<Int, any Error>) { lock.withLock { values.append(value) } }
    var all: [Result<Int, any Error>] { lock.withLock { values } }
}
