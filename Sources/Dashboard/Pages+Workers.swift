import Foundation
import Postgres

extension Pages {
    /// `/workers`: the workers that hold leases now (the distinct `lease_owner` of running jobs), what they run and
    /// how long ago they last renewed a lease.
    static func workers(_ db: PostgresConnection, request: DashboardRequest) throws -> Page {
        let running = try db.query("""
            SELECT \(jobColumns), extract(epoch FROM now() - j.started_at)::float8 AS running_for
            FROM seqtwins.jobs j LEFT JOIN seqtwins.experiments x ON x.id = j.experiment_id
            WHERE j.state = 'running' ORDER BY j.lease_owner, j.id
            """)
        let workers = try db.query("""
            SELECT coalesce(j.lease_owner, '') AS worker, count(*)::int AS jobs,
                   string_agg(j.id::text, ',' ORDER BY j.id) AS job_ids,
                   min(extract(epoch FROM now() - j.heartbeat_at))::float8 AS last_heartbeat_age,
                   max(extract(epoch FROM now() - j.heartbeat_at))::float8 AS oldest_heartbeat_age,
                   min(extract(epoch FROM j.lease_expires_at - now()))::float8 AS lease_left
            FROM seqtwins.jobs j WHERE j.state = 'running'
            GROUP BY j.lease_owner ORDER BY worker
            """)
        var jobsByWorker: [String: [(id: Int64, kind: String, progress: Double)]] = [:]
        for row in running {
            jobsByWorker[try row.decode("lease_owner", as: String?.self) ?? "", default: []].append(
                (try row.decode("id"), try row.decode("kind"), try row.decode("progress")))
        }
        let table = DataTable(
            name: "workers", title: "Workers holding leases",
            columns: [
                Column("worker", "Worker"), Column("running_jobs", "Running", numeric: true),
                Column("job_ids", "Jobs"),
                Column("last_heartbeat_age_seconds", "Since last heartbeat", numeric: true),
                Column("oldest_heartbeat_age_seconds", "Oldest heartbeat", numeric: true),
                Column("lease_left_seconds", "Shortest lease left", numeric: true),
            ],
            rows: try workers.map { row in
                let worker: String = try row.decode("worker")
                let jobs = jobsByWorker[worker] ?? []
                let links = Markup.joined(jobs.map { job in
                    "<a href=\"/jobs/\(job.id)\">#\(job.id)</a> \(job.kind) \(Format.percent(job.progress))"
                }, separator: "<br>")
                let leaseLeft = try row.decode("lease_left", as: Double?.self)
                return Row([
                    .text(worker), .integer(try row.decode("jobs", as: Int.self)),
                    Cell(.text(try row.decode("job_ids", as: String.self)), display: links),
                    .duration(try row.decode("last_heartbeat_age", as: Double?.self)),
                    .duration(try row.decode("oldest_heartbeat_age", as: Double?.self)),
                    Cell(leaseLeft.map(CellValue.number) ?? .null, display: leaseLeft.map { left in
                        left < 0 ? "<span class=\"expired\">expired \(Format.duration(-left)) ago</span>"
                            : "\(Format.duration(left))"
                    }),
                ])
            },
            emptyMessage: "No worker holds a lease: nothing is running.",
            note: "A worker appears while it runs a job: these are the distinct lease owners of running jobs. "
                + "A lease that expired belongs to a worker that stopped heartbeating; the job goes back to the queue.")
        let jobs = try jobsTable(
            running, name: "running", title: "Running jobs",
            extra: [Column("running_for_seconds", "Running for", numeric: true)]
        ) { row in [.duration(try row.decode("running_for", as: Double?.self))] }
        return Page(title: "Workers", heading: "Workers", area: .workers,
                    sections: [.table(table, live: true), .table(jobs, live: true)])
    }
}
