import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

/// The least-privilege roles of `Migrations/0020_roles.sql`, with real logins made by `seqtwins db create-login`, the
/// real `seqtwins` binary and a real PostgreSQL.
///
/// The test cluster (`scripts/pg.sh`) trusts every connection on its Unix socket, so these logins connect without
/// their passwords being checked; the URLs carry the passwords anyway, for a `DATABASE_URL` server that checks them.
/// Password authentication over TCP is exercised by `scripts/container-test.sh`.
@Suite("Least-privilege roles", .enabled(if: TestDatabase.isAvailable), .serialized)
final class RolesTests {
    let database: TestDatabase
    let db: PostgresConnection
    let folder: URL
    private var logins: [String] = []

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()

    init() throws {
        database = try TestDatabase(suite: "roles")
        db = try database.connect()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqtwins-roles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        database.drop()
        try? FileManager.default.removeItem(at: folder)
        // Roles are cluster-wide: drop this test's logins once their database is gone.
        if let server = try? TestDatabase.serverURL(), let admin = try? PostgresConnection(url: server) {
            for login in logins {
                _ = try? admin.executeTrustedScript("DROP ROLE IF EXISTS \(admin.quoteIdentifier(login))")
            }
        }
    }

    /// A login name unique in the cluster (roles are shared by every test database).
    private func uniqueName(_ role: String) -> String {
        let number = Self.counterLock.withLock {
            Self.counter += 1
            return Self.counter
        }
        let name = "seqtwins_t\(getpid())_\(number)_\(role)"
        logins.append(name)
        return name
    }

    /// Creates a login in `role` with the real CLI (password from the environment) and returns its URL.
    private func login(_ role: String) throws -> String {
        let name = uniqueName(role)
        let password = "pw-\(UUID().uuidString)"
        let process = try SeqTwinsProcess(["db", "create-login", name, "--role", role], databaseURL: database.url,
                                          environment: ["SEQTWINS_LOGIN_PASSWORD": password])
        let status = process.wait(timeout: 30)
        #expect(status == 0, "\(process.log)")
        return DatabaseURL.replacingUser(in: database.url, with: name, password: password)
    }

    /// The SQLSTATE `statement` fails with on `connection`, or `nil` when it succeeds.
    private func failure(_ statement: String, on connection: PostgresConnection) -> String? {
        do {
            try connection.executeTrustedScript(statement)
            return nil
        } catch let error as PostgresError {
            return error.sqlState ?? "no SQLSTATE: \(error.message)"
        } catch {
            return "\(error)"
        }
    }

    /// Expects every statement to fail with 42501 (insufficient privilege).
    private func expectDenied(_ statements: [String], on connection: PostgresConnection,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        for statement in statements {
            let state = failure(statement, on: connection)
            #expect(state == "42501", "\(statement) gave \(state ?? "success")", sourceLocation: sourceLocation)
        }
    }

    /// Enqueues one ready `noop` job as the superuser.
    private func enqueueNoop() throws {
        try db.execute("SELECT seqtwins.enqueue('noop')")
    }

    private func count(_ sql: SQL) throws -> Int {
        try db.queryOne(sql)!.decode(0, as: Int.self)
    }

    private func memberships(_ login: String) throws -> [String] {
        try db.query("""
            SELECT g.rolname FROM pg_catalog.pg_auth_members m
            JOIN pg_catalog.pg_roles g ON g.oid = m.roleid JOIN pg_catalog.pg_roles u ON u.oid = m.member
            WHERE u.rolname = \(login) ORDER BY 1
            """).map { try $0.decode("rolname", as: String.self) }
    }

