import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// A snapshot of every job row, to check that a rejected command changed nothing.
func snapshot(_ db: PostgresConnection) throws -> [String] {
    try db.query("SELECT j::text AS row FROM seqtwins.jobs j ORDER BY id").map { try $0.decode("row") }
        + db.query("SELECT d::text AS row FROM seqtwins.job_dependencies d ORDER BY 1").map { try $0.decode("row") }
}

/// Fast worker options for tests: short leases and heartbeats, quick polls.
let fastWorker = ["worker", "--lease-seconds", "3", "--heartbeat-seconds", "0.3", "--poll-seconds", "0.3",
                  "--rescue-seconds", "0.3", "--log-level", "info"]
