import Foundation
import Postgres
import SeqTwinsTestSupport
import Sequences
import Testing

@testable import DatasetStore

/// Imports into a real PostgreSQL and loads back: the stored dataset is the reader's dataset, imports are atomic and
/// content-addressed, and list/show/delete behave as documented.
@Suite("Datasets in PostgreSQL", .enabled(if: TestDatabase.isAvailable))
final class DatasetStoreTests {
    let database: TestDatabase
    let db: PostgresConnection
    let folder: String

    init() throws {
        database = try TestDatabase(suite: "DatasetStore")
        db = try database.connect()
        folder = RepositoryPaths.temporaryDirectory("dataset-store")
    }

    deinit {
        database.drop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func write(_ text: String, to name: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A small sequence-format dataset with attributes, written to the test folder.
    private func sequenceFiles(users: Int = 30, tag: String = "") throws -> DatasetSourceFiles {
        let lines = (1...users).map { user in
            "u\(user)\(tag) " + (0..<6).map { "i\((user * 7 + $0 * 3) % 25)" }.joined(separator: " ")
        }
        let data = try write(lines.joined(separator: "\n") + "\n", to: "seq\(tag).txt")
        let attributes = try write(
            "{" + (0..<25).map { #""i\#($0)": [\#($0 % 4), \#(($0 + 1) % 4)]"# }.joined(separator: ", ") + "}",
            to: "attributes\(tag).json")
        return try DatasetSourceFiles(kind: .sequences, path: data, itemAttributes: attributes)
    }

    private func count(_ table: String) throws -> Int {
        try db.queryOne(SQL(stringLiteral: "SELECT count(*)::int FROM seqtwins.\(table)"))!.decode(0, as: Int.self)
    }

    @Test func aSequenceDatasetRoundTripsExactly() throws {
        let sources = try sequenceFiles()
        let read = try sources.read(name: "small")
        let outcome = try DatasetImporter(db).importDataset(read, name: "small", sources: sources)
        guard case .imported(let stored) = outcome else {
            Issue.record("expected a new import, got \(outcome)")
            return
        }
        #expect(stored.userCount == 30 && stored.interactionCount == 180 && stored.categoryCount == 4)
        #expect(stored.sourceFiles.map(\.name) == ["sequences.txt", "item_attributes.json"])
        let loaded = try StoredDatasetLoader.load(db, name: "small")
        #expect(loaded == read)
    }

    @Test func importingTheSameContentAgainIsANoOpAndOtherContentIsRefused() throws {
        let sources = try sequenceFiles()
        let importer = DatasetImporter(db)
        _ = try importer.importDataset(try sources.read(name: "a"), name: "a", sources: sources)
        let again = try importer.importDataset(try sources.read(name: "a"), name: "a", sources: sources)
        guard case .existing = again else {
            Issue.record("expected the existing dataset, got \(again)")
            return
        }
        #expect(try count("datasets") == 1)

        let other = try sequenceFiles(users: 20, tag: "b")
        let error = #expect(throws: DatasetImportError.self) {
            try importer.importDataset(try other.read(name: "a"), name: "a", sources: other)
        }
        #expect(error?.message.contains("already exists with other content") == true, "\(String(describing: error))")
        #expect(error?.message.contains("--replace") == true)
        // --replace works while no experiment uses it.
        let replaced = try importer.importDataset(try other.read(name: "a"), name: "a", sources: other, replace: true)
        #expect(replaced.dataset.userCount == 20)
        #expect(try count("dataset_users") == 20)
        #expect(try count("interactions") == 120)
    }

    @Test func deleteAndReplaceAreRefusedWhileAnExperimentUsesTheDataset() throws {
        let sources = try sequenceFiles()
        _ = try DatasetImporter(db).importDataset(try sources.read(name: "used"), name: "used", sources: sources)
        let experiment: Int64 = try db.queryOne("""
            SELECT seqtwins.enqueue_experiment('{"name": "x", "dataset": {"name": "used"}}'::jsonb) AS id
            """)!.decode("id")
        let catalog = DatasetCatalog(db)
        #expect(try catalog.experiments(using: try catalog.require("used").id).map(\.id) == [experiment])
        let deletion = #expect(throws: DatasetImportError.self) { try catalog.delete("used") }
        #expect(deletion?.message.contains("#\(experiment) x") == true, "\(String(describing: deletion))")
        let other = try sequenceFiles(users: 12, tag: "c")
        let replacement = #expect(throws: DatasetImportError.self) {
            try DatasetImporter(db).importDataset(try other.read(name: "used"), name: "used", sources: other,
                                                  replace: true)
        }
        #expect(replacement?.message.contains("cannot be replaced") == true)
        #expect(try count("dataset_users") == 30)

        try db.execute("DELETE FROM seqtwins.experiments WHERE id = \(experiment)")
        try catalog.delete("used")
        #expect(try count("datasets") == 0)
        #expect(try count("interactions") == 0)
        #expect(try count("dataset_items") == 0)
        #expect(throws: DatasetImportError.self) { try catalog.delete("used") }
    }

    @Test func aFailedImportLeavesNothing() throws {
        let sources = try sequenceFiles()
        var dataset = try sources.read(name: "broken")
        // PostgreSQL text cannot hold NUL: the users COPY fails after the datasets row was inserted.
        dataset.userIDs[dataset.userCount - 1] = "bad\u{0}id"
        #expect(throws: PostgresError.self) {
            try DatasetImporter(db).importDataset(dataset, name: "broken", sources: sources)
        }
        #expect(try count("datasets") == 0)
        #expect(try count("dataset_users") == 0)
        #expect(try count("dataset_items") == 0)
    }

