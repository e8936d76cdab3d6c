import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

@Suite("Postgres client", .enabled(if: TestDatabase.isAvailable))
final class PostgresClientTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "client", migrate: false)
        db = try database.connect()
        try db.executeTrustedScript("""
            CREATE TABLE things (id bigserial PRIMARY KEY, name text, score double precision, small real,
                flag boolean, at timestamptz, uid uuid, blob bytea, vec real[], doc jsonb, n integer)
            """)
    }

    deinit { database.drop() }

    @Test func interpolatedValuesAreParametersNotText() throws {
        let hostile = "x'); DROP TABLE things; --"
        let statement: SQL = "INSERT INTO things (name) VALUES (\(hostile))"
        #expect(statement.description == "INSERT INTO things (name) VALUES ($1)")
        try db.execute(statement)
        let row = try #require(try db.queryOne("SELECT name FROM things"))
        #expect(try row.decode("name", as: String.self) == hostile)
    }

    @Test func fragmentsComposeAndRenumber() throws {
        let low = 2, high = 5
        let filter: SQL = "WHERE g BETWEEN \(low) AND \(high)"
        let statement: SQL = "SELECT count(*)::int AS c FROM generate_series(\(1), \(10)) AS g \(filter)"
        #expect(statement.description == "SELECT count(*)::int AS c FROM generate_series($1, $2) AS g WHERE g BETWEEN $3 AND $4")
        #expect(try db.queryOne(statement)?.decode("c", as: Int.self) == 4)
        let rows = SQL.joined([1, 2, 3].map { value -> SQL in "(\(value))" })
        let sum = try db.queryOne("SELECT sum(v)::bigint AS s FROM (VALUES \(rows)) AS t (v)")
        #expect(try sum?.decode("s", as: Int64.self) == 6)
    }

    @Test func typedValuesRoundTrip() throws {
        let date = Date(timeIntervalSince1970: 1_764_412_345.123456)
        let uuid = UUID()
        let blob: [UInt8] = [0, 1, 2, 250, 255, 0x5C, 0x0A]
        let vector: [Float] = [1.5, -2.25, 3.0e-7, 1234567.9, 0]
        let json = PostgresJSON(text: #"{"b": [1, 2], "a": "x"}"#)
        try db.execute("""
            INSERT INTO things (name, score, small, flag, at, uid, blob, vec, doc, n)
            VALUES (\("héllo"), \(0.1 + 0.2), \(Float(0.1)), \(true), \(date), \(uuid), \(blob), \(FloatArray(vector)),
                    \(json), \(Int32(-7)))
            """)
        let row = try #require(try db.queryOne("SELECT * FROM things"))
        #expect(try row.decode("name", as: String.self) == "héllo")
        #expect(try row.decode("score", as: Double.self) == 0.1 + 0.2)
        #expect(try row.decode("small", as: Float.self) == Float(0.1))
        #expect(try row.decode("flag", as: Bool.self) == true)
        let back = try row.decode("at", as: Date.self)
        #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 1e-6)
        #expect(try row.decode("uid", as: UUID.self) == uuid)
        #expect(try row.decode("blob", as: [UInt8].self) == blob)
        #expect(try row.decode("blob", as: Data.self) == Data(blob))
        #expect(try row.decode("vec", as: [Float].self) == vector)
        struct Doc: Decodable, Equatable { var a: String; var b: [Int] }
        #expect(try row.decode("doc", as: PostgresJSON.self).decode(Doc.self) == Doc(a: "x", b: [1, 2]))
        #expect(try row.decode("n", as: Int32.self) == -7)
        #expect(try row.decode("id", as: Int.self) >= 1)
    }

    @Test func nullsDecodeAsNilAndFailAsNonOptional() throws {
        let missing: String? = nil
        try db.execute("INSERT INTO things (name, score) VALUES (\(missing), \(Double?.none))")
        let row = try #require(try db.queryOne("SELECT name, score FROM things"))
        #expect(try row.decode("name", as: String?.self) == nil)
        #expect(row.isNull("score"))
        #expect(throws: PostgresDecodingError.self) { try row.decode("name", as: String.self) }
        #expect(throws: PostgresDecodingError.self) { try row.decode("nope", as: String?.self) }
    }

    @Test func wrongTypeNamesTheColumn() throws {
        try db.execute("INSERT INTO things (name) VALUES (\("abc"))")
        let row = try #require(try db.queryOne("SELECT name FROM things"))
        let error = try #require(throws: PostgresDecodingError.self) { try row.decode("name", as: Int.self) }
        #expect(error.column == "name")
        #expect(error.found == "abc")
    }

    @Test func errorsCarrySQLStateDetailAndQuery() throws {
        try db.execute("CREATE UNIQUE INDEX ON things (name)")
        try db.execute("INSERT INTO things (name) VALUES (\("dup"))")
        let error = try #require(throws: PostgresError.self) {
            try db.execute("INSERT INTO things (name) VALUES (\("dup"))")
        }
        #expect(error.sqlState == "23505")
        #expect(error.detail?.contains("dup") == true)
        #expect(error.query == "INSERT INTO things (name) VALUES ($1)")
        #expect(!error.isConnectionFailure)
        let invalid = try #require(throws: PostgresError.self) {
            try db.execute("INSERT INTO things (doc) VALUES (\(PostgresJSON(text: "{not json")))")
        }
        #expect(invalid.sqlState == "22P02")
    }

    @Test func affectedRowsAreCounted() throws {
        for name in ["a", "b", "c"] { try db.execute("INSERT INTO things (name) VALUES (\(name))") }
        let result = try db.execute("UPDATE things SET flag = true WHERE name <> \("b")")
        #expect(result.affectedRows == 2)
    }

    @Test func transactionsCommitAndRollBack() throws {
        try db.transaction { db in try db.execute("INSERT INTO things (name) VALUES (\("kept"))") }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try db.transaction { db in
                try db.execute("INSERT INTO things (name) VALUES (\("lost"))")
                throw Boom()
            }
        }
        try db.transaction { db in
            try db.execute("INSERT INTO things (name) VALUES (\("outer"))")
            try? db.transaction { db in
                try db.execute("INSERT INTO things (name) VALUES (\("inner"))")
                throw Boom()
            }
        }
        let names = try db.query("SELECT name FROM things ORDER BY id").map { try $0.decode("name", as: String.self) }
        #expect(names == ["kept", "outer"])
    }

    @Test func notificationsWakeAWaitingConnection() throws {
        try db.listen("seqtwins_test")
        #expect(try db.waitForNotification(timeout: 0.05) == nil)
        let other = try database.connect()
        try other.notify("seqtwins_test", payload: "hello")
        let note = try #require(try db.waitForNotification(timeout: 5))
        #expect(note.channel == "seqtwins_test")
        #expect(note.payload == "hello")
        #expect(note.senderProcessID == other.backendProcessID)
    }

    @Test func copyLoadsRowsWithEscapes() throws {
        let rows: [[String?]] = (0..<5000).map { ["name \($0)\twith\ttabs\\and\nnewlines", nil, "{\($0),1.5}"] }
        let copied = try db.copyIn("COPY things (name, score, vec) FROM STDIN", rows: rows)
        #expect(copied == 5000)
        let row = try #require(try db.queryOne("SELECT name, score, vec FROM things WHERE vec[1] = \(Float(42))"))
        #expect(try row.decode("name", as: String.self) == "name 42\twith\ttabs\\and\nnewlines")
        #expect(try row.decode("score", as: Double?.self) == nil)
        #expect(try row.decode("vec", as: [Float].self) == [42, 1.5])
    }

    @Test func copyOfABadRowLoadsNothing() throws {
        let rows: [[String?]] = [["ok", "1"], ["bad", "not a number"]]
        let error = try #require(throws: PostgresError.self) {
            try db.copyIn("COPY things (name, score) FROM STDIN", rows: rows)
        }
        #expect(error.sqlState == "22P02")
        #expect(try db.queryOne("SELECT count(*)::int AS c FROM things")?.decode("c", as: Int.self) == 0)
        #expect(try db.queryOne("SELECT 1 AS one")?.decode("one", as: Int.self) == 1)
    }

    @Test func binaryCopyLoadsTextAndRealArraysBitForBit() throws {
        // 20,000 rows of 64 floats: several 1 MiB pieces.
        let vector: [Float] = (0..<64).map { Float($0) / 7 } + [-0.0, .nan, .infinity]
        let copied = try db.copyInBinary("COPY things (name, vec) FROM STDIN (FORMAT binary)") { writer in
            for index in 0..<20_000 {
                try writer.beginRow(fields: 2)
                writer.appendText("row \(index)\twith a tab, é")
                writer.appendRealArray(vector)
            }
        }
        #expect(copied == 20_000)
        let row = try #require(try db.queryOne("SELECT name, vec FROM things WHERE name = 'row 7' || chr(9) || 'with a tab, é'"))
        let back = try row.decode("vec", as: [Float].self)
        #expect(back.count == vector.count)
        #expect(zip(back, vector).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
        // And back out with binary COPY: every row, the same bits, NULL text as nil.
        try db.execute("INSERT INTO things (name, vec) VALUES (NULL, '{}')")
        var names: [String?] = []
        var vectors: [[Float]] = []
        let read = try db.copyOutBinary("COPY (SELECT name, vec FROM things ORDER BY id) TO STDOUT (FORMAT binary)") {
            row in
            names.append(try row.text())
            vectors.append(try #require(try row.realArray()))
        }
        #expect(read == 20_001 && names.count == 20_001)
        #expect(names[7] == "row 7\twith a tab, é" && names.last! == nil && vectors.last! == [])
        #expect(zip(vectors[7], vector).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
        // A column of another type is refused with the reason, and the connection stays usable.
        let wrong = try #require(throws: PostgresError.self) {
            try db.copyOutBinary("COPY (SELECT ARRAY[1, 2]::int4[]) TO STDOUT (FORMAT binary)") { row in
                _ = try row.realArray()
            }
        }
        #expect(wrong.message.contains("expected real[]"), "\(wrong.message)")
        #expect(try db.queryOne("SELECT 1 AS one")?.decode("one", as: Int.self) == 1)
    }

    @Test func binaryCopyOfAMalformedRowLoadsNothing() throws {
        let error = try #require(throws: PostgresError.self) {
            try db.copyInBinary("COPY things (name, score) FROM STDIN (FORMAT binary)") { writer in
                try writer.beginRow(fields: 2)
                writer.appendText("ok")
                writer.appendNull()
                try writer.beginRow(fields: 1)  // one field for a two-column COPY
                writer.appendText("short")
            }
        }
        #expect(error.message.contains("row field count"), "\(error.message)")
        #expect(try db.queryOne("SELECT count(*)::int AS c FROM things")?.decode("c", as: Int.self) == 0)
        #expect(try db.queryOne("SELECT 1 AS one")?.decode("one", as: Int.self) == 1)
    }

    @Test func reconnectsAfterTheSessionIsKilled() throws {
        try db.listen("after_reconnect")
        let other = try database.connect()
        try other.execute("SELECT pg_terminate_backend(\(db.backendProcessID))")
        let error = try #require(throws: PostgresError.self) { try db.execute("SELECT 1") }
        #expect(error.isConnectionFailure)
        try db.reconnectIfNeeded()
        #expect(try db.queryOne("SELECT 2 AS two")?.decode("two", as: Int.self) == 2)
        try other.notify("after_reconnect", payload: "again")
        #expect(try db.waitForNotification(timeout: 5)?.payload == "again")
    }

    @Test func badURLFailsClearly() throws {
        let error = try #require(throws: PostgresError.self) {
            try PostgresConnection(url: "postgresql://nobody@/nodb?host=/nonexistent/socket/dir")
        }
        #expect(error.isConnectionFailure)
        #expect(error.message.contains("could not connect"))
    }

    @Test func urlRewritingKeepsHostAndQuery() {
        #expect(DatabaseURL.replacingDatabase(in: "postgresql://u@/postgres?host=/tmp/s&port=5", with: "x")
                == "postgresql://u@/x?host=/tmp/s&port=5")
        #expect(DatabaseURL.replacingDatabase(in: "postgres://u:p@h:5432/db", with: "y") == "postgres://u:p@h:5432/y")
        #expect(DatabaseURL.replacingDatabase(in: "postgresql://h", with: "z") == "postgresql://h/z")
    }
}