    /// A small experiment covering every job kind and result table: plan, two trained methods and the bag of items,
    /// embeddings, linear probe and fine-tuning; 12 jobs.
    static let smallSpec = """
        {
          "name": "roles",
          "dataset": {"kind": "synthetic", "synthetic": {"users": 400, "items": 120, "categories": 8,
                                                         "mean_sequence_length": 20, "seed": 3}},
          "preprocessing": {"max_length": 20, "label_categories": 6},
          "encoder": {"kind": "transformer", "d": 16, "blocks": 1, "heads": 2, "ff": 32},
          "methods": [
            {"name": "barlow_twins", "epochs": 2, "batch_size": 64, "projector": [32, 32]},
            {"name": "dual_encoder", "epochs": 1, "batch_size": 64},
            {"name": "bag_of_items", "hash_buckets": 16}
          ],
          "tasks": ["future_top_category"],
          "protocols": ["linear_probe", "fine_tune"],
          "label_fractions": [1],
          "fine_tune": {"epochs": 2, "patience": 1},
          "seeds": 1
        }
        """

    @Test func theMigrationMakesThreeGroupRolesThatCannotLogIn() throws {
        let rows = try db.query("""
            SELECT rolname, rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_catalog.pg_roles
            WHERE rolname IN ('seqtwins_worker', 'seqtwins_submitter', 'seqtwins_reader') ORDER BY rolname
            """)
        #expect(try rows.map { try $0.decode("rolname", as: String.self) }
                == ["seqtwins_reader", "seqtwins_submitter", "seqtwins_worker"])
        for row in rows {
            for column in ["rolcanlogin", "rolsuper", "rolcreaterole", "rolcreatedb"] {
                #expect(try row.decode(column, as: Bool.self) == false)
            }
        }
        // Running the role block again (another database's migration) changes nothing and raises nothing.
        let sql = try String(contentsOf: RepositoryPaths.root.appendingPathComponent("Migrations/0020_roles.sql"),
                             encoding: .utf8)
        try db.transaction { try $0.executeTrustedScript(sql) }
    }

    @Test func createLoginStoresAScramVerifierAndKeepsTheLoginInExactlyOneRole() throws {
        let name = uniqueName("cli")
        let first = try SeqTwinsProcess(["db", "create-login", name, "--role", "reader"], databaseURL: database.url,
                                        environment: ["SEQTWINS_LOGIN_PASSWORD": "first secret"])
        #expect(first.wait(timeout: 30) == 0, "\(first.log)")
        #expect(first.log.contains("created login \(name) in role seqtwins_reader"), "\(first.log)")
        let stored = try #require(try db.queryOne("""
            SELECT rolcanlogin, rolsuper, rolpassword FROM pg_catalog.pg_authid WHERE rolname = \(name)
            """))
        #expect(try stored.decode("rolcanlogin", as: Bool.self))
        #expect(try stored.decode("rolsuper", as: Bool.self) == false)
        let verifier: String = try stored.decode("rolpassword")
        #expect(verifier.hasPrefix("SCRAM-SHA-256$"))
        #expect(!verifier.contains("first secret"))
        #expect(try memberships(name) == ["seqtwins_reader"])

        // Again, from standard input and into another role: the password changes, the login moves.
        let script = #"printf '%s\n' "$PW" | "$BIN" db create-login "$NAME" --role worker --password-stdin"#
        let second = try TestProcess.run("/bin/sh", ["-c", script], environment: [
            "PW": "second secret", "BIN": RepositoryPaths.seqtwinsExecutable.path, "NAME": name,
            "DATABASE_URL": database.url,
        ])
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("updated login \(name) in role seqtwins_worker"), "\(second.stdout)")
        #expect(try memberships(name) == ["seqtwins_worker"])
        let changed: String = try db.queryOne("SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = \(name)")!
            .decode("rolpassword")
        #expect(changed != verifier)

        // No password, a superuser's name, a bad name, an unknown role: errors that say why, and no change.
        let cases: [([String], [String: String], String)] = [
            (["db", "create-login", name, "--role", "reader"], [:], "SEQTWINS_LOGIN_PASSWORD"),
            (["db", "create-login", "postgres", "--role", "reader"], ["SEQTWINS_LOGIN_PASSWORD": "x"], "superuser"),
            (["db", "create-login", "Bad-Name", "--role", "reader"], ["SEQTWINS_LOGIN_PASSWORD": "x"], "login name"),
            (["db", "create-login", name, "--role", "admin"], ["SEQTWINS_LOGIN_PASSWORD": "x"], "admin"),
        ]
        for (arguments, environment, message) in cases {
            var environment = environment
            if environment["SEQTWINS_LOGIN_PASSWORD"] == nil { environment["SEQTWINS_LOGIN_PASSWORD"] = "" }
            let process = try SeqTwinsProcess(arguments, databaseURL: database.url, environment: environment)
            #expect(process.wait(timeout: 30) != 0, "\(arguments)")
            #expect(process.log.contains(message), "\(arguments): \(process.log)")
        }
        #expect(try memberships(name) == ["seqtwins_worker"])
        #expect(try count("SELECT count(*)::int FROM pg_catalog.pg_roles WHERE rolname = 'bad-name'") == 0)
    }

    @Test func aWorkerLoginRunsAnExperimentThatASubmitterEnqueuedAndAReaderReports() throws {
        let worker = try login("worker")
        let submitter = try login("submitter")
        let reader = try login("reader")
        let file = folder.appendingPathComponent("roles.json")
        try Self.smallSpec.write(to: file, atomically: true, encoding: .utf8)

        let (enqueued, output) = try runSeqTwins(["enqueue", file.path], databaseURL: submitter)
        #expect(enqueued == 0, "\(output)")
        let experiment = try #require(output.split(separator: "\n").last
            .flatMap { Int64($0.split(separator: " ").last ?? "") })

        let arguments = ["worker", "--exit-when-idle", "--openblas-coretype", "none", "--poll-seconds", "0.3"]
        let (status, log) = try runSeqTwins(arguments, databaseURL: worker, timeout: 240)
        #expect(status == 0, "worker log:\n\(log.suffix(3000))")
        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment)") == 12)
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment) AND state <> 'succeeded'
            """) == 0, "worker log:\n\(log.suffix(3000))")
        #expect(try count("SELECT count(*)::int FROM seqtwins.runs") == 3)
        #expect(try count("SELECT count(*)::int FROM seqtwins.checkpoints WHERE kind = 'final'") == 2)
        #expect(try count("SELECT count(*)::int FROM seqtwins.checkpoints WHERE kind = 'latest'") == 0)
        #expect(try count("SELECT count(*)::int FROM seqtwins.metrics WHERE name = 'loss'") >= 3)
        #expect(try count("SELECT count(*)::int FROM seqtwins.embeddings") == 3 * 400)
        #expect(try count("SELECT count(*)::int FROM seqtwins.eval_results") == 5)
        #expect(try count("SELECT count(*)::int FROM seqtwins.experiments WHERE resolved_spec IS NOT NULL") == 1)

        // The reader reads the curves in SQL and with the CLI, and cannot enqueue.
        let readerDB = try PostgresConnection(url: reader)
        let curve = try readerDB.query("""
            SELECT method, label_fraction, n, mean FROM seqtwins.label_efficiency WHERE experiment_id = \(experiment)
            """)
        #expect(curve.count == 5)
        #expect(try readerDB.query("SELECT * FROM seqtwins.method_gain WHERE experiment_id = \(experiment)").count == 3)
        let (reportStatus, report) = try runSeqTwins(["report", "\(experiment)"], databaseURL: reader)
        #expect(reportStatus == 0, "\(report)")
        #expect(report.contains("barlow_twins"), "\(report)")
        expectDenied([#"SELECT seqtwins.enqueue_experiment('{"name": "no"}'::jsonb)"#], on: readerDB)
        let (readerEnqueue, readerOutput) = try runSeqTwins(["enqueue", file.path], databaseURL: reader)
        #expect(readerEnqueue != 0)
        #expect(readerOutput.contains("permission denied"), "\(readerOutput)")
        #expect(try count("SELECT count(*)::int FROM seqtwins.experiments") == 1)
    }

    @Test func aSubmitterImportsADatasetThatAWorkerLoginRunsAndOnlyTheSubmitterMayDelete() throws {
        let worker = try login("worker")
        let submitter = try login("submitter")
        let lines = (1...80).map { user in "u\(user) " + (0..<8).map { "i\((user * 5 + $0 * 3) % 30)" }.joined(separator: " ") }
        let data = folder.appendingPathComponent("seq.txt")
        try (lines.joined(separator: "\n") + "\n").write(to: data, atomically: true, encoding: .utf8)
        let attributes = folder.appendingPathComponent("attributes.json")
        try ("{" + (0..<30).map { #""i\#($0)": [\#($0 % 4)]"# }.joined(separator: ", ") + "}")
            .write(to: attributes, atomically: true, encoding: .utf8)
        let (imported, importOutput) = try runSeqTwins(
            ["dataset", "import", "small", "--kind", "sequences", "--path", data.path, "--item-attributes",
             attributes.path], databaseURL: submitter)
        #expect(imported == 0, "\(importOutput)")
        let (workerImport, workerImportOutput) = try runSeqTwins(
            ["dataset", "import", "other", "--kind", "sequences", "--path", data.path], databaseURL: worker)
        #expect(workerImport != 0 && workerImportOutput.contains("permission denied"), "\(workerImportOutput)")

        let submitterDB = try PostgresConnection(url: submitter)
        let experiment: Int64 = try submitterDB.queryOne(#"""
            SELECT seqtwins.enqueue_experiment('{"name": "imported", "dataset": {"name": "small"},
                "preprocessing": {"max_length": 8}, "encoder": {"kind": "mean_pool", "d": 8, "heads": 1},
                "methods": [{"name": "none"}], "tasks": ["next_category"], "protocols": ["linear_probe"],
                "label_fractions": [1], "seeds": 1}'::jsonb, 3) AS id
            """#)!.decode("id")
        let (status, log) = try runSeqTwins(
            ["worker", "--exit-when-idle", "--openblas-coretype", "none", "--poll-seconds", "0.3"],
            databaseURL: worker, timeout: 120)
        #expect(status == 0, "worker log:\n\(log.suffix(3000))")
        #expect(try count("""
            SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment) AND state = 'succeeded'
            """) == 4, "worker log:\n\(log.suffix(3000))")
        #expect(try count("SELECT count(*)::int FROM seqtwins.eval_predictions") > 0)
        // Priorities and caps are the submitter's; the worker may neither delete data nor change them.
        let workerDB = try PostgresConnection(url: worker)
        expectDenied(["DELETE FROM seqtwins.datasets", "SELECT seqtwins.set_experiment_priority(\(experiment), 5)",
                      "SELECT seqtwins.set_kind_limit('pretrain', 1)"], on: workerDB)
        _ = try submitterDB.execute("SELECT seqtwins.set_experiment_priority(\(experiment), 5)")
        _ = try submitterDB.execute("SELECT seqtwins.set_kind_limit('pretrain', 1)")
    }

    @Test func aWorkerLoginCannotChangeTheSchemaReadServerFilesOrSubmit() throws {
        let worker = try PostgresConnection(url: try login("worker"))
        try enqueueNoop()
        expectDenied([
            "DROP TABLE seqtwins.jobs",
            "ALTER TABLE seqtwins.jobs ADD COLUMN extra integer",
            "CREATE TABLE seqtwins.extra (id integer)",
            "CREATE TABLE public.extra (id integer)",
            "CREATE FUNCTION seqtwins.extra() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
            "CREATE INDEX extra_idx ON seqtwins.jobs (payload)",
            "TRUNCATE seqtwins.eval_results",
            "SELECT pg_read_file('/etc/passwd')",
            "SELECT pg_ls_dir('.')",
            "COPY seqtwins.job_kinds (name) FROM '/etc/hostname'",
            "COPY (SELECT 1) TO '/tmp/seqtwins-roles-test'",
            "COPY (SELECT 1) TO PROGRAM 'true'",
            "CREATE ROLE seqtwins_roles_test_extra",
            "INSERT INTO seqtwins.experiments (name, spec) VALUES ('direct', '{}')",
            #"SELECT seqtwins.enqueue_experiment('{"name": "no"}'::jsonb)"#,
            "UPDATE seqtwins.jobs SET payload = '{\"changed\": true}'",
            "UPDATE seqtwins.jobs SET priority = 100",
            "UPDATE seqtwins.experiments SET spec = '{}'",
            "DELETE FROM seqtwins.jobs",
            "DELETE FROM seqtwins.experiments",
            "DELETE FROM seqtwins.schema_migrations",
        ], on: worker)
        // What it needs does work: claiming, and declaring the kinds it runs.
        #expect(try worker.query("SELECT id FROM seqtwins.claim('test-worker', 30)").count == 1)
        try worker.execute("INSERT INTO seqtwins.job_kinds (name) VALUES ('roles_test') ON CONFLICT DO NOTHING")
    }

    @Test func aSubmitterEnqueuesCancelsAndRetriesButCannotChangeTheSchemaOrWriteResults() throws {
        let submitter = try PostgresConnection(url: try login("submitter"))
        let experiment: Int64 = try submitter.queryOne(#"""
            SELECT seqtwins.enqueue_experiment('{"name": "submitted", "dataset": {"kind": "synthetic"}}'::jsonb) AS id
            """#)!.decode("id")
        let job: Int64 = try submitter.queryOne("SELECT seqtwins.enqueue('noop') AS id")!.decode("id")
        func answer(_ sql: SQL) throws -> String { try submitter.queryOne(sql)!.decode(0, as: String.self) }
        #expect(try answer("SELECT seqtwins.cancel(\(job))") == "queued")
        #expect(try answer("SELECT seqtwins.retry(\(job))") == "cancelled")
        #expect(try answer("SELECT seqtwins.cancel_experiment(\(experiment))::text") == "1")
        expectDenied([
            "CREATE TABLE seqtwins.extra (id integer)",
            "CREATE TABLE public.extra (id integer)",
            "DROP TABLE seqtwins.jobs",
            "ALTER TABLE seqtwins.experiments ADD COLUMN extra integer",
            "TRUNCATE seqtwins.jobs",
            "SELECT pg_read_file('/etc/passwd')",
            "COPY (SELECT 1) TO PROGRAM 'true'",
            "DELETE FROM seqtwins.experiments",
            "DELETE FROM seqtwins.jobs",
            "INSERT INTO seqtwins.runs (experiment_id, series, method, seed) VALUES (\(experiment), 'x', 'none', 0)",
            "DELETE FROM seqtwins.eval_results",
            "UPDATE seqtwins.experiments SET spec = '{}'",
            "INSERT INTO seqtwins.job_kinds (name) VALUES ('submitted_kind')",
        ], on: submitter)
    }

    @Test func aReaderSelectsButWritesNothing() throws {
        let reader = try PostgresConnection(url: try login("reader"))
        try enqueueNoop()
        for relation in ["jobs", "experiments", "runs", "metrics", "checkpoints", "embeddings", "eval_results",
                         "label_efficiency", "method_gain", "experiment_progress", "job_kinds", "schema_migrations"] {
            #expect(failure("SELECT * FROM seqtwins.\(relation) LIMIT 1", on: reader) == nil, "\(relation)")
        }
        #expect(failure("SELECT * FROM seqtwins.nearest_users(1, 'a', 3)", on: reader) == nil)
        expectDenied([
            #"SELECT seqtwins.enqueue_experiment('{"name": "no"}'::jsonb)"#,
            "SELECT seqtwins.enqueue('noop')",
            "SELECT * FROM seqtwins.claim('reader', 30)",
            "SELECT seqtwins.cancel(1)",
            "SELECT seqtwins.rescue_expired()",
            "INSERT INTO seqtwins.jobs (kind) VALUES ('noop')",
            "UPDATE seqtwins.jobs SET priority = 1",
            "DELETE FROM seqtwins.eval_results",
            "CREATE TABLE seqtwins.extra (id integer)",
            "CREATE TABLE public.extra (id integer)",
            "SELECT pg_read_file('/etc/passwd')",
        ], on: reader)
        #expect(try count("SELECT count(*)::int FROM seqtwins.jobs WHERE state = 'queued'") == 1)
    }
}