    @Test func aMalformedFileIsNamedAndNothingIsRead() throws {
        let path = try write("u1 i1 i2 i3\nu2 i4,i5 i6\n", to: "bad.txt")
        let sources = try DatasetSourceFiles(kind: .sequences, path: path)
        let error = #expect(throws: DatasetError.self) { _ = try sources.read(name: "bad") }
        #expect(error?.file == path && error?.line == 2, "\(String(describing: error))")
        #expect(try count("datasets") == 0)
    }

    @Test func pathsThatAreNotRegularFilesAreRefused() throws {
        #expect(throws: DatasetImportError.self) {
            _ = try DatasetSourceFiles(kind: .sequences, path: folder)  // a folder
        }
        let missing = #expect(throws: DatasetImportError.self) {
            _ = try DatasetSourceFiles(kind: .movielens1m, path: folder + "/nowhere")
        }
        #expect(missing?.message.contains("no such folder") == true)
        let noRatings = #expect(throws: DatasetImportError.self) {
            _ = try DatasetSourceFiles(kind: .movielens1m, path: folder)
        }
        #expect(noRatings?.message.contains("ratings.dat") == true, "\(String(describing: noRatings))")
        #expect(throws: DatasetImportError.self) {
            _ = try DatasetSourceFiles(kind: .sequences, path: "/dev/zero")
        }
    }

    @Test func theContentHashFollowsTheBytesNotThePath() throws {
        let first = try sequenceFiles(tag: "x")
        let copy = folder + "/copy.txt"
        try FileManager.default.copyItem(atPath: first.files[0].path, toPath: copy)
        let copyAttributes = folder + "/copy.json"
        try FileManager.default.copyItem(atPath: first.files[1].path, toPath: copyAttributes)
        let second = try DatasetSourceFiles(kind: .sequences, path: copy, itemAttributes: copyAttributes)
        #expect(first.contentSHA256 == second.contentSHA256)
        let other = try sequenceFiles(users: 31, tag: "y")
        #expect(other.contentSHA256 != first.contentSHA256)
        #expect(first.contentSHA256.count == 64)
    }

    @Test func twoConcurrentImportsOfTheSameContentMakeOneDataset() throws {
        let sources = try sequenceFiles()
        let dataset = try sources.read(name: "race")
        let url = database.url
        let outcomes = OutcomeBox()
        DispatchQueue.concurrentPerform(iterations: 2) { _ in
            do {
                let connection = try PostgresConnection(url: url)
                outcomes.append(try DatasetImporter(connection).importDataset(dataset, name: "race", sources: sources))
            } catch {
                outcomes.fail("\(error)")
            }
        }
        #expect(outcomes.errors.isEmpty, "\(outcomes.errors)")
        #expect(outcomes.values.count == 2)
        #expect(outcomes.values.filter { if case .imported = $0 { true } else { false } }.count == 1)
        #expect(try count("datasets") == 1)
        #expect(try count("interactions") == 180)
    }

    @Test func sqlRefusesPathsAndUnknownNamesNamingTheField() throws {
        let path = #expect(throws: PostgresError.self) {
            try db.execute("""
                SELECT seqtwins.enqueue_experiment('{"name": "x", "dataset": {"kind": "movielens1m", "path": "/etc"}}')
                """)
        }
        #expect(path?.message.contains("dataset.path") == true, "\(String(describing: path))")
        let unknown = #expect(throws: PostgresError.self) {
            try db.execute("SELECT seqtwins.enqueue_experiment('{\"name\": \"x\", \"dataset\": {\"name\": \"nope\"}}')")
        }
        #expect(unknown?.message.contains("dataset.name") == true && unknown?.message.contains("nope") == true)
        #expect(try count("experiments") == 0)
        #expect(try count("jobs") == 0)
    }

    @Test func automaticNamesAreValidNames() throws {
        let sha = String(repeating: "ab", count: 32)
        #expect(DatasetImporter.automaticName(path: "/data/ml-1m", contentSHA256: sha) == "ml-1m-abababababab")
        #expect(DatasetImporter.automaticName(path: "/data/Beauty.txt", contentSHA256: sha) == "Beauty-abababababab")
        #expect(DatasetImporter.automaticName(path: "/d/..é x", contentSHA256: sha) == "x-abababababab")
        for path in ["/data/ml-1m", "/d/..é x", "/tmp/.hidden", "/x/Ünïcode"] {
            #expect(throws: Never.self) {
                try DatasetImporter.validate(name: DatasetImporter.automaticName(path: path, contentSHA256: sha))
            }
        }
        #expect(throws: DatasetImportError.self) { try DatasetImporter.validate(name: "-x") }
        #expect(throws: DatasetImportError.self) { try DatasetImporter.validate(name: "a b") }
        #expect(throws: DatasetImportError.self) { try DatasetImporter.validate(name: String(repeating: "a", count: 101)) }
    }
}

