import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// A worker waiting for jobs survives a PostgreSQL restart. Runs its own throwaway cluster (scripts/pg.sh with a
/// private folder and port), so restarting it disturbs no other suite.
@Suite("Worker reconnects", .enabled(if: TestDatabase.isAvailable))
struct ReconnectTests {
    @Test func workerCarriesOnAfterPostgresRestarts() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("seqtwins-pg-restart-\(getpid())")
        let script = RepositoryPaths.root.appendingPathComponent("scripts/pg.sh").path
        let environment = ["SEQTWINS_PG_DIR": folder.path, "SEQTWINS_PG_PORT": "\(15_000 + Int(getpid()) % 5000)"]
        // Foundation's Process learns that a child exited when every copy of a socket it hands the child is
        // closed; the postmaster that pg.sh starts would inherit that copy and keep it open. So close every
        // inherited descriptor above 2 before running pg.sh.
        let closeInherited =
            #"for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; "#
        func pg(_ command: String) throws -> String {
            let output = try TestProcess.run("/bin/bash", ["-c", closeInherited + "exec bash \"$0\" \"$1\"",
                                                           script, command], environment: environment)
            guard output.status == 0 else {
                throw PostgresError(message: "scripts/pg.sh \(command) failed: \(output.stderr)")
            }
            return output.stdout.split(separator: "\n").last.map(String.init) ?? ""
        }
        let url = try pg("start")
        defer {
            _ = try? pg("stop")
            try? FileManager.default.removeItem(at: folder)
        }
        try Migrator(directory: RepositoryPaths.root.appendingPathComponent("Migrations"))
            .migrate(try PostgresConnection(url: url))

        let worker = try SeqTwinsProcess(fastWorker, databaseURL: url)
        defer { worker.signal(SIGKILL) }
        func runOneJob() throws -> Bool {
            let queue = JobQueue(try PostgresConnection(url: url))
            let id = try queue.enqueue(NewJob(kind: "noop"))
            return try waitUntil(timeout: 30) { try queue.job(id)?.state == .succeeded }
        }
        #expect(try runOneJob(), "\(worker.log)")
        // A connection of this process whose queue statements are prepared (a claim finding nothing).
        let client = try PostgresConnection(url: url)
        #expect(try JobQueue(client).claim(worker: "probe", leaseSeconds: 10, kinds: ["none"]).isEmpty)
        #expect(client.preparedStatementCount == 1)
        _ = try pg("restart")
        #expect(try runOneJob(), "\(worker.log)")
        // The server forgot the statement with the session; reconnecting prepares it again.
        #expect(throws: PostgresError.self) { try JobQueue(client).claim(worker: "probe", leaseSeconds: 10) }
        try client.reconnectIfNeeded()
        #expect(try JobQueue(client).claim(worker: "probe", leaseSeconds: 10, kinds: ["none"]).isEmpty)
        #expect(client.preparedStatementCount == 1)
        #expect(worker.log.contains("reconnected to the database"), "\(worker.log)")
        worker.signal(SIGTERM)
        #expect(worker.wait(timeout: 10) == 0)
    }
}
