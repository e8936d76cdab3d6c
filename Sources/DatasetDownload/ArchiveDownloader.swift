import Foundation

/// Downloads a ``PublicArchive`` into a cache folder, verifies its size and SHA-256, and extracts it.
///
/// Files under `directory`, for an archive named `NAME`:
/// - `NAME.zip.part`: the download in progress; kept after a stall or a dropped connection, resumed with an HTTP
///   `Range` request by the next fetch;
/// - `NAME.zip`: the verified archive (renamed from the `.part` only once its size and SHA-256 match);
/// - `NAME/`: the extracted archive, which appears in one rename once complete; the data files are in
///   `NAME/<folder>`.
///
/// A fetch whose archive is already extracted and verified uses no network. The downloader owns these paths: it
/// replaces a `NAME/` folder it did not verify. Two processes must not fetch the same archive into the same folder
/// at once.
public struct ArchiveDownloader: Sendable {
    /// The cache folder holding downloads and extracted archives; created when missing.
    public var directory: URL
    /// Seconds without a byte arriving after which a download is abandoned (its partial file kept).
    public var stallTimeout: TimeInterval
    /// Called as bytes arrive, with the bytes of the archive on disk so far and its pinned size, for a progress
    /// bar. Called on a background thread, once per network read (often: throttle drawing).
    public var progress: (@Sendable (_ received: Int64, _ total: Int64) -> Void)?

    /// A downloader working in `directory`.
    ///
    /// - Parameters:
    ///   - directory: The cache folder (see the type's summary for its layout).
    ///   - stallTimeout: Seconds without data before a download fails as stalled.
    ///   - progress: Optional progress callback; see ``progress``.
    public init(
        directory: URL, stallTimeout: TimeInterval = 30,
        progress: (@Sendable (_ received: Int64, _ total: Int64) -> Void)? = nil
    ) {
        self.directory = directory
        self.stallTimeout = stallTimeout
        self.progress = progress
    }

    /// Makes `archive` available locally and returns the folder holding its data files (`directory/NAME/<folder>`).
    ///
    /// Reuses a verified extraction, else a verified `NAME.zip`, else downloads (resuming a `NAME.zip.part`),
    /// checks the size and SHA-256, and extracts. Blocks the calling thread until done.
    ///
    /// - Throws: ``DownloadError``: an HTTP status other than 200/206, a stall or a dropped connection (the partial
    ///   file kept for resuming), a size or SHA-256 mismatch (the download deleted), a zip entry escaping the
    ///   extraction folder, a missing data folder, or a file-system failure.
    public func fetch(_ archive: PublicArchive) throws -> URL {
        try Self.validate(archive)
        let paths = Paths(directory: directory, archive: archive)
        if let folder = paths.verifiedExtraction(of: archive) {
            return folder
        }
        try createDirectory(directory)
        if FileManager.default.fileExists(atPath: paths.zip.path) {
            if (try? Self.verify(paths.zip, against: archive)) != nil {
                return try extract(archive, paths: paths)
            }
            try? FileManager.default.removeItem(at: paths.zip)
        }
        try download(archive, to: paths.part)
        try Self.verify(paths.part, against: archive, deleteOnMismatch: true)
        do {
            if FileManager.default.fileExists(atPath: paths.zip.path) {
                try FileManager.default.removeItem(at: paths.zip)
            }
            try FileManager.default.moveItem(at: paths.part, to: paths.zip)
        } catch {
            throw DownloadError(
                .fileSystem, "could not rename \(paths.part.path) to \(paths.zip.lastPathComponent): \(error)")
        }
        return try extract(archive, paths: paths)
    }

    /// The local paths of one archive.
    struct Paths {
        /// `directory/NAME.zip.part`.
        var part: URL
        /// `directory/NAME.zip`.
        var zip: URL
        /// `directory/NAME`.
        var extracted: URL
        /// `directory/.NAME.extracting`, renamed to `extracted` once complete.
        var staging: URL
        /// `directory/NAME/.archive-sha256`: the SHA-256 of the zip the folder was extracted from.
        var marker: URL
        /// `directory/NAME/<folder>`.
        var dataFolder: URL

