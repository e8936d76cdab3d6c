import Crypto
import Foundation
import Sequences

/// The files one import reads, with their sizes and SHA-256, and the content hash that identifies the dataset.
///
/// Which files: the ones the reader of `kind` opens, in the reader's order — MovieLens-1M `ratings.dat`,
/// `users.dat`, `movies.dat`; MovieLens-100K `u.data`, `u.item`, `u.user`, `u.genre`; MovieLens-20M / ml-latest
/// `ratings.csv`, `movies.csv`; Yelp `review.json`, `business.json`; `sequences` the file itself and its optional
/// item-attribute file. The ratings file is required; the metadata files are read when present.
///
/// Content hash: SHA-256 of the text `seqtwins-dataset-v1\n<kind>\n` followed by one line
/// `<name> <size> <sha256>\n` per file, so two imports of the same bytes under any path get the same hash.
public struct DatasetSourceFiles: Sendable, Equatable {
    /// One source file.
    public struct File: Sendable, Equatable, Codable {
        /// The file's name as the reader knows it (`ratings.dat`, `attributes.json`, ...).
        public var name: String
        /// Its path on this machine (not stored in the database).
        public var path: String
        /// Its size in bytes.
        public var size: Int64
        /// Its SHA-256, lowercase hex.
        public var sha256: String

        enum CodingKeys: String, CodingKey { case name, size, sha256 }

        /// A file from its parts.
        public init(name: String, path: String, size: Int64, sha256: String) {
            self.name = name
            self.path = path
            self.size = size
            self.sha256 = sha256
        }

        /// Decodes the stored form (no path).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            size = try container.decode(Int64.self, forKey: .size)
            sha256 = try container.decode(String.self, forKey: .sha256)
            path = ""
        }
    }

    /// The reader kind.
    public var kind: Sequences.DatasetSpec.Kind
    /// The files, in the reader's order.
    public var files: [File]
    /// The content hash (see the type's documentation), lowercase hex.
    public var contentSHA256: String

    /// Finds and hashes the files of a dataset of `kind` at `path` (a folder, or the file for `sequences`).
    /// - Parameters:
    ///   - itemAttributes: the item-attribute JSON file of a `sequences` dataset.
    ///   - review, business: the Yelp file names inside `path`.
    /// - Throws: ``DatasetImportError`` naming the path when a required file is missing or a path is not a
    ///   regular file (a folder, a FIFO, a device), or when a file cannot be read.
    public init(kind: Sequences.DatasetSpec.Kind, path: String, itemAttributes: String? = nil,
                review: String = "review.json", business: String = "business.json") throws {
        let candidates = try Self.candidates(kind: kind, path: path, itemAttributes: itemAttributes,
                                             review: review, business: business)
        var files: [File] = []
        for candidate in candidates {
            guard let size = try Self.regularFileSize(candidate.path, required: candidate.required) else { continue }
            files.append(File(name: candidate.name, path: candidate.path, size: size,
                              sha256: try Self.sha256(ofFile: candidate.path)))
        }
        self.kind = kind
        self.files = files
        self.contentSHA256 = Self.contentHash(kind: kind, files: files)
    }

    /// The content hash of `files` read as `kind`.
    public static func contentHash(kind: Sequences.DatasetSpec.Kind, files: [File]) -> String {
        var text = "seqtwins-dataset-v1\n\(kind.rawValue)\n"
        for file in files { text += "\(file.name) \(file.size) \(file.sha256)\n" }
        return hex(SHA256.hash(data: Data(text.utf8)))
    }

    /// Total bytes of the files.
    public var totalSize: Int64 { files.reduce(0) { $0 + $1.size } }

    private struct Candidate {
        var name: String
        var path: String
        var required: Bool
    }

    private static func candidates(kind: Sequences.DatasetSpec.Kind, path: String, itemAttributes: String?,
                                   review: String, business: String) throws -> [Candidate] {
        func inside(_ name: String, required: Bool = false) -> Candidate {
            Candidate(name: name, path: path + "/" + name, required: required)
        }
        if kind != .sequences {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw DatasetImportError("\(path): no such folder (expected the \(kind.rawValue) dataset folder)")
            }
            guard isDirectory.boolValue else {
                throw DatasetImportError("\(path): not a folder (expected the \(kind.rawValue) dataset folder)")
            }
        }
        switch kind {
        case .movielens1m:
            return [inside("ratings.dat", required: true), inside("users.dat"), inside("movies.dat")]
        case .movielens100k:
            return [inside("u.data", required: true), inside("u.item"), inside("u.user"), inside("u.genre")]
        case .movielens20m:
            return [inside("ratings.csv", required: true), inside("movies.csv")]
        case .yelp:
            return [inside(review, required: true), inside(business)]
        case .sequences:
            var list = [Candidate(name: "sequences.txt", path: path, required: true)]
            if let itemAttributes {
                list.append(Candidate(name: "item_attributes.json", path: itemAttributes, required: true))
            }
            return list
        case .synthetic:
            throw DatasetImportError("synthetic data is generated by the workers from its seed; there is nothing to import")
        }
    }

    /// The size of a regular file, `nil` when an optional file is absent.
    static func regularFileSize(_ path: String, required: Bool) throws -> Int64? {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if !required && errno == ENOENT { return nil }
            throw DatasetImportError("\(path): \(required ? "missing file" : "cannot read") (\(String(cString: strerror(errno))))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            let what = (status.st_mode & S_IFMT) == S_IFDIR ? "a folder" : "not a regular file (a FIFO or device?)"
            throw DatasetImportError("\(path): expected a regular file, found \(what)")
        }
        return Int64(status.st_size)
    }

    /// The SHA-256 of a file, read in 1 MiB pieces.
    static func sha256(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw DatasetImportError("\(path): cannot open the file for reading")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw DatasetImportError("\(path): read failed (\(error.localizedDescription))")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hex(hasher.finalize())
    }

    static func hex(_ digest: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        for byte in digest {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 15)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A dataset could not be imported, loaded, listed or deleted; the message names the dataset, file or field.
public struct DatasetImportError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong and what to do.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

extension DatasetSourceFiles {
    /// Reads the files with the reader of ``kind`` (its file:line:field errors), naming the result `name`.
    /// - Throws: `DatasetError` for a bad line, `DatasetRequestError` for bad options.
    public func read(name: String) throws -> InteractionDataset {
        switch kind {
        case .movielens1m: return try MovieLens1MReader.load(directory: folder, name: name)
        case .movielens100k: return try MovieLens100KReader.load(directory: folder, name: name)
        case .movielens20m: return try MovieLensCSVReader.load(directory: folder, name: name)
        case .yelp:
            return try YelpReader.load(directory: folder, review: files[0].name,
                                       business: files.count > 1 ? files[1].name : "business.json", name: name)
        case .sequences:
            return try SequenceFileReader.load(path: files[0].path, attributes: files.count > 1 ? files[1].path : nil,
                                               name: name)
        case .synthetic:
            throw DatasetImportError("synthetic data is generated by the workers; there is nothing to read")
        }
    }

    /// The folder the files are in (the path given for the folder kinds).
    var folder: String { (files.first?.path as NSString?)?.deletingLastPathComponent ?? "." }
}