/// Import outcomes collected from several threads.
final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var storedValues: [DatasetImporter.Outcome] = []
    private var storedErrors: [String] = []

    func append(_ value: DatasetImporter.Outcome) { lock.withLock { storedValues.append(value) } }
    func fail(_ error: String) { lock.withLock { storedErrors.append(error) } }
    var values: [DatasetImporter.Outcome] { lock.withLock { storedValues } }
    var errors: [String] { lock.withLock { storedErrors } }
}

/// ML-100K and Amazon Beauty from `../shared/data`: the published counts, and the stored copy equals the reader's.
@Suite("Real datasets in PostgreSQL", .enabled(if: TestDatabase.isAvailable && RepositoryPaths.realDataTestsEnabled))
final class RealDatasetStoreTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "RealDatasetStore")
        db = try database.connect()
    }

    deinit { database.drop() }

    private func root() throws -> String {
        try #require(RepositoryPaths.sharedDataPath, "shared data is required when CI=true (set SEQTWINS_SHARED_DATA)")
    }

    @Test func movieLens100K() throws {
        let sources = try DatasetSourceFiles(kind: .movielens100k, path: try root() + "/ml-100k")
        #expect(sources.files.map(\.name) == ["u.data", "u.item", "u.user", "u.genre"])
        let read = try sources.read(name: "ml-100k")
        let stored = try DatasetImporter(db).importDataset(read, name: "ml-100k", sources: sources).dataset
        #expect(stored.userCount == 943 && stored.itemCount == 1_682 && stored.interactionCount == 100_000)
        #expect(stored.categoryCount == 19 && stored.hasRatings)
        let loaded = try StoredDatasetLoader.load(db, name: "ml-100k")
        #expect(loaded == read)
        #expect(loaded.gender?.values.filter { $0 == 1 }.count == 670)
        let listed = try DatasetCatalog(db).list()
        #expect(listed.map(\.name) == ["ml-100k"])
        // The SQL tables join: the most active user's gender and history length.
        let top = try db.queryOne("""
            SELECT user_id, gender, history_length FROM seqtwins.dataset_user_summary
            ORDER BY history_length DESC, user_id LIMIT 1
            """)!
        #expect(try top.decode("user_id", as: String.self) == "405")
        #expect(try top.decode("history_length", as: Int.self) == 737)
    }

    @Test func amazonBeauty() throws {
        let folder = try root() + "/amazon-beauty-5core"
        let sources = try DatasetSourceFiles(kind: .sequences, path: folder + "/Beauty.txt",
                                             itemAttributes: folder + "/Beauty_item2attributes.json")
        let read = try sources.read(name: "beauty")
        let stored = try DatasetImporter(db).importDataset(read, name: "beauty", sources: sources).dataset
        #expect(stored.userCount == 22_363 && stored.itemCount == 12_101 && stored.interactionCount == 198_502)
        #expect(!stored.hasRatings)
        #expect(try StoredDatasetLoader.load(db, name: "beauty") == read)
    }
}
