import ArgumentParser
import DatasetDownload
import DatasetStore
import Foundation
import Postgres
import Sequences

/// `seqtwins dataset import | list | show | delete`: datasets live in PostgreSQL, so workers anywhere read them.
struct DatasetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Import datasets into PostgreSQL (where every worker reads them), list, show or delete them.",
        subcommands: [Import.self, Download.self, List.self, Show.self, Delete.self]
    )

    /// The reader kinds that can be imported.
    static let importableKinds = Sequences.DatasetSpec.Kind.allCases.filter { $0 != .synthetic }

    /// `seqtwins dataset import NAME --kind K --path P`.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Read a dataset's files and store them in PostgreSQL under NAME, in one transaction.",
            discussion: """
                Importing the same content under the same name again does nothing. Other content under a taken \
                name is refused unless --replace is given, and --replace is refused while experiments use the \
                dataset. A bad line anywhere stores nothing.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The dataset's name: 1-100 characters from A-Z a-z 0-9 _ - . (specs use it).")
        var name: String

        @Option(help: ArgumentHelp("The file format: \(DatasetCommand.importableKinds.map(\.rawValue).joined(separator: ", ")).",
                                   valueName: "kind"))
        var kind: String

        @Option(help: "The dataset folder (MovieLens, Yelp) or file (sequences).")
        var path: String

        @Option(help: "For --kind sequences: the item → attribute-list JSON file (item categories).")
        var itemAttributes: String?

        @Option(help: "Free text stored with the dataset.")
        var description = ""

        @Flag(help: "Replace other content stored under NAME (refused while experiments use it).")
        var replace = false

        func validate() throws {
            guard let kind = Sequences.DatasetSpec.Kind(rawValue: kind), kind != .synthetic else {
                throw ValidationError("--kind \(kind): expected one of "
                                      + DatasetCommand.importableKinds.map(\.rawValue).joined(separator: ", "))
            }
            if itemAttributes != nil && kind != .sequences {
                throw ValidationError("--item-attributes is only read with --kind sequences")
            }
            do { try DatasetImporter.validate(name: name) } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            let sources = try DatasetSourceFiles(kind: Sequences.DatasetSpec.Kind(rawValue: kind)!, path: path,
                                                 itemAttributes: itemAttributes)
            let db = try PostgresConnection(url: connection.resolvedURL)
            let outcome = try DatasetImport.run(sources: sources, name: name, description: description,
                                                replace: replace, db: db)
            DatasetImport.printOutcome(outcome)
        }
    }

    /// `seqtwins dataset download NAME`.
    struct Download: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a public dataset (\(PublicArchives.all.map(\.name).joined(separator: ", "))), verify it and import it.",
            discussion: """
                The archive's URL, size and SHA-256 are pinned in SeqTwins. The download resumes where an \
                interrupted one stopped; the checksum is verified before anything is extracted or imported. The \
                archive stays in --directory, so a second download needs no network.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: ArgumentHelp("The archive: \(PublicArchives.all.map(\.name).joined(separator: ", ")).",
                                     valueName: "name"))
        var name: String

        @Option(name: .customLong("as"), help: "Import under this name (default: the archive's name).")
        var importName: String?

        @Option(help: "Where archives are kept (default: $XDG_CACHE_HOME/seqtwins or ~/.cache/seqtwins).")
        var directory: String?

        @Option(help: "Give up when no byte arrives for this many seconds (the partial file is kept for a resume).")
        var stallSeconds: Double = 30

        @Option(help: .hidden) var testURL: String?
        @Option(help: .hidden) var testSize: Int64?
        @Option(help: .hidden) var testSHA256: String?

        func validate() throws {
            guard stallSeconds > 0, stallSeconds <= 3600 else { throw ValidationError("--stall-seconds: expected 0 < s ≤ 3600") }
            do { try DatasetImporter.validate(name: importName ?? name) } catch { throw ValidationError("\(error)") }
        }

        func run() throws {
            var archive = try PublicArchives.require(name)
            // Test-only overrides (hidden): the download tests serve their own archive from 127.0.0.1.
            if let testURL, let url = URL(string: testURL) { archive.url = url }
            if let testSize { archive.size = testSize }
            if let testSHA256 { archive.sha256 = testSHA256 }
            let cache = directory.map { URL(fileURLWithPath: $0, isDirectory: true) } ?? Self.defaultDirectory
            let bar = ProgressBar(label: "downloading \(archive.name)")
            let folder = try ArchiveDownloader(directory: cache, stallTimeout: stallSeconds) { received, total in
                bar.update(received, of: total, unit: "bytes")
            }.fetch(archive)
            bar.finish()
            print("verified \(archive.name) (sha256 \(archive.sha256.prefix(12))…), extracted to \(folder.path)")
            guard let kind = Sequences.DatasetSpec.Kind(rawValue: archive.kind) else {
                throw DatasetImportError("archive \(archive.name) names an unknown reader kind \(archive.kind)")
            }
            let sources = try DatasetSourceFiles(kind: kind, path: folder.path)
            let db = try PostgresConnection(url: connection.resolvedURL)
            DatasetImport.printOutcome(try DatasetImport.run(
                sources: sources, name: importName ?? archive.name, description: archive.description, db: db))
        }

        static var defaultDirectory: URL {
            let environment = ProcessInfo.processInfo.environment
            if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty {
                return URL(fileURLWithPath: cache).appendingPathComponent("seqtwins", isDirectory: true)
            }
            return FileManager.default.homeDirectoryForCurrentUser
                .appendingPathComponent(".cache/seqtwins", isDirectory: true)
        }
    }

    /// `seqtwins dataset list`.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List imported datasets with their counts.")

        @OptionGroup var connection: ConnectionOptions

        func run() throws {
            let db = try PostgresConnection(url: connection.resolvedURL)
            let catalog = DatasetCatalog(db)
            let datasets = try catalog.list()
            if datasets.isEmpty {
                print("no datasets imported (seqtwins dataset import NAME --kind KIND --path PATH)")
                return
            }
            var rows = [["name", "kind", "users", "items", "interactions", "categories", "experiments", "imported"]]
            for dataset in datasets {
                rows.append([dataset.name, dataset.kind, "\(dataset.userCount)", "\(dataset.itemCount)",
                             "\(dataset.interactionCount)", "\(dataset.categoryCount)",
                             "\(try catalog.experiments(using: dataset.id).count)", Self.format(dataset.importedAt)])
            }
            print(TextTable.render(rows, rightAligned: [2, 3, 4, 5, 6]))
        }

        static func format(_ date: Date) -> String {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
            return formatter.string(from: date)
        }
    }

    /// `seqtwins dataset show NAME`.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one dataset: counts, source files, top categories and the experiments that use it.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The dataset's name.")
        var name: String

        func run() throws {
            let db = try PostgresConnection(url: connection.resolvedURL)
            let catalog = DatasetCatalog(db)
            let dataset = try catalog.require(name)
            print("""
                dataset \(dataset.name) (id \(dataset.id))
                  kind          \(dataset.kind)
                  description   \(dataset.description.isEmpty ? "-" : dataset.description)
                  users         \(dataset.userCount)
                  items         \(dataset.itemCount)
                  interactions  \(dataset.interactionCount)\(dataset.hasRatings ? " (with ratings)" : "")
                  categories    \(dataset.categoryCount)
                  content       sha256 \(dataset.contentSHA256)
                  imported      \(List.format(dataset.importedAt))
                """)
            print("  files")
            for file in dataset.sourceFiles { print("    \(file.name)  \(file.size) bytes  sha256 \(file.sha256)") }
            let categories = try catalog.categoryCounts(of: dataset.id)
            if !categories.isEmpty {
                print("  top categories (items)")
                for entry in categories { print("    \(entry.category)  \(entry.items)") }
            }
            let experiments = try catalog.experiments(using: dataset.id)
            print("  experiments   " + (experiments.isEmpty ? "none"
                                        : experiments.map { "#\($0.id) \($0.name)" }.joined(separator: ", ")))
        }
    }

    /// `seqtwins dataset delete NAME`.
    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete a dataset with its users, items and interactions (refused while experiments use it).")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The dataset's name.")
        var name: String

        func run() throws {
            let db = try PostgresConnection(url: connection.resolvedURL)
            try DatasetCatalog(db).delete(name)
            print("deleted dataset \(name)")
        }
    }
}

