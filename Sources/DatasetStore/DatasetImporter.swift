import Foundation
import Postgres
import Sequences

/// Imports an `InteractionDataset` into `seqtwins.datasets`, `dataset_users`, `dataset_items` and `dataset_sequences`
/// in one transaction with COPY, so a failure anywhere leaves no partial dataset.
///
/// Names and content: importing the same content (``DatasetSourceFiles/contentSHA256``) under a name that already
/// holds it is a no-op that returns the existing dataset. Different content under a taken name is refused unless
/// `replace` is set, and `replace` is refused while experiments use the dataset (their results would no longer
/// match their data). Imports, replacements and deletions of one name are serialised by an advisory lock, so two
/// concurrent imports of the same content make one dataset.
public struct DatasetImporter {
    /// What an import did.
    public enum Outcome: Sendable, Equatable {
        /// A new dataset was written.
        case imported(StoredDataset)
        /// The name already held this content; nothing was written.
        case existing(StoredDataset)

        /// The dataset, new or existing.
        public var dataset: StoredDataset {
            switch self {
            case .imported(let dataset), .existing(let dataset): dataset
            }
        }
    }

    /// Rows written so far and rows in all, for a progress bar.
    public typealias Progress = (_ done: Int64, _ total: Int64) -> Void

    private let db: PostgresConnection

    /// An importer writing through `db`.
    public init(_ db: PostgresConnection) { self.db = db }

