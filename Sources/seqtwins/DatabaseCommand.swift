import ArgumentParser
import Foundation
import Postgres

/// `seqtwins db migrate | status`.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Database schema: apply or list the numbered migrations.",
        subcommands: [Migrate.self, Status.self]
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
}
