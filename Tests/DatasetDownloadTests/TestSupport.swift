import Crypto
import Foundation
import ZIPFoundation

@testable import DatasetDownload

/// A fresh folder under the system's temporary folder, one per test.
struct TemporaryFolder {
    /// The folder.
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("seqtwins-download-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Deletes the folder and everything in it.
    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Test zips built with ZIPFoundation.
enum FixtureZip {
    /// The lines of a small `u.data` (user, item, rating, timestamp; tab-separated), a few dozen KB.
    static let ratings: String = (0..<2_000).map { index in
        "\(index % 97 + 1)\t\(index % 389 + 1)\t\(index % 5 + 1)\t\(881_250_949 + index * 37)\n"
    }.joined()

    /// The files of a miniature MovieLens-100K zip: a folder `ml-100k/` with `u.data`, `u.item` and `README`.
    static let movieLens100K: [(path: String, contents: String)] = [
        ("ml-100k/u.data", ratings),
        ("ml-100k/u.item", "1|Toy Story (1995)|01-Jan-1995||http://example.invalid|0|0|0|1|1|1|0\n"),
        ("ml-100k/README", "A miniature MovieLens-100K for tests.\n"),
    ]

    /// Writes a zip at `url` holding the directory `ml-100k/` and `files` (deflated).
    static func write(_ files: [(path: String, contents: String)], to url: URL) throws {
        let archive = try Archive(url: url, accessMode: .create)
        try archive.addEntry(with: "ml-100k/", type: .directory, uncompressedSize: Int64(0)) { (_: Int64, _: Int) in
            Data()
        }
        for file in files {
            let data = Data(file.contents.utf8)
            try archive.addEntry(
                with: file.path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate
            ) { (position: Int64, size: Int) in
                data.subdata(in: Int(position)..<Int(position) + size)
            }
        }
    }

    /// An archive description for the zip at `zip`, served from `url`, with its real size and SHA-256.
    static func describe(_ zip: URL, servedFrom url: URL, name: String = "ml-100k") throws -> PublicArchive {
        let data = try Data(contentsOf: zip)
        return PublicArchive(
            name: name, url: url, size: Int64(data.count), sha256: hex(SHA256.hash(data: data)),
            kind: "movielens100k", folder: "ml-100k", description: "test archive")
    }

    /// Lowercase hex of a digest, computed independently of the module's streaming hash.
    static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// `Tests/DatasetDownloadTests/Fixtures/archive_server.py`, run with python3 on 127.0.0.1 for one test.
///
/// The server stops when `stop()` closes its standard input (or terminates it), when this process exits, or after
/// two minutes.
final class ArchiveServer {
    /// The server's port on 127.0.0.1.
    let port: Int
    private let process = Process()
    private let input = Pipe()
    private let log: URL

    /// Starts serving `zip`; requests are logged to `log`.
    init(serving zip: URL, log: URL) throws {
        self.log = log
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/archive_server.py")
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, zip.path, log.path, "120"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let text = String(data: line, encoding: .utf8),
              let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else {
            try? input.fileHandleForWriting.close()
            throw CocoaError(
                .fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "archive_server.py did not start"])
        }
        self.port = port
    }

    deinit { stop() }

    /// The URL serving the zip in `mode` (see the script's documentation).
    func url(_ mode: String) -> URL {
        URL(string: "http://127.0.0.1:\(port)/\(mode)/archive.zip")!
    }

    /// The requests seen so far, as `(mode, Range header or "-")`.
    func requests() -> [(mode: String, range: String)] {
        guard let text = try? String(contentsOf: log, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map { line in
            let fields = line.split(separator: " ", maxSplits: 1)
            return (String(fields[0]), fields.count > 1 ? String(fields[1]) : "-")
        }
    }

    /// Stops the server and waits for it to exit: closing its standard input ends it, and should another child
    /// process have inherited that pipe (tests run in parallel), it is terminated after two seconds.
    func stop() {
        try? input.fileHandleForWriting.close()
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning && ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}

/// The last progress report, readable from the test thread.
final class ProgressRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [(Int64, Int64)] = []

    /// Records one report.
    func record(_ received: Int64, _ total: Int64) {
        lock.withLock { reports.append((received, total)) }
    }

    /// The last report, if any.
    var last: (received: Int64, total: Int64)? {
        lock.withLock { reports.last }
    }

    /// Whether every report had `received` no larger than `total`.
    var withinTotal: Bool {
        lock.withLock { reports.allSatisfy { $0.0 <= $0.1 } }
    }
}

/// A file's existence.
func exists(_ url: URL) -> Bool {
    FileManager.default.fileExists(atPath: url.path)
}
