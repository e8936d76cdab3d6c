import Crypto
import Foundation
import Testing

@testable import DatasetDownload

/// One test's world: a temporary folder, a test zip in it, a cache folder, and a loopback server for the zip.
private struct Scenario {
    let temporary: TemporaryFolder
    let zip: URL
    let cache: URL
    let server: ArchiveServer

    init(files: [(path: String, contents: String)] = FixtureZip.movieLens100K) throws {
        temporary = try TemporaryFolder()
        zip = temporary.url.appendingPathComponent("served.zip")
        cache = temporary.url.appendingPathComponent("cache", isDirectory: true)
        try FixtureZip.write(files, to: zip)
        server = try ArchiveServer(serving: zip, log: temporary.url.appendingPathComponent("requests.log"))
    }

    /// The test zip's description, served in `mode`.
    func archive(_ mode: String) throws -> PublicArchive {
        try FixtureZip.describe(zip, servedFrom: server.url(mode))
    }

    var part: URL { cache.appendingPathComponent("ml-100k.zip.part") }
    var verifiedZip: URL { cache.appendingPathComponent("ml-100k.zip") }
    var extracted: URL { cache.appendingPathComponent("ml-100k", isDirectory: true) }
    var staging: URL { cache.appendingPathComponent(".ml-100k.extracting", isDirectory: true) }

    /// Writes `count` bytes of junk as a leftover `.part`.
    func writePart(bytes count: Int) throws {
        try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true)
        try Data(repeating: 0x5A, count: count).write(to: part)
    }

    func finish() {
        server.stop()
        temporary.remove()
    }
}

/// The extracted `u.data`, or `nil`.
private func ratings(in folder: URL) -> String? {
    try? String(contentsOf: folder.appendingPathComponent("u.data"), encoding: .utf8)
}

@Suite("Fetching archives from a loopback HTTP server")
struct DownloadTests {
    @Test func downloadsVerifiesExtractsAndThenNeedsNoNetwork() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        let archive = try scenario.archive("normal")
        let recorder = ProgressRecorder()
        let downloader = ArchiveDownloader(directory: scenario.cache, stallTimeout: 5) { recorder.record($0, $1) }

        let folder = try downloader.fetch(archive)
        #expect(folder.path == scenario.extracted.appendingPathComponent("ml-100k").path)
        #expect(ratings(in: folder) == FixtureZip.ratings)
        #expect(exists(folder.appendingPathComponent("u.item")))
        #expect(exists(folder.appendingPathComponent("README")))
        #expect(exists(scenario.verifiedZip))
        #expect(!exists(scenario.part))
        #expect(!exists(scenario.staging))
        #expect(recorder.last?.received == archive.size)
        #expect(recorder.last?.total == archive.size)
        #expect(recorder.withinTotal)
        #expect(scenario.server.requests().map(\.range) == ["-"])

