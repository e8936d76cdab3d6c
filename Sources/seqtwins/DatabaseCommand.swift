import ArgumentParser
import Foundation
import Postgres

/// `seqtwins db migrate | status | create-login`.
struct DatabaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Database schema: apply or list the numbered migrations; create logins in the SeqTwins roles; prune old jobs.",
        subcommands: [Migrate.self, Status.self, CreateLogin.self, Prune.self]
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

extension DatabaseCommand {
    /// The group roles of `Migrations/0020_roles.sql` a login can join.
    enum LoginRole: String, CaseIterable, ExpressibleByArgument {
        case worker, submitter, reader

        /// The NOLOGIN group role, e.g. `seqtwins_worker`.
        var groupRole: String { "seqtwins_\(rawValue)" }
    }

    /// `seqtwins db create-login NAME --role worker|submitter|reader`.
    struct CreateLogin: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-login",
            abstract: "Create a login in one SeqTwins role (or set an existing login's password and role).",
            discussion: """
                The password comes from the environment variable named by --password-env (default \
                SEQTWINS_LOGIN_PASSWORD) or, with --password-stdin, from the first line of standard input; never from \
                the command line. libpq turns it into a SCRAM verifier, and only that reaches the server. Run it as a \
                role that may create roles (a superuser, or CREATEROLE) after `seqtwins db migrate`. The login ends up \
                in exactly the role given: run it again to change the password or move the login to another role.
                """
        )

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The login's name: a-z, 0-9 and _, at most 63 characters.")
        var name: String

        @Option(help: "The role the login joins: worker, submitter or reader.")
        var role: LoginRole

        @Option(help: "The environment variable that holds the password.")
        var passwordEnv = "SEQTWINS_LOGIN_PASSWORD"

        @Flag(help: "Read the password from the first line of standard input instead.")
        var passwordStdin = false

        func run() throws {
            let password: String
            if passwordStdin {
                guard let line = readLine(strippingNewline: true) else {
                    throw ValidationError("--password-stdin: standard input is empty")
                }
                password = line.hasSuffix("\r") ? String(line.dropLast()) : line
            } else {
                guard let value = ProcessInfo.processInfo.environment[passwordEnv], !value.isEmpty else {
                    throw ValidationError("set the password in $\(passwordEnv), or pass --password-stdin")
                }
                password = value
            }
            let db = try PostgresConnection(url: connection.resolvedURL)
            let others = LoginRole.allCases.filter { $0 != role }.map(\.groupRole)
            let change = try db.createOrUpdateLogin(name, password: password, group: role.groupRole,
                                                    otherGroups: others)
            print("\(change == .created ? "created" : "updated") login \(name) in role \(role.groupRole)")
        }
    }
}