    /// A name for a dataset imported by content from a spec's path: the folder or file name made safe, a dash and
    /// the first 12 hex digits of the content hash (`ml-1m-3f2a9c1b2d4e`).
    public static func automaticName(path: String, contentSHA256: String) -> String {
        let base = URL(fileURLWithPath: path).standardizedFileURL.deletingPathExtension().lastPathComponent
        var safe = String(base.unicodeScalars.map { scalar -> Character in
            let allowed = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "_.-".unicodeScalars.contains(scalar))
            return allowed ? Character(scalar) : "-"
        }).prefix(60)
        while let first = safe.first, !first.isLetter && !first.isNumber { safe.removeFirst() }
        return (safe.isEmpty ? "dataset" : String(safe)) + "-" + contentSHA256.prefix(12)
    }

    /// Checks a dataset name: 1 to 100 characters from `A-Z a-z 0-9 _ - .`, starting with a letter or digit.
    /// - Throws: ``DatasetImportError`` saying what is allowed.
    public static func validate(name: String) throws {
        let ok = !name.isEmpty && name.utf8.count <= 100 && name.unicodeScalars.enumerated().allSatisfy { index, scalar in
            scalar.isASCII
                && (CharacterSet.alphanumerics.contains(scalar) || (index > 0 && "_.-".unicodeScalars.contains(scalar)))
        }
        guard ok else {
            throw DatasetImportError(
                "dataset name \"\(name.prefix(100))\": expected 1 to 100 characters from A-Z a-z 0-9 _ - ., "
                    + "starting with a letter or digit")
        }
    }

    /// The dataset that already holds `sources`' content under `name`, or `nil` when the name is free.
    /// - Throws: ``DatasetImportError`` when `name` holds other content and `replace` is not set (saying what to
    ///   do), or when it is set but experiments use the dataset.
    public func existing(name: String, sources: DatasetSourceFiles, replace: Bool) throws -> StoredDataset? {
        guard let found = try DatasetCatalog(db).dataset(named: name) else { return nil }
        if found.contentSHA256 == sources.contentSHA256 && found.kind == sources.kind.rawValue { return found }
        if !replace {
            throw DatasetImportError(
                "dataset \"\(name)\" already exists with other content (\(found.kind), \(found.interactionCount) "
                    + "interactions, imported \(found.importedAt)); import under another name, or pass --replace "
                    + "to replace it (refused while experiments use it)")
        }
        let users = try DatasetCatalog(db).experiments(using: found.id)
        guard users.isEmpty else {
            throw DatasetImportError(
                "dataset \"\(name)\" cannot be replaced: \(users.count) experiment(s) use it ("
                    + users.prefix(5).map { "#\($0.id) \($0.name)" }.joined(separator: ", ")
                    + "); import the new content under another name")
        }
        return nil
    }

    /// Writes `dataset` under `name` in one transaction (see the type's documentation for names and content).
    /// - Parameters:
    ///   - sources: the files it was read from (their hashes identify the content).
    ///   - progress: called as interaction rows are sent.
    /// - Throws: ``DatasetImportError`` for a bad name or a taken one, `PostgresError` from the server (nothing is
    ///   written then).
    @discardableResult
    public func importDataset(
        _ dataset: InteractionDataset, name: String, description: String = "", sources: DatasetSourceFiles,
        replace: Bool = false, progress: Progress? = nil
    ) throws -> Outcome {
        try Self.validate(name: name)
        guard description.utf8.count <= 10_000 else {
            throw DatasetImportError("--description: at most 10,000 bytes, found \(description.utf8.count)")
        }
        let categoryNames = dataset.categoryNames
        guard Set(categoryNames).count == categoryNames.count else {
            throw DatasetImportError("\(name): the category vocabulary names a category twice; cannot store it")
        }
        return try db.transaction { db in
            try DatasetCatalog(db).lock(name: name)
            if let found = try existing(name: name, sources: sources, replace: replace) { return .existing(found) }
            try db.execute("DELETE FROM seqtwins.datasets WHERE name = \(name)")
            let files = try PostgresJSON(encoding: sources.files)
            var attributes: [String: [String]] = [:]
            if let gender = dataset.gender { attributes["gender"] = gender.names }
            if let age = dataset.ageGroup { attributes["age_group"] = age.names }
            if let occupation = dataset.occupation { attributes["occupation"] = occupation.names }
            let id: Int64 = try db.queryOne("""
                INSERT INTO seqtwins.datasets (name, kind, description, content_sha256, user_count, item_count,
                    interaction_count, category_count, has_ratings, source_files, category_names, user_attributes)
                VALUES (\(name), \(sources.kind.rawValue), \(description), \(sources.contentSHA256),
                        \(Int32(dataset.userCount)), \(Int32(dataset.itemCount)), \(Int64(dataset.interactionCount)),
                        \(Int32(categoryNames.count)), \(dataset.hasRatings), \(files), \(TextArray(categoryNames)),
                        \(try PostgresJSON(encoding: attributes)))
                RETURNING id
                """)!.decode("id")
            try writeUsers(dataset, id: id)
            try writeItems(dataset, id: id)
            try writeInteractions(dataset, id: id, progress: progress)
            let stored = try DatasetCatalog(db).dataset(named: name)!
            return .imported(stored)
        }
    }

    private func writeUsers(_ dataset: InteractionDataset, id: Int64) throws {
        let attributes = [dataset.gender, dataset.ageGroup, dataset.occupation]
        try db.copyIn("""
            COPY seqtwins.dataset_users (dataset_id, user_index, user_id, interaction_count, gender, age_group,
                                         occupation) FROM STDIN
            """) { writer in
            for user in 0..<dataset.userCount {
                writer.append(id)
                writer.endField()
                writer.append(user)
                writer.endField()
                writer.appendEscaped(dataset.userIDs[user])
                writer.endField()
                writer.append(dataset.userOffsets[user + 1] - dataset.userOffsets[user])
                for attribute in attributes {
                    writer.endField()
                    if let attribute, user < attribute.values.count, attribute.values[user] >= 0,
                        Int(attribute.values[user]) < attribute.names.count
                    {
                        writer.appendEscaped(attribute.names[Int(attribute.values[user])])
                    } else {
                        writer.appendNull()
                    }
                }
                try writer.endRow()
            }
        }
    }

    private func writeItems(_ dataset: InteractionDataset, id: Int64) throws {
        let names = dataset.categoryNames.map(Self.arrayElement)
        try db.copyIn("COPY seqtwins.dataset_items (dataset_id, item_index, item_id, title, categories) FROM STDIN") {
            writer in
            for item in 0..<dataset.itemCount {
                writer.append(id)
                writer.endField()
                writer.append(item)
                writer.endField()
                writer.appendEscaped(dataset.itemIDs[item])
                writer.endField()
                if dataset.itemTitles.isEmpty { writer.appendNull() } else { writer.appendEscaped(dataset.itemTitles[item]) }
                writer.endField()
                let categories = dataset.itemCategories[item].map { names[Int($0)] }
                writer.appendEscaped("{" + categories.joined(separator: ",") + "}")
                try writer.endRow()
            }
        }
    }

    private func writeInteractions(_ dataset: InteractionDataset, id: Int64, progress: Progress?) throws {
        let total = Int64(dataset.interactionCount)
        var sent: Int64 = 0
        try db.copyIn("COPY seqtwins.dataset_sequences (dataset_id, user_index, items, timestamps, ratings) FROM STDIN") {
            writer in
            for user in 0..<dataset.userCount {
                let range = dataset.range(ofUser: user)
                guard !range.isEmpty else { continue }
                writer.append(id)
                writer.endField()
                writer.append(user)
                writer.endField()
                writer.appendArray(dataset.items[range]) { $0.append(Int64($1)) }
                writer.endField()
                writer.appendArray(dataset.timestamps[range]) { $0.append($1) }
                writer.endField()
                if dataset.hasRatings {
                    writer.appendArray(dataset.ratings[range]) { $0.append($1) }
                } else {
                    writer.appendNull()
                }
                try writer.endRow()
                sent += Int64(range.count)
                if let progress, user % 256 == 0 { progress(sent, total) }
            }
            progress?(sent, total)
        }
    }

    /// One element of a text-format array literal: double-quoted, with `"` and `\` escaped.
    static func arrayElement(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