        // With the server gone, the verified extraction is reused...
        scenario.server.stop()
        #expect(try downloader.fetch(archive).path == folder.path)
        // ...and without the extraction, the verified zip is extracted again, still without network.
        try FileManager.default.removeItem(at: scenario.extracted)
        let again = try downloader.fetch(archive)
        #expect(ratings(in: again) == FixtureZip.ratings)
        #expect(scenario.server.requests().count == 1)
    }

    @Test func resumesATruncatedDownloadWithARangeRequest() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        let downloader = ArchiveDownloader(directory: scenario.cache, stallTimeout: 5)
        let truncated = try scenario.archive("truncated")

        let error = try #require(throws: DownloadError.self) { try downloader.fetch(truncated) }
        #expect(error.kind == .truncated)
        #expect(error.message.contains(truncated.url.absoluteString))
        #expect(error.message.contains("kept"))
        let kept = ArchiveDownloader.fileSize(scenario.part)
        #expect(kept == truncated.size / 2)
        #expect(!exists(scenario.verifiedZip))
        #expect(!exists(scenario.extracted))

        let folder = try downloader.fetch(try scenario.archive("normal"))
        #expect(ratings(in: folder) == FixtureZip.ratings)
        let requests = scenario.server.requests()
        #expect(requests.count == 2)
        #expect(requests.last?.mode == "normal")
        #expect(requests.last?.range == "bytes=\(kept)-")
    }

    @Test func checksumMismatchNamesBothHashesAndExtractsNothing() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        let archive = try scenario.archive("wrong")
        let served = Data(try Data(contentsOf: scenario.zip).map { 255 - $0 })
        let actual = FixtureZip.hex(SHA256.hash(data: served))
        #expect(actual != archive.sha256)

        let error = try #require(throws: DownloadError.self) {
            try ArchiveDownloader(directory: scenario.cache, stallTimeout: 5).fetch(archive)
        }
        #expect(error.kind == .checksumMismatch)
        #expect(error.message.contains(archive.sha256))
        #expect(error.message.contains(actual))
        #expect(!exists(scenario.part))
        #expect(!exists(scenario.verifiedZip))
        #expect(!exists(scenario.extracted))
        #expect(!exists(scenario.staging))
    }

    @Test func notFoundNamesTheURLAndStatus() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        let archive = try scenario.archive("missing")

        let error = try #require(throws: DownloadError.self) {
            try ArchiveDownloader(directory: scenario.cache, stallTimeout: 5).fetch(archive)
        }
        #expect(error.kind == .httpStatus)
        #expect(error.message.contains(archive.url.absoluteString))
        #expect(error.message.contains("HTTP 404"))
        #expect(!exists(scenario.part))
        #expect(!exists(scenario.extracted))
    }

    @Test func aStallFailsWithinSecondsAndKeepsThePartialFile() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        let archive = try scenario.archive("stall")
        let started = ContinuousClock.now

        let error = try #require(throws: DownloadError.self) {
            try ArchiveDownloader(directory: scenario.cache, stallTimeout: 1).fetch(archive)
        }
        let elapsed = ContinuousClock.now - started
        #expect(error.kind == .stalled)
        #expect(error.message.contains(archive.url.absoluteString))
        #expect(elapsed < .seconds(6))
        #expect(ArchiveDownloader.fileSize(scenario.part) == archive.size / 4)
        #expect(!exists(scenario.extracted))
    }

    @Test func refusesAZipEntryThatEscapesTheFolder() throws {
        let scenario = try Scenario(files: FixtureZip.movieLens100K + [("../evil", "escaped\n")])
        defer { scenario.finish() }
        let archive = try scenario.archive("normal")

        let error = try #require(throws: DownloadError.self) {
            try ArchiveDownloader(directory: scenario.cache, stallTimeout: 5).fetch(archive)
        }
        #expect(error.kind == .unsafeEntry)
        #expect(error.message.contains("'../evil'"))
        #expect(!exists(scenario.extracted))
        #expect(!exists(scenario.staging))
        #expect(!exists(scenario.cache.appendingPathComponent("evil")))
        #expect(!exists(scenario.temporary.url.appendingPathComponent("evil")))
    }

    @Test func startsOverWhenTheServerIgnoresRange() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        try scenario.writePart(bytes: 100)

        let folder = try ArchiveDownloader(directory: scenario.cache, stallTimeout: 5)
            .fetch(try scenario.archive("norange"))
        #expect(ratings(in: folder) == FixtureZip.ratings)
        #expect(scenario.server.requests().map(\.range) == ["bytes=100-"])
    }

    @Test func startsOverWhenTheServerRefusesTheRange() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        try scenario.writePart(bytes: 100)

        let folder = try ArchiveDownloader(directory: scenario.cache, stallTimeout: 5)
            .fetch(try scenario.archive("refuse-range"))
        #expect(ratings(in: folder) == FixtureZip.ratings)
        #expect(scenario.server.requests().map(\.range) == ["bytes=100-", "-"])
    }

    @Test func discardsAPartialFileLargerThanTheArchive() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        let archive = try scenario.archive("normal")
        try scenario.writePart(bytes: Int(archive.size) + 10)

        let folder = try ArchiveDownloader(directory: scenario.cache, stallTimeout: 5).fetch(archive)
        #expect(ratings(in: folder) == FixtureZip.ratings)
        #expect(scenario.server.requests().map(\.range) == ["-"])
    }

    @Test func aMissingDataFolderIsAnErrorAndLeavesNoFolder() throws {
        let scenario = try Scenario()
        defer { scenario.finish() }
        var archive = try scenario.archive("normal")
        archive.folder = "ml-1m"

        let error = try #require(throws: DownloadError.self) {
            try ArchiveDownloader(directory: scenario.cache, stallTimeout: 5).fetch(archive)
        }
        #expect(error.kind == .missingFolder)
        #expect(error.message.contains("'ml-1m'"))
        #expect(!exists(scenario.extracted))
        #expect(!exists(scenario.staging))
    }
}
