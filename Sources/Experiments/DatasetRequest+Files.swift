import Foundation
import Sequences

extension DatasetRequest {
    /// One file the reader needs: the spec field it comes from, its path, and what it is for messages.
    public struct RequiredFile: Sendable, Equatable {
        /// The spec field naming it (`dataset.path` or `dataset.item_attributes`).
        public var field: String
        /// The file's path.
        public var path: String
        /// What the file is, e.g. `the MovieLens-1M ratings (ratings.dat)`.
        public var role: String
    }

    /// The files the reader cannot do without (optional metadata files such as `movies.dat` are not listed: the
    /// tasks they enable are checked against the loaded data instead). Synthetic data needs none.
    public var requiredFiles: [RequiredFile] {
        guard case .files(let spec) = source else { return [] }
        func inside(_ name: String, _ role: String) -> RequiredFile {
            RequiredFile(field: "dataset.path", path: spec.path + "/" + name, role: "\(role) (\(name))")
        }
        switch spec.kind {
        case .movielens1m: return [inside("ratings.dat", "the MovieLens-1M ratings")]
        case .movielens100k: return [inside("u.data", "the MovieLens-100K ratings")]
        case .movielens20m: return [inside("ratings.csv", "the MovieLens-20M ratings")]
        case .yelp: return [inside(spec.options["review"] ?? "review.json", "the Yelp reviews")]
        case .sequences:
            var files = [RequiredFile(field: "dataset.path", path: spec.path, role: "the sequence file")]
            if let attributes = spec.options["attributes"] {
                files.append(
                    RequiredFile(field: "dataset.item_attributes", path: attributes, role: "the item-attribute file"))
            }
            return files
        case .synthetic: return []
        }
    }

    /// Checks that every required file exists, asking `exists` (default: the file system).
    /// - Throws: ``ExperimentSpecError`` at the field naming the file, e.g.
    ///   `dataset.path: missing file "data/ml-1m/ratings.dat", the MovieLens-1M ratings (ratings.dat)`.
    public func checkFiles(exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }) throws {
        for file in requiredFiles where !exists(file.path) {
            throw ExperimentSpecError(path: file.field, message: "missing file \"\(file.path)\", \(file.role)")
        }
    }
}

extension ExperimentSpec {
    /// Checks on disk that the dataset's folder or file exists (``validateDatasetFiles(exists:)``) and that the
    /// files its reader needs are inside (``DatasetRequest/checkFiles(exists:)``).
    /// - Throws: ``ExperimentSpecError`` at `dataset.path` or `dataset.item_attributes`.
    public func validateDatasetFilesOnDisk() throws {
        let exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) }
        try validateDatasetFiles(exists: exists)
        try DatasetRequest(spec: self, seed: seeds.first ?? 0).checkFiles(exists: exists)
    }
}