/// The import steps shared by `dataset import` and `enqueue` (which imports a spec's files by content).
enum DatasetImport {
    /// Imports `sources` under `name` unless the name already holds that content; reads the files only when needed.
    /// Returns the outcome and, when the files were read, the dataset.
    static func run(sources: DatasetSourceFiles, name: String, description: String = "", replace: Bool = false,
                    db: PostgresConnection) throws -> DatasetImporter.Outcome {
        if let found = try DatasetImporter(db).existing(name: name, sources: sources, replace: replace) {
            return .existing(found)
        }
        ProgressBar(label: "importing \(name)").message(
            "reading \(sources.files.count) file(s), "
                + ByteCountFormatter.string(fromByteCount: sources.totalSize, countStyle: .file))
        return try write(try sources.read(name: name), name: name, description: description, sources: sources,
                         replace: replace, db: db)
    }

    /// Writes a dataset already read, with a progress bar on a terminal.
    static func write(_ data: InteractionDataset, name: String, description: String, sources: DatasetSourceFiles,
                      replace: Bool = false, db: PostgresConnection) throws -> DatasetImporter.Outcome {
        let bar = ProgressBar(label: "importing \(name)")
        defer { bar.finish() }
        return try DatasetImporter(db).importDataset(data, name: name, description: description, sources: sources,
                                                     replace: replace) { done, total in bar.update(done, of: total) }
    }

