/// Why an archive could not be fetched, with a message that names the URL or file and what was expected vs found.
///
/// Whether a partial download was kept for a later resume is said in the message.
public struct DownloadError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure, for callers that react differently to each.
    public enum Kind: Sendable, Equatable {
        /// No catalog entry has the requested name.
        case unknownArchive
        /// The archive description cannot be used (a name or folder that is not a plain relative path, a bad hash).
        case invalidArchive
        /// The server answered with a status other than 200 or 206.
        case httpStatus
        /// The connection could not be made or failed before any data arrived.
        case transport
        /// No bytes arrived for the stall timeout; the partial file is kept.
        case stalled
        /// The connection closed before the whole file arrived; the partial file is kept.
        case truncated
        /// The server's file, or the finished download, is not the pinned size.
        case sizeMismatch
        /// The finished download's SHA-256 is not the pinned one; the download was deleted.
        case checksumMismatch
        /// A zip entry would land outside the extraction folder (absolute path, `..`, or a symbolic link).
        case unsafeEntry
        /// The zip lacks the folder that should hold the data files.
        case missingFolder
        /// Reading, writing or extracting local files failed.
        case fileSystem
    }

    /// The kind of failure.
    public var kind: Kind
    /// What failed, naming the URL or file, and what was expected vs found.
    public var message: String

    /// A new error; see the properties.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
