import Foundation
import Postgres

/// One row of `seqtwins.datasets`: an imported dataset's identity and counts.
public struct StoredDataset: Sendable, Equatable {
    /// The row id (experiments reference it).
    public var id: Int64
    /// The unique name specs use (`"dataset": {"name": ...}`).
    public var name: String
    /// The reader kind the files were imported with (`movielens1m`, ...).
    public var kind: String
    /// Free text.
    public var description: String
    /// The content hash (``DatasetSourceFiles``), lowercase hex.
    public var contentSHA256: String
    /// Number of users, including users without interactions.
    public var userCount: Int
    /// Number of items.
    public var itemCount: Int
    /// Number of interactions.
    public var interactionCount: Int64
    /// Number of item categories.
    public var categoryCount: Int
    /// Whether interactions carry ratings.
    public var hasRatings: Bool
    /// The source files' names, sizes and hashes.
    public var sourceFiles: [DatasetSourceFiles.File]
    /// When the import committed.
    public var importedAt: Date

    /// The columns ``init(row:)`` reads.
    static let columns: SQL = """
        id, name, kind, description, content_sha256, user_count, item_count, interaction_count, category_count,
        has_ratings, source_files, imported_at
        """

    /// Decodes a row selected with ``columns``.
    init(row: PostgresRow) throws {
        id = try row.decode("id")
        name = try row.decode("name")
        kind = try row.decode("kind")
        description = try row.decode("description")
        contentSHA256 = try row.decode("content_sha256")
        userCount = Int(try row.decode("user_count") as Int32)
        itemCount = Int(try row.decode("item_count") as Int32)
        interactionCount = try row.decode("interaction_count")
        categoryCount = Int(try row.decode("category_count") as Int32)
        hasRatings = try row.decode("has_ratings")
        let files: PostgresJSON = try row.decode("source_files")
        sourceFiles = (try? JSONDecoder().decode([DatasetSourceFiles.File].self, from: Data(files.text.utf8))) ?? []
        importedAt = try row.decode("imported_at")
    }
}

/// Lists, finds and deletes imported datasets (`seqtwins dataset list | show | delete`).
public struct DatasetCatalog {
    private let db: PostgresConnection

    /// A catalog reading and writing through `db`.
    public init(_ db: PostgresConnection) { self.db = db }

    /// Every dataset, by name.
    public func list() throws -> [StoredDataset] {
        try db.query("SELECT \(StoredDataset.columns) FROM seqtwins.datasets ORDER BY name").map(StoredDataset.init)
    }

    /// The dataset called `name`, or `nil`.
    public func dataset(named name: String) throws -> StoredDataset? {
        try db.queryOne("SELECT \(StoredDataset.columns) FROM seqtwins.datasets WHERE name = \(name)")
            .map(StoredDataset.init)
    }

    /// A dataset with content hash `sha256` (the oldest when several names hold it), or `nil`.
    public func dataset(withContent sha256: String) throws -> StoredDataset? {
        try db.queryOne("""
            SELECT \(StoredDataset.columns) FROM seqtwins.datasets WHERE content_sha256 = \(sha256)
            ORDER BY id LIMIT 1
            """).map(StoredDataset.init)
    }

    /// The dataset called `name`.
    /// - Throws: ``DatasetImportError`` naming the dataset and the known names when there is none.
    public func require(_ name: String) throws -> StoredDataset {
        if let found = try dataset(named: name) { return found }
        let known = try db.query("SELECT name FROM seqtwins.datasets ORDER BY name LIMIT 20")
            .map { (try? $0.decode("name") as String) ?? "" }
        throw DatasetImportError(
            "no dataset named \"\(name.prefix(100))\"; "
                + (known.isEmpty ? "none is imported yet (seqtwins dataset import NAME --kind KIND --path PATH)"
                   : "imported: " + known.joined(separator: ", ")))
    }

    /// The experiments that use dataset `id`: (id, name), oldest first.
    public func experiments(using id: Int64) throws -> [(id: Int64, name: String)] {
        try db.query("SELECT id, name FROM seqtwins.experiments WHERE dataset_id = \(id) ORDER BY id").map {
            (try $0.decode("id"), try $0.decode("name"))
        }
    }

    /// Per-category item counts of dataset `id`, most frequent first: (category, items).
    public func categoryCounts(of id: Int64, limit: Int = 10) throws -> [(category: String, items: Int64)] {
        try db.query("""
            SELECT c AS category, count(*) AS items
            FROM seqtwins.dataset_items i, unnest(i.categories) AS c
            WHERE i.dataset_id = \(id) GROUP BY c ORDER BY count(*) DESC, c LIMIT \(Int64(limit))
            """).map { (try $0.decode("category"), try $0.decode("items")) }
    }

    /// Deletes the dataset called `name` with its users, items and interactions, in one transaction.
    /// - Throws: ``DatasetImportError`` when there is no such dataset, or when experiments still use it (naming
    ///   them: delete those experiments first).
    public func delete(_ name: String) throws {
        try db.transaction { _ in
            try lock(name: name)
            let found = try require(name)
            let users = try experiments(using: found.id)
            guard users.isEmpty else {
                throw DatasetImportError(
                    "dataset \"\(name)\" is used by \(users.count) experiment(s) ("
                        + users.prefix(5).map { "#\($0.id) \($0.name)" }.joined(separator: ", ")
                        + (users.count > 5 ? ", ..." : "") + "); it stays as long as they do")
            }
            try db.execute("DELETE FROM seqtwins.datasets WHERE id = \(found.id)")
        }
    }

    /// Takes the transaction-scoped lock that serialises imports, replacements and deletions of `name`.
    func lock(name: String) throws {
        try db.execute("SELECT pg_advisory_xact_lock(hashtextextended(\("seqtwins.dataset:" + name), 0))")
    }
}
