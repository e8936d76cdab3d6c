import ArgumentParser
import Foundation
import Postgres

/// `seqtwins db migrate | status`.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Database schema: apply or list the numbered migrations.",
        subcommands: [Migrate.self, Status.self, Prune.self]
    )

    /// Where the migrations are: `--migrations`, else found by `Migrator.locateDirectory()`.
    struct MigrationOptions: ParsableArguments {
        @Option(help: "The Migrations folder (default: $SEQTWINS_MIGRATIONS, else found beside the executable).")
        var migrations: String?

        func migrator() throws -> Migrator {
            let folder = try migrations.map { URL(fileURLWithPath: $0) } ?? Migrator.locateDirectory()
            return try Migrator(directory: folder)
        }
    }

    /// `seqtwins db migrate`.
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending migrations in order.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var folder: MigrationOptions

        func run() throws {
            let migrator = try folder.migrator()
            let db = try PostgresConnection(url: connection.resolvedURL)
            let applied = try migrator.migrate(db)
            if applied.isEmpty { print("database is up to date") }
            for migration in applied {
                print("applied \(String(format: "%04d", migration.version))_\(migration.name)")
            }
        }
    }

    /// `seqtwins db status`.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List applied and pending migrations.")

        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var folder: MigrationOptions

        func run() throws {
            let migrator = try folder.migrator()
            let db = try PostgresConnection(url: connection.resolvedURL)
            for status in try migrator.status(db) {
                let state = status.appliedAt.map { "applied \(ISO8601DateFormatter().string(from: $0))" } ?? "pending"
                print("\(String(format: "%04d", status.version))_\(status.name)  \(state)")
            }
        }
    }

    /// `seqtwins db prune --finished-before 30d`.
    struct Prune: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove finished jobs older than an age, keeping every experiment's results.",
            discussion: """
                Removes jobs that succeeded, failed or were cancelled before the cutoff, if they belong to no \
                experiment or to an experiment with nothing left to run. Runs, metrics, checkpoints, embeddings \
                and evaluations stay. Run it from cron, e.g. daily with --finished-before 30d.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Option(help: ArgumentHelp("The age: a number with s, m, h or d (e.g. 30d, 12h).", valueName: "age"))
        var finishedBefore: String

        @Flag(help: "Count what would be removed; remove nothing.")
        var dryRun = false

        /// Seconds in an age like `30d`, `12h`, `90m` or `45s`.
        static func seconds(_ text: String) -> Double? {
            let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
            guard let unit = text.last.flatMap({ units[$0] }), let value = Double(text.dropLast()),
                value.isFinite, value >= 0, value * unit <= 100 * 365 * 86_400
            else { return nil }
            return value * unit
        }

        func validate() throws {
            guard Self.seconds(finishedBefore) != nil else {
                throw ValidationError("--finished-before \(finishedBefore): expected an age such as 30d, 12h, 90m or 45s "
                                      + "(at most 100 years)")
            }
        }

        func run() throws {
            let db = try PostgresConnection(url: connection.resolvedURL)
            let cutoff = Date().addingTimeInterval(-Self.seconds(finishedBefore)!)
            let count: Int64 = try db.queryOne("""
                SELECT seqtwins.prune_jobs(\(cutoff), \(dryRun)) AS removed
                """)!.decode("removed")
            print(dryRun ? "would remove \(count) finished job(s)" : "removed \(count) finished job(s)")
        }
    }
}
