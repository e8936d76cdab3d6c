import Foundation
import JobQueue
import Postgres

extension Pages {
    /// `/jobs`: jobs filtered by `?state=`, `?kind=` and `?experiment=`, newest first, at most `?limit=` (200).
    static func jobs(_ db: PostgresConnection, request: DashboardRequest) throws -> Page {
        let state = request.parameter("state")
        if let state, JobState(rawValue: state) == nil {
            throw RequestError.badRequest("state \(state): expected one of "
                                          + JobState.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let kind = request.parameter("kind")
        var experiment: Int64?
        if let text = request.parameter("experiment") {
            guard let id = Int64(text) else { throw RequestError.badRequest("experiment \(text): expected an id") }
            experiment = id
        }
        let limit = try integerParameter(request, "limit", default: 200, range: 1...5_000)
        var conditions: [SQL] = ["true"]
        if let state { conditions.append("j.state = \(state)") }
        if let kind { conditions.append("j.kind = \(kind)") }
        if let experiment { conditions.append("j.experiment_id = \(experiment)") }
        let filter = SQL.joined(conditions, separator: " AND ")
        let total: Int = try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.jobs j WHERE \(filter)")!.decode("n")
        let rows = try db.query("""
            SELECT \(jobColumns) FROM seqtwins.jobs j LEFT JOIN seqtwins.experiments x ON x.id = j.experiment_id
            WHERE \(filter) ORDER BY j.id DESC LIMIT \(limit)
            """)
        var table = try jobsTable(rows, name: "jobs", title: "Jobs")
        table.note = "\(Format.integer(Int64(total))) jobs match; "
            + (total > rows.count ? "showing the newest \(rows.count) (?limit=N shows more)." : "newest first.")
        table.emptyMessage = "No jobs match."

        let kinds = try db.query("SELECT name FROM seqtwins.job_kinds ORDER BY name").map { try $0.decode("name", as: String.self) }
        func options(_ values: [String], selected: String?) -> Markup {
            Markup.joined(([""] + values).map { value in
                let label = value.isEmpty ? "any" : value
                return value == (selected ?? "")
                    ? "<option value=\"\(value)\" selected>\(label)</option>" : "<option value=\"\(value)\">\(label)</option>"
            })
        }
        let form: Markup = """
            <form class="filters" method="get" action="/jobs" aria-label="Filter jobs">
            <label>State <select name="state">\(options(JobState.allCases.map(\.rawValue), selected: state))</select></label>
            <label>Kind <select name="kind">\(options(kinds, selected: kind))</select></label>
            <label>Experiment <input name="experiment" inputmode="numeric" size="6" value="\(experiment.map { String($0) } ?? "")"></label>
            <button type="submit">Filter</button> <a href="/jobs">clear</a>
            </form>
            """
        var title = "Jobs"
        if let state { title += " · \(state)" }
        if let kind { title += " · \(kind)" }
        if let experiment { title += " · experiment \(experiment)" }
        return Page(title: title, heading: "\(title)", area: .jobs,
                    sections: [.markup(form, live: false), .table(table, live: true)])
    }

    /// The columns every job listing selects (as `j`, with the experiment as `x`).
    static let jobColumns: SQL = """
        j.id, j.kind, j.state, j.experiment_id, x.name AS experiment_name, j.key, j.priority, j.attempts,
        j.max_attempts, j.lease_owner, j.progress, j.progress_message,
        CASE WHEN j.state = 'running' THEN extract(epoch FROM now() - j.heartbeat_at)::float8 END AS heartbeat_age,
        CASE WHEN j.state = 'running' THEN extract(epoch FROM j.lease_expires_at - now())::float8 END AS lease_left,
        extract(epoch FROM j.created_at)::float8 AS created_at,
        extract(epoch FROM j.started_at)::float8 AS started_at,
        extract(epoch FROM j.finished_at)::float8 AS finished_at,
        j.last_error
        """

    /// A table of jobs selected with ``jobColumns``.
    static func jobsTable(_ rows: [PostgresRow], name: String, title: String, extra: [Column] = [],
                          extraCells: (PostgresRow) throws -> [Cell] = { _ in [] }) throws -> DataTable {
        DataTable(
            name: name, title: title,
            columns: [Column("id", "Job", numeric: true)] + extra + [
                Column("kind", "Kind"), Column("state", "State"),
                Column("experiment_id", "Experiment"),
                Column("experiment_name", "Experiment name", visible: false), Column("key", "Key"),
                Column("priority", "Priority", numeric: true, visible: false),
                Column("attempts", "Attempts", numeric: true), Column("max_attempts", "Max attempts", visible: false),
                Column("worker", "Worker"), Column("progress", "Progress"),
                Column("progress_message", "Message", visible: false),
                Column("heartbeat_age_seconds", "Heartbeat age", numeric: true),
                Column("lease_left_seconds", "Lease left", numeric: true),
                Column("created_at", "Created"), Column("started_at", "Started", visible: false),
                Column("finished_at", "Finished", visible: false),
                Column("last_error", "Last error"),
            ],
            rows: try rows.map { row in
                let id: Int64 = try row.decode("id")
                let state: String = try row.decode("state")
                let experiment = try row.decode("experiment_id", as: Int64?.self)
                let experimentName = try row.decode("experiment_name", as: String?.self)
                let attempts: Int = try row.decode("attempts")
                let maxAttempts: Int = try row.decode("max_attempts")
                let progress: Double = try row.decode("progress")
                let message = try row.decode("progress_message", as: String?.self)
                let leaseLeft = try row.decode("lease_left", as: Double?.self)
                let experimentCell: Cell = experiment.map { id in
                    Cell(.integer(id), display: """
                        <a href="/experiments/\(id)">#\(id)</a> <span class="text">\(shortened(experimentName ?? "", to: 30))</span>
                        """)
                } ?? Cell(.null)
                return Row([.integer(id, link: "/jobs/\(id)")] + (try extraCells(row)) + [
                    .text(try row.decode("kind", as: String.self)),
                    Cell(.text(state), display: Widgets.state(state)),
                    experimentCell, .text(experimentName), .text(try row.decode("key", as: String?.self)),
                    .integer(try row.decode("priority", as: Int.self)),
                    Cell(.integer(Int64(attempts)), display: "\(attempts)/\(maxAttempts)"), .integer(maxAttempts),
                    .text(try row.decode("lease_owner", as: String?.self)),
                    Cell(.number(progress), display: state == "running" || (progress > 0 && progress < 1)
                         ? Widgets.progress(progress, message: message.map { shortened($0, to: 80) })
                         : "\(Format.percent(progress))"),
                    .text(message),
                    .duration(try row.decode("heartbeat_age", as: Double?.self)),
                    Cell(leaseLeft.map(CellValue.number) ?? .null, display: leaseLeft.map { left in
                        left < 0 ? "<span class=\"expired\">expired \(Format.duration(-left)) ago</span>"
                            : "\(Format.duration(left))"
                    }),
                    .time(try row.decode("created_at", as: Double?.self)),
                    .time(try row.decode("started_at", as: Double?.self)),
                    .time(try row.decode("finished_at", as: Double?.self)),
                    .longText(try row.decode("last_error", as: String?.self), shown: 80),
                ], classes: ["job-\(state)"])
            })
    }

    /// `/jobs/ID`: one job, its payload, the jobs it waits on (transitively) and the jobs that wait on it.
    static func job(_ db: PostgresConnection, id: Int64, request: DashboardRequest) throws -> Page {
        let rows = try db.query("""
            SELECT \(jobColumns), j.cancelled_by, j.payload::text AS payload_text,
                   jsonb_pretty(j.payload) AS payload_pretty, extract(epoch FROM j.run_after)::float8 AS run_after
            FROM seqtwins.jobs j LEFT JOIN seqtwins.experiments x ON x.id = j.experiment_id WHERE j.id = \(id)
            """)
        guard let row = rows.first else { throw RequestError.notFound("no job \(id)") }
        let state: String = try row.decode("state")
        var detail = try jobsTable(rows, name: "job", title: "Job", extra: []) { _ in [] }
        let cancelledBy = try row.decode("cancelled_by", as: Int64?.self)
        detail.columns += [Column("cancelled_by", "Cancelled because of"), Column("run_after", "Not before"),
                           Column("payload", "Payload", visible: false)]
        detail.rows[0].cells += [
            .integer(cancelledBy, link: cancelledBy.map { "/jobs/\($0)" }),
            .time(try row.decode("run_after", as: Double?.self)),
            .text(try row.decode("payload_text", as: String.self)),
        ]
        // The detail shows every field, and the whole error.
        for index in detail.columns.indices where detail.columns[index].key != "payload" {
            detail.columns[index].visible = true
        }
        if let error = try row.decode("last_error", as: String?.self),
           let index = detail.columns.firstIndex(where: { $0.key == "last_error" }) {
            detail.rows[0].cells[index] = Cell(.text(error), display: "<div class=\"text\">\(error)</div>")
        }
        detail.layout = .fields

        let chainColumns: SQL = """
            j.id, u.depth, j.kind, j.state, j.key, j.progress, extract(epoch FROM j.finished_at)::float8 AS finished_at
            """
        let ancestors = try db.query("""
            WITH RECURSIVE up (id, depth) AS (
                SELECT d.depends_on, 1 FROM seqtwins.job_dependencies d WHERE d.job_id = \(id)
                UNION
                SELECT d.depends_on, up.depth + 1 FROM seqtwins.job_dependencies d JOIN up ON d.job_id = up.id
                WHERE up.depth < 100)
            SELECT \(chainColumns)
            FROM (SELECT id, min(depth) AS depth FROM up GROUP BY id) u JOIN seqtwins.jobs j ON j.id = u.id
            ORDER BY u.depth, j.id
            """)
        let descendants = try db.query("""
            WITH RECURSIVE down (id, depth) AS (
                SELECT d.job_id, 1 FROM seqtwins.job_dependencies d WHERE d.depends_on = \(id)
                UNION
                SELECT d.job_id, down.depth + 1 FROM seqtwins.job_dependencies d JOIN down ON d.depends_on = down.id
                WHERE down.depth < 100)
            SELECT \(chainColumns)
            FROM (SELECT id, min(depth) AS depth FROM down GROUP BY id) u JOIN seqtwins.jobs j ON j.id = u.id
            ORDER BY u.depth, j.id LIMIT 1000
            """)
        let payload: Markup = """
            <details class="spec"><summary>Payload</summary><pre>\(try row.decode("payload_pretty", as: String.self))</pre></details>
            """
        let unfinishedDependants = try descendants.contains {
            !(JobState(rawValue: try $0.decode("state"))?.isFinished ?? true)
        }
        return Page(
            title: "Job \(id)", heading: "Job #\(id): \(try row.decode("kind", as: String.self)), \(state)", area: .jobs,
            sections: [
                .table(detail, live: true),
                .markup(payload, live: false),
                .table(try chainTable(ancestors, name: "depends_on", title: "Waits on (its dependency chain)",
                                  empty: "Nothing: this job depends on no other job.", depthTitle: "Steps up"),
                       live: true),
                .table(try chainTable(descendants, name: "dependants", title: "Waited on by",
                                  empty: "No job depends on this one.", depthTitle: "Steps down"),
                       live: true),
            ],
            live: !(JobState(rawValue: state)?.isFinished ?? false) || unfinishedDependants)
    }

    /// A table of jobs up or down a dependency chain.
    static func chainTable(_ rows: [PostgresRow], name: String, title: String, empty: String,
                           depthTitle: String) throws -> DataTable {
        DataTable(
            name: name, title: title,
            columns: [
                Column("id", "Job", numeric: true), Column("depth", depthTitle, numeric: true), Column("kind", "Kind"),
                Column("state", "State"), Column("key", "Key"), Column("progress", "Progress"),
                Column("finished_at", "Finished"),
            ],
            rows: try rows.map { row in
                let id: Int64 = try row.decode("id")
                let state: String = try row.decode("state")
                let progress: Double = try row.decode("progress")
                return Row([
                    .integer(id, link: "/jobs/\(id)"), .integer(try row.decode("depth", as: Int.self)),
                    .text(try row.decode("kind", as: String.self)), Cell(.text(state), display: Widgets.state(state)),
                    .text(try row.decode("key", as: String?.self)),
                    Cell(.number(progress), display: "\(Format.percent(progress))"),
                    .time(try row.decode("finished_at", as: Double?.self)),
                ])
            },
            emptyMessage: empty)
    }
}
