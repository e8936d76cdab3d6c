import Foundation

/// A public dataset archive pinned in source: where to get it, what it must be, and how to import it.
///
/// The size and SHA-256 are checked before anything is extracted, so a changed or damaged file on the server is an
/// error rather than a silently different dataset.
public struct PublicArchive: Sendable, Equatable {
    /// The catalog name, also the stem of the local files (`ml-100k` → `ml-100k.zip`, `ml-100k/`).
    public var name: String
    /// Where the zip is downloaded from.
    public var url: URL
    /// The zip's exact size in bytes.
    public var size: Int64
    /// The zip's SHA-256, 64 lowercase hex digits.
    public var sha256: String
    /// The dataset kind the extracted files import as (`movielens100k`, `movielens1m`, `movielens20m`).
    public var kind: String
    /// The folder inside the zip that holds the data files (`ml-100k`); empty when they sit at the zip's root.
    public var folder: String
    /// One line for listings: what the dataset holds.
    public var description: String

    /// A new archive description; see the properties.
    public init(
        name: String, url: URL, size: Int64, sha256: String, kind: String, folder: String, description: String
    ) {
        self.name = name
        self.url = url
        self.size = size
        self.sha256 = sha256
        self.kind = kind
        self.folder = folder
        self.description = description
    }
}
