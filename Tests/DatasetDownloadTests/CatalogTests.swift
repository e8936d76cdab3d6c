import Crypto
import Foundation
import Testing

@testable import DatasetDownload

@Suite("The pinned catalog, descriptions and hashing")
struct CatalogTests {
    @Test(arguments: [
        ("ml-latest-small", 978_202 as Int64, "movielens20m"),
        ("ml-100k", 4_924_029, "movielens100k"),
        ("ml-1m", 5_917_549, "movielens1m"),
        ("ml-20m", 198_702_078, "movielens20m"),
    ])
    func pinnedArchive(name: String, size: Int64, kind: String) throws {
        let archive = try #require(PublicArchives.named(name))
        #expect(archive.size == size)
        #expect(archive.kind == kind)
        #expect(archive.folder == name)
        #expect(archive.url.absoluteString == "https://files.grouplens.org/datasets/movielens/\(name).zip")
        #expect(archive.sha256.count == 64)
        try ArchiveDownloader.validate(archive)
    }

    @Test func catalogNamesAreUniqueAndUnknownNamesAreErrors() throws {
        #expect(PublicArchives.all.map(\.name) == ["ml-latest-small", "ml-100k", "ml-1m", "ml-20m"])
        #expect(Set(PublicArchives.all.map(\.sha256)).count == PublicArchives.all.count)
        #expect(PublicArchives.named("ml-25m") == nil)
        let error = try #require(throws: DownloadError.self) { try PublicArchives.require("ml-25m") }
        #expect(error.kind == .unknownArchive)
        #expect(error.message.contains("'ml-25m'"))
        #expect(error.message.contains("ml-100k, ml-1m"))
    }

    @Test func descriptionsThatCouldEscapeTheCacheAreRejected() throws {
        let good = try #require(PublicArchives.named("ml-100k"))
        var badName = good
        badName.name = "../ml-100k"
        var badFolder = good
        badFolder.folder = "ml-100k/../.."
        var badHash = good
        badHash.sha256 = good.sha256.uppercased()
        for archive in [badName, badFolder, badHash] {
            let error = try #require(throws: DownloadError.self) { try ArchiveDownloader.validate(archive) }
            #expect(error.kind == .invalidArchive)
        }
    }

    @Test func unsafeZipEntryPaths() {
        for path in ["../evil", "/etc/passwd", "ml-100k/../../evil", "ml-100k\\..\\evil", ""] {
            #expect(ArchiveDownloader.unsafeReason(path: path, isSymbolicLink: false) != nil, "\(path)")
        }
        #expect(ArchiveDownloader.unsafeReason(path: "ml-100k/link", isSymbolicLink: true) != nil)
        for path in ["ml-100k/", "ml-100k/u.data", "./u.data", "a..b/c"] {
            #expect(ArchiveDownloader.unsafeReason(path: path, isSymbolicLink: false) == nil, "\(path)")
        }
    }

    @Test func streamingSHA256MatchesAKnownVectorAndAOneShotHashAcrossChunks() throws {
        let folder = try TemporaryFolder()
        defer { folder.remove() }
        let small = folder.url.appendingPathComponent("abc")
        try Data("abc".utf8).write(to: small)
        #expect(try FileDigest.sha256(of: small) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")

        // Two and a half chunks, so the chunk boundaries and the short last read are exercised.
        let large = folder.url.appendingPathComponent("large")
        let data = Data((0..<(FileDigest.chunkSize * 5 / 2)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 11) })
        try data.write(to: large)
        #expect(try FileDigest.sha256(of: large) == FixtureZip.hex(SHA256.hash(data: data)))
    }
}
