import Foundation
import ZIPFoundation

extension ArchiveDownloader {
    /// Extracts the verified `paths.zip` into a staging folder, checks it, and renames it to `paths.extracted`, so a
    /// half-extracted folder never looks complete. Returns the data folder.
    ///
    /// Every entry is checked before anything is written: an absolute path, a `..` component, a backslash or a
    /// symbolic link refuses the whole archive.
    ///
    /// - Throws: ``DownloadError`` (`unsafeEntry`, `missingFolder`, `fileSystem`).
    func extract(_ archive: PublicArchive, paths: Paths) throws -> URL {
        let fileManager = FileManager.default
        try? fileManager.removeItem(at: paths.staging)
        do {
            try extractEntries(of: paths.zip, into: paths.staging)
            let data = archive.folder.isEmpty
                ? paths.staging : paths.staging.appendingPathComponent(archive.folder, isDirectory: true)
            var isDirectory: ObjCBool = false
            guard fileManager.fileExists(atPath: data.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw DownloadError(
                    .missingFolder,
                    "\(paths.zip.path) has no folder '\(archive.folder)'; expected the \(archive.kind) files there")
            }
            try wrapFileErrors("could not write \(paths.staging.path)") {
                try (archive.sha256 + "\n").write(
                    to: paths.staging.appendingPathComponent(paths.marker.lastPathComponent), atomically: true,
                    encoding: .utf8)
                if fileManager.fileExists(atPath: paths.extracted.path) {
                    try fileManager.removeItem(at: paths.extracted)
                }
                try fileManager.moveItem(at: paths.staging, to: paths.extracted)
            }
        } catch {
            try? fileManager.removeItem(at: paths.staging)
            throw error
        }
        return paths.dataFolder
    }

    /// Writes every entry of `zip` under `destination`, after checking that none escapes it.
    private func extractEntries(of zip: URL, into destination: URL) throws {
        let zipArchive = try wrapFileErrors("could not open \(zip.path) as a zip archive") {
            try Archive(url: zip, accessMode: .read)
        }
        let entries = Array(zipArchive)
        for entry in entries {
            if let problem = Self.unsafeReason(path: entry.path, isSymbolicLink: entry.type == .symlink) {
                throw DownloadError(
                    .unsafeEntry,
                    "\(zip.path): entry '\(entry.path)' \(problem); refusing to extract the archive")
            }
        }
        try createDirectory(destination)
        for entry in entries {
            let target = destination.appendingPathComponent(entry.path)
            try wrapFileErrors("could not extract '\(entry.path)' from \(zip.path) into \(destination.path)") {
                _ = try zipArchive.extract(entry, to: target)
            }
        }
    }

    /// Why a zip entry may not be extracted, or `nil` when it stays inside the destination.
    static func unsafeReason(path: String, isSymbolicLink: Bool) -> String? {
        if isSymbolicLink { return "is a symbolic link" }
        if path.isEmpty { return "has an empty path" }
        if path.hasPrefix("/") { return "has an absolute path" }
        if path.contains("\\") { return "has a backslash in its path" }
        if path.split(separator: "/").contains("..") { return "has a '..' component (it would land outside)" }
        return nil
    }

    /// Runs `body`, turning an error other than ``DownloadError`` into a `fileSystem` one prefixed with `context`.
    func wrapFileErrors<T>(_ context: @autoclosure () -> String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as DownloadError {
            throw error
        } catch {
            throw DownloadError(.fileSystem, "\(context()): \(error)")
        }
    }
}
