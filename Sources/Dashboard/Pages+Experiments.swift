import Foundation
import JobQueue
import Postgres

extension Pages {
    /// The `?sort=` keys of the experiments table.
    static let experimentSortKeys = ["id", "name", "dataset", "jobs", "done", "started", "finished", "wall", "failures"]

    /// `/`: every experiment (newest first unless sorted), with its progress from `seqtwins.experiment_progress`.
    static func experiments(_ db: PostgresConnection, request: DashboardRequest) throws -> Page {
        let sort = request.parameter("sort") ?? "-id"
        let key = sort.hasPrefix("-") ? String(sort.dropFirst()) : sort
        guard experimentSortKeys.contains(key) else {
            throw RequestError.badRequest("sort \(sort): expected one of \(experimentSortKeys.joined(separator: ", ")), "
                                          + "optionally with a leading - for descending")
        }
        let limit = try integerParameter(request, "limit", default: 500, range: 1...10_000)
        var table = try experimentsTable(db, only: nil, sort: (key, sort.hasPrefix("-")), limit: limit)
        table.sort = sort
        let total: Int = try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.experiments")!.decode("n")
        if total > table.rows.count {
            table.note = "Showing \(table.rows.count) of \(Format.integer(Int64(total))) experiments (?limit=N shows more)."
        }
        return Page(title: "Experiments", heading: "Experiments", area: .experiments, sections: [
            .markup(Widgets.stateLegend, live: false),
            .table(table, live: true),
        ])
    }

    /// The experiments table: one row per experiment (or only `only`), in `sort` order.
    static func experimentsTable(
        _ db: PostgresConnection, only: Int64?, sort: (key: String, descending: Bool) = ("id", true), limit: Int = 500
    ) throws -> DataTable {
        let filter: SQL = only.map { "WHERE x.id = \($0)" } ?? ""
        let column: SQL = switch sort.key {
        case "name": "x.name"
        case "dataset": "coalesce(d.name, coalesce(x.resolved_spec, x.spec) #>> '{dataset,name}', coalesce(x.resolved_spec, x.spec) #>> '{dataset,kind}')"
        case "jobs": "jobs"
        case "done": "fraction_done"
        case "started": "started_at"
        case "finished": "finished_at"
        case "wall": "wall_seconds"
        case "failures": "failed"
        default: "id"
        }
        let direction: SQL = sort.descending ? "DESC NULLS LAST" : "ASC NULLS LAST"
        let rows = try db.query("""
            SELECT x.id, x.name,
                   coalesce(d.name, coalesce(x.resolved_spec, x.spec) #>> '{dataset,name}',
                            coalesce(x.resolved_spec, x.spec) #>> '{dataset,kind}') AS dataset,
                   x.priority, p.jobs, p.blocked, p.queued, p.running, p.succeeded, p.failed, p.cancelled,
                   p.fraction_done, coalesce(p.finished, false) AND p.jobs > 0 AS finished,
                   extract(epoch FROM t.started)::float8 AS started_at,
                   CASE WHEN p.finished AND p.jobs > 0 THEN extract(epoch FROM t.last_finished)::float8 END AS finished_at,
                   CASE WHEN t.started IS NOT NULL THEN extract(epoch FROM
                       CASE WHEN p.finished AND p.jobs > 0 THEN t.last_finished ELSE now() END - t.started)::float8
                   END AS wall_seconds
            FROM seqtwins.experiments x
            JOIN seqtwins.experiment_progress p ON p.experiment_id = x.id
            LEFT JOIN seqtwins.datasets d ON d.id = x.dataset_id
            LEFT JOIN LATERAL (SELECT min(j.started_at) AS started, max(j.finished_at) AS last_finished
                               FROM seqtwins.jobs j WHERE j.experiment_id = x.id) t ON true
            \(filter)
            ORDER BY \(column) \(direction), x.id DESC
            LIMIT \(limit)
            """)
        let sortable = only == nil
        func key(_ name: String) -> String? { sortable ? name : nil }
        let columns = [
            Column("id", "#", numeric: true, sortKey: key("id")),
            Column("name", "Experiment", sortKey: key("name")),
            Column("dataset", "Dataset", sortKey: key("dataset")),
            Column("priority", "Priority", numeric: true, visible: false),
            Column("jobs", "Jobs by state", sortKey: key("jobs")),
            Column("blocked", "Blocked", numeric: true, visible: false),
            Column("queued", "Queued", numeric: true, visible: false),
            Column("running", "Running", numeric: true, visible: false),
            Column("succeeded", "Succeeded", numeric: true, visible: false),
            Column("failed", "Failures", numeric: true, sortKey: key("failures")),
            Column("cancelled", "Cancelled", numeric: true, visible: false),
            Column("fraction_done", "Done", numeric: true, sortKey: key("done")),
            Column("finished", "Finished", visible: false),
            Column("started_at", "Started", sortKey: key("started")),
            Column("finished_at", "Finished", sortKey: key("finished")),
            Column("wall_seconds", "Wall time", numeric: true, sortKey: key("wall")),
        ]
        let tableRows = try rows.map { row -> Row in
            let id: Int64 = try row.decode("id")
            let name: String = try row.decode("name")
            var counts: [JobState: Int] = [:]
            for state in JobState.allCases { counts[state] = try row.decode(state.rawValue, as: Int.self) }
            let failed = counts[.failed] ?? 0
            let done: Double = try row.decode("fraction_done")
            return Row([
                .integer(id, link: "/experiments/\(id)"),
                Cell(.text(name), display: "<a class=\"name\" href=\"/experiments/\(id)\">\(shortened(name, to: 60))</a>"),
                .text(try row.decode("dataset", as: String?.self)),
                .integer(try row.decode("priority", as: Int.self)),
                Cell(.integer(Int64(try row.decode("jobs", as: Int.self))), display: Widgets.stateBar(counts)),
                .integer(counts[.blocked]), .integer(counts[.queued]), .integer(counts[.running]),
                .integer(counts[.succeeded]),
                Cell(.integer(Int64(failed)), display: failed > 0
                     ? "<a class=\"state-failed\" href=\"/jobs?state=failed&amp;experiment=\(id)\">\(failed)</a>" : "0"),
                .integer(counts[.cancelled]),
                Cell(.number(done), display: "\(Format.percent(done))"),
                Cell(.bool(try row.decode("finished"))),
                .time(try row.decode("started_at", as: Double?.self)),
                .time(try row.decode("finished_at", as: Double?.self)),
                .duration(try row.decode("wall_seconds", as: Double?.self)),
            ], classes: failed > 0 ? ["has-failures"] : [])
        }
        return DataTable(
            name: only == nil ? "experiments" : "progress", title: only == nil ? "Experiments" : "Progress",
            columns: columns, rows: tableRows,
            emptyMessage: "No experiments yet: `seqtwins enqueue Jobs/demo.json` submits one.")
    }

    /// `text`, cut to `count` characters with an ellipsis.
    static func shortened(_ text: String, to count: Int) -> String {
        text.count > count ? String(text.prefix(count)) + "…" : text
    }

    /// An integer query parameter in `range`, or `default` when absent.
    /// - Throws: ``RequestError`` (400) for anything else.
    static func integerParameter(
        _ request: DashboardRequest, _ name: String, default value: Int, range: ClosedRange<Int>
    ) throws -> Int {
        guard let text = request.parameter(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw RequestError.badRequest("\(name) \(text): expected a whole number from \(range.lowerBound) "
                                          + "to \(range.upperBound)")
        }
        return number
    }
}
