import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

/// Named prepared statements (`executePrepared`): prepared once per session, prepared again when the session or
/// the server forgot them.
@Suite("Prepared statements", .enabled(if: TestDatabase.isAvailable))
final class PreparedStatementTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "prepared", migrate: false)
        db = try database.connect()
        try db.executeTrustedScript("CREATE TABLE items (id bigint PRIMARY KEY, name text)")
        try db.execute("INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5) AS g")
    }

    deinit { database.drop() }

    private func name(_ id: Int64) throws -> String? {
        try db.queryPrepared("SELECT name FROM items WHERE id = \(id)").first?.decode("name")
    }

    private func serverStatements() throws -> Int {
        try db.queryOne("SELECT count(*)::int AS n FROM pg_prepared_statements")!.decode("n")
    }

    @Test func aStatementIsPreparedOncePerSessionAndTakesNewValues() throws {
        #expect(try name(2) == "item 2")
        #expect(try name(4) == "item 4")
        #expect(try name(9) == nil)
        #expect(db.preparedStatementCount == 1)
        #expect(try serverStatements() == 1)
        try db.executePrepared("UPDATE items SET name = \("renamed") WHERE id = \(Int64(4))")
        #expect(db.preparedStatementCount == 2)
        #expect(try name(4) == "renamed")
    }

    @Test func aStatementTheSessionForgotIsPreparedAgain() throws {
        #expect(try name(1) == "item 1")
        try db.executeTrustedScript("DEALLOCATE ALL")
        #expect(try serverStatements() == 0)
        #expect(try name(3) == "item 3")
        #expect(try serverStatements() == 1)
    }

    @Test func aResultTypeChangedUnderTheStatementIsPreparedAgain() throws {
        let all: SQL = "SELECT * FROM items WHERE id = \(Int64(1))"
        #expect(try db.queryPrepared(all).first?.columns == ["id", "name"])
        try db.executeTrustedScript("ALTER TABLE items ADD COLUMN score integer DEFAULT 7")
        let row = try #require(try db.queryPrepared(all).first)
        #expect(row.columns == ["id", "name", "score"])
        #expect(try row.decode("score", as: Int.self) == 7)
    }

    @Test func aNewSessionAfterReconnectingPreparesAgain() throws {
        #expect(try name(1) == "item 1")
        let other = try database.connect()
        try other.execute("SELECT pg_terminate_backend(\(db.backendProcessID))")
        let error = try #require(throws: PostgresError.self) { try name(2) }
        #expect(error.isConnectionFailure)
        try db.reconnectIfNeeded()
        #expect(db.preparedStatementCount == 0)
        #expect(try name(2) == "item 2")
        #expect(db.preparedStatementCount == 1)
        #expect(try serverStatements() == 1)
    }

    @Test func insideAFailedTransactionTheErrorIsThrownAndTheNextCallPreparesAgain() throws {
        #expect(try name(1) == "item 1")
        try db.executeTrustedScript("DEALLOCATE ALL")
        #expect(throws: PostgresError.self) {
            try db.transaction { tx in _ = try tx.queryPrepared("SELECT name FROM items WHERE id = \(Int64(2))") }
        }
        #expect(try name(2) == "item 2")
    }

    @Test func turnedOffItSendsUnnamedStatements() throws {
        db.usesPreparedStatements = false
        #expect(try name(5) == "item 5")
        #expect(db.preparedStatementCount == 0)
        #expect(try serverStatements() == 0)
    }
}