    /// Prints what an import did, with the counts.
    static func printOutcome(_ outcome: DatasetImporter.Outcome) {
        let dataset = outcome.dataset
        let counts = "\(dataset.userCount) users, \(dataset.itemCount) items, \(dataset.interactionCount) interactions, "
            + "\(dataset.categoryCount) categories"
        switch outcome {
        case .imported: print("imported dataset \(dataset.name): \(counts)")
        case .existing:
            print("dataset \(dataset.name) already holds this content (imported \(DatasetCommand.List.format(dataset.importedAt))); nothing to do: \(counts)")
        }
    }
}

/// A one-line progress bar on standard error, drawn only when standard error is a terminal. Thread-safe: the
/// downloader reports from its own thread.
final class ProgressBar: @unchecked Sendable {
    private let lock = NSLock()
    private let label: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDrawn = Date.distantPast
    private var drawn = false

    init(label: String) { self.label = label }

    /// Shows a message in place of the bar.
    func message(_ text: String) {
        guard isTerminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(label): \(text)".utf8))
        drawn = true
    }

    /// Draws `done` of `total` (at most ten times a second).
    func update(_ done: Int64, of total: Int64, unit: String = "rows") {
        guard isTerminal, total > 0 else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
        lastDrawn = now
        let fraction = Double(done) / Double(total)
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data(
            "\r\u{1B}[K\(label) [\(bar)] \(String(format: "%3.0f", fraction * 100))% \(done)/\(total) \(unit)".utf8))
        drawn = true
    }

    /// Ends the line.
    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

/// Aligned text columns.
enum TextTable {
    /// The rows as aligned text, the first row as the header, columns in `rightAligned` aligned right.
    static func render(_ rows: [[String]], rightAligned: Set<Int> = []) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return rows.map { row in
            row.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }
}
