import Crypto
import Foundation

/// SHA-256 of files, read in 1 MiB chunks so a 200 MB archive never sits in memory. The one file importing Crypto.
enum FileDigest {
    /// The bytes read per step.
    static let chunkSize = 1 << 20

    /// The SHA-256 of the file at `url`, as 64 lowercase hex digits.
    ///
    /// - Throws: The file system's error when the file cannot be opened or read.
    static func sha256(of url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
