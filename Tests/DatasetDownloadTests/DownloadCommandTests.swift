import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

@testable import DatasetDownload

/// `seqtwins dataset download` end to end: the real binary fetches from a loopback server, verifies, extracts and
/// imports into a real PostgreSQL; every failure is a clear error with nothing imported.
@Suite("seqtwins dataset download", .enabled(if: TestDatabase.isAvailable), .serialized)
final class DownloadCommandTests {
    let database: TestDatabase
    let db: PostgresConnection
    let temporary: TemporaryFolder
    let zip: URL
    let server: ArchiveServer

    init() throws {
        database = try TestDatabase(suite: "DownloadCommand")
        db = try database.connect()
        temporary = try TemporaryFolder()
        zip = temporary.url.appendingPathComponent("served.zip")
        try FixtureZip.write([("ml-100k/u.data", FixtureZip.ratings), ("ml-100k/README", "test\n")], to: zip)
        server = try ArchiveServer(serving: zip, log: temporary.url.appendingPathComponent("requests.log"))
    }

    deinit {
        server.stop()
        temporary.remove()
        database.drop()
    }

    private func download(_ mode: String, sha256: String? = nil, extra: [String] = []) throws -> (Int32?, String) {
        let archive = try FixtureZip.describe(zip, servedFrom: server.url(mode))
        return try runSeqTwins(
            ["dataset", "download", "ml-100k", "--directory", temporary.url.appendingPathComponent("cache").path,
             "--test-url", archive.url.absoluteString, "--test-size", "\(archive.size)",
             "--test-sha256", sha256 ?? archive.sha256] + extra,
            databaseURL: database.url, timeout: 60)
    }

    private func datasets() throws -> Int {
        try db.queryOne("SELECT count(*)::int FROM seqtwins.datasets")!.decode(0, as: Int.self)
    }

    @Test func failuresImportNothingThenAResumedDownloadImports() throws {
        let (missing, missingOutput) = try download("missing")
        #expect(missing != 0)
        #expect(missingOutput.contains("404"), "\(missingOutput)")
        #expect(try datasets() == 0)

        let (wrong, wrongOutput) = try download("wrong")
        #expect(wrong != 0)
        let expected = try FixtureZip.describe(zip, servedFrom: server.url("wrong")).sha256
        #expect(wrongOutput.contains(expected), "the error names the expected hash: \(wrongOutput)")
        #expect(try datasets() == 0)

        let (stalled, stallOutput) = try download("stall", extra: ["--stall-seconds", "1"])
        #expect(stalled != 0)
        #expect(stallOutput.lowercased().contains("stall") || stallOutput.contains("no data"), "\(stallOutput)")
        #expect(try datasets() == 0)

        let (truncated, truncatedOutput) = try download("truncated")
        #expect(truncated != 0, "\(truncatedOutput)")
        #expect(try datasets() == 0)

        let (status, output) = try download("normal")
        #expect(status == 0, "\(output)")
        #expect(output.contains("imported dataset ml-100k"), "\(output)")
        let row = try #require(try db.queryOne("""
            SELECT user_count, item_count, interaction_count FROM seqtwins.datasets WHERE name = 'ml-100k'
            """))
        #expect(try row.decode("user_count", as: Int.self) == 97)
        #expect(try row.decode("item_count", as: Int.self) == 389)
        #expect(try row.decode("interaction_count", as: Int.self) == 2_000)
        // The completed download continued from the kept partial file.
        #expect(server.requests().last?.range.hasPrefix("bytes=") == true, "\(server.requests())")

        // A second download needs no network and imports nothing new.
        server.stop()
        let (again, againOutput) = try download("normal")
        #expect(again == 0, "\(againOutput)")
        #expect(againOutput.contains("already holds this content"), "\(againOutput)")
        #expect(try datasets() == 1)
    }

    @Test func anUnknownArchiveIsNamed() throws {
        let (status, output) = try runSeqTwins(["dataset", "download", "ml-5b"], databaseURL: database.url)
        #expect(status != 0)
        #expect(output.contains("ml-5b") && output.contains("ml-1m"), "\(output)")
    }
}