        init(directory: URL, archive: PublicArchive) {
            part = directory.appendingPathComponent(archive.name + ".zip.part")
            zip = directory.appendingPathComponent(archive.name + ".zip")
            extracted = directory.appendingPathComponent(archive.name, isDirectory: true)
            staging = directory.appendingPathComponent("." + archive.name + ".extracting", isDirectory: true)
            marker = extracted.appendingPathComponent(".archive-sha256")
            dataFolder = archive.folder.isEmpty ? extracted : extracted.appendingPathComponent(archive.folder)
        }

        /// The data folder when `extracted` is complete and came from a zip with `archive`'s SHA-256.
        func verifiedExtraction(of archive: PublicArchive) -> URL? {
            guard let recorded = try? String(contentsOf: marker, encoding: .utf8),
                  recorded.trimmingCharacters(in: .whitespacesAndNewlines) == archive.sha256
            else { return nil }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dataFolder.path, isDirectory: &isDirectory),
                  isDirectory.boolValue
            else { return nil }
            return dataFolder
        }
    }

    /// Rejects descriptions whose name or folder could address paths outside `directory`, or whose hash is malformed.
    static func validate(_ archive: PublicArchive) throws {
        let name = archive.name
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/"), !name.contains("\\") else {
            throw DownloadError(.invalidArchive, "archive name '\(name)' must be a plain file name")
        }
        let folderParts = archive.folder.split(separator: "/", omittingEmptySubsequences: false)
        guard archive.folder.isEmpty
                || (!archive.folder.hasPrefix("/") && !archive.folder.contains("\\")
                    && !folderParts.contains { $0.isEmpty || $0 == "." || $0 == ".." })
        else {
            throw DownloadError(.invalidArchive, "archive \(name): folder '\(archive.folder)' must be a relative path")
        }
        guard archive.sha256.count == 64, archive.sha256.allSatisfy({ "0123456789abcdef".contains($0) }) else {
            throw DownloadError(
                .invalidArchive, "archive \(name): SHA-256 '\(archive.sha256)' must be 64 lowercase hex digits")
        }
        guard archive.size > 0 else {
            throw DownloadError(.invalidArchive, "archive \(name): size \(archive.size) must be positive")
        }
    }

    /// Checks `file`'s size, then its SHA-256, against `archive`'s pinned values.
    ///
    /// - Throws: ``DownloadError`` (`sizeMismatch` or `checksumMismatch`) naming both values; with
    ///   `deleteOnMismatch`, the file is deleted first.
    static func verify(_ file: URL, against archive: PublicArchive, deleteOnMismatch: Bool = false) throws {
        let size = fileSize(file)
        let deleted = deleteOnMismatch ? "; the file was deleted, fetch again to download it anew" : ""
        guard size == archive.size else {
            if deleteOnMismatch { try? FileManager.default.removeItem(at: file) }
            throw DownloadError(
                .sizeMismatch,
                "\(file.path) (from \(archive.url.absoluteString)) is \(size) bytes, expected \(archive.size)"
                    + deleted)
        }
        let actual: String
        do {
            actual = try FileDigest.sha256(of: file)
        } catch {
            throw DownloadError(.fileSystem, "could not read \(file.path) to check its SHA-256: \(error)")
        }
        guard actual == archive.sha256 else {
            if deleteOnMismatch { try? FileManager.default.removeItem(at: file) }
            throw DownloadError(
                .checksumMismatch,
                "\(file.path) (from \(archive.url.absoluteString)) has SHA-256 \(actual), expected \(archive.sha256)"
                    + deleted)
        }
    }

    /// The size of the file at `url`, or 0 when there is none.
    static func fileSize(_ url: URL) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// Creates `url` and its parents when missing.
    func createDirectory(_ url: URL) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw DownloadError(.fileSystem, "could not create the folder \(url.path): \(error)")
        }
    }
}
