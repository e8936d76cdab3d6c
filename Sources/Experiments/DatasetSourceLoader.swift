import DatasetStore
import Foundation
import Postgres
import Sequences

/// Where a ``DatasetRequest``'s interactions are read from: injected into ``DatasetCache`` and the job handlers, so
/// that workers read datasets from PostgreSQL only while the CLI and tests can also read files.
public protocol DatasetSourceLoader {
    /// The interactions of `request`'s source.
    /// - Throws: `DatasetError`, `DatasetRequestError` or ``DatasetImportError`` naming what is wrong.
    func loadSource(_ request: DatasetRequest) throws -> InteractionDataset

    /// `request` with what identifies its content filled in (a stored dataset's content hash), so that
    /// ``DatasetCache`` keys name the content; ``DatasetCache`` calls it before every lookup.
    /// - Throws: ``DatasetImportError`` when a stored dataset does not exist.
    func identified(_ request: DatasetRequest) throws -> DatasetRequest
}

extension DatasetSourceLoader {
    /// Files and synthetic data are identified by their request already.
    public func identified(_ request: DatasetRequest) throws -> DatasetRequest { request }
}

/// Reads files and generates synthetic data on this machine; refuses stored datasets (they need a database).
public struct LocalDatasetSource: DatasetSourceLoader {
    /// The local loader.
    public init() {}

    /// Reads or generates `request`'s interactions.
    public func loadSource(_ request: DatasetRequest) throws -> InteractionDataset {
        switch request.source {
        case .files(let spec): return try Sequences.DatasetLoader.load(spec)
        case .synthetic(let config): return SyntheticWorld(config: config).dataset(name: "synthetic")
        case .stored(let name, _):
            throw DatasetRequestError("dataset \"\(name)\" is stored in the database; it cannot be read without one")
        }
    }
}

/// The workers' loader: imported datasets from PostgreSQL, synthetic data generated from its seed. It never opens
/// a file: a request for files is refused (a spec that names a path is imported by the CLI first).
public struct DatabaseDatasetSource: DatasetSourceLoader {
    private let db: PostgresConnection

    /// A loader reading through `db`.
    public init(_ db: PostgresConnection) { self.db = db }

    /// `request` with a stored dataset's content hash read from the database.
    public func identified(_ request: DatasetRequest) throws -> DatasetRequest {
        guard case .stored(let name, _) = request.source else { return request }
        var copy = request
        copy.source = .stored(name: name, contentSHA256: try DatasetCatalog(db).require(name).contentSHA256)
        return copy
    }

    /// Loads or generates `request`'s interactions.
    /// - Throws: ``DatasetImportError`` for a missing dataset or for files.
    public func loadSource(_ request: DatasetRequest) throws -> InteractionDataset {
        switch request.source {
        case .stored(let name, _): return try StoredDatasetLoader.load(db, name: name)
        case .synthetic(let config): return SyntheticWorld(config: config).dataset(name: "synthetic")
        case .files(let spec):
            throw DatasetImportError(
                "workers read datasets from the database only, never files (\(spec.kind.rawValue) at a path); "
                    + "import it with `seqtwins dataset import` and name it in the spec")
        }
    }
}

/// A loader that answers from one dataset already in memory (the CLI after an import), and asks `fallback` for
/// anything else.
public struct InMemoryDatasetSource: DatasetSourceLoader {
    private let name: String
    private let dataset: InteractionDataset
    private let fallback: any DatasetSourceLoader

    /// Answers requests for the stored dataset `name` with `dataset`.
    public init(name: String, dataset: InteractionDataset, fallback: any DatasetSourceLoader = LocalDatasetSource()) {
        self.name = name
        self.dataset = dataset
        self.fallback = fallback
    }

    /// `dataset` for a request naming it, else the fallback's answer.
    public func loadSource(_ request: DatasetRequest) throws -> InteractionDataset {
        if case .stored(let requested, _) = request.source, requested == name {
            var copy = dataset
            copy.name = name
            return copy
        }
        return try fallback.loadSource(request)
    }

    /// The fallback's identification for any other request (this one's dataset is not stored yet).
    public func identified(_ request: DatasetRequest) throws -> DatasetRequest {
        if case .stored(let requested, _) = request.source, requested == name { return request }
        return try fallback.identified(request)
    }
}
