import Foundation
import Postgres

extension Pages {
    /// `/datasets`: `seqtwins.datasets` with their counts, and the experiments that use each (`experiments.dataset_id`).
    static func datasets(_ db: PostgresConnection, request: DashboardRequest) throws -> Page {
        let rows = try db.query("""
            SELECT d.id, d.name, d.kind, d.user_count, d.item_count, d.interaction_count, d.category_count,
                   d.has_ratings, extract(epoch FROM d.imported_at)::float8 AS imported_at, d.description,
                   d.content_sha256
            FROM seqtwins.datasets d ORDER BY d.name
            """)
        var users: [Int64: [(id: Int64, name: String)]] = [:]
        for row in try db.query("""
            SELECT id, name, dataset_id FROM seqtwins.experiments WHERE dataset_id IS NOT NULL ORDER BY id
            """) {
            users[try row.decode("dataset_id"), default: []].append((try row.decode("id"), try row.decode("name")))
        }
        let synthetic: Int = try db.queryOne("""
            SELECT count(*)::int AS n FROM seqtwins.experiments WHERE dataset_id IS NULL
            """)!.decode("n")
        let table = DataTable(
            name: "datasets", title: "Imported datasets",
            columns: [
                Column("id", "#", numeric: true), Column("name", "Name"), Column("kind", "Kind"),
                Column("users", "Users", numeric: true), Column("items", "Items", numeric: true),
                Column("interactions", "Interactions", numeric: true), Column("categories", "Categories", numeric: true),
                Column("has_ratings", "Ratings"), Column("imported_at", "Imported"),
                Column("experiment_count", "Experiments", numeric: true),
                Column("experiment_ids", "Used by"), Column("description", "Description"),
                Column("content_sha256", "Content SHA-256", visible: false),
            ],
            rows: try rows.map { row in
                let id: Int64 = try row.decode("id")
                let using = users[id] ?? []
                let links = Markup.joined(using.map { experiment in
                    "<a href=\"/experiments/\(experiment.id)\">#\(experiment.id)</a> <span class=\"text\">\(shortened(experiment.name, to: 40))</span>"
                }, separator: "<br>")
                return Row([
                    .integer(id), .text(try row.decode("name", as: String.self)),
                    .text(try row.decode("kind", as: String.self)), .integer(try row.decode("user_count", as: Int64.self)),
                    .integer(try row.decode("item_count", as: Int64.self)),
                    .integer(try row.decode("interaction_count", as: Int64.self)),
                    .integer(try row.decode("category_count", as: Int64.self)),
                    Cell(.bool(try row.decode("has_ratings"))),
                    .time(try row.decode("imported_at", as: Double?.self)),
                    .integer(using.count),
                    Cell(.text(using.map { String($0.id) }.joined(separator: ",")), display: using.isEmpty ? "–" : links),
                    .longText(try row.decode("description", as: String.self), shown: 120),
                    .text(try row.decode("content_sha256", as: String.self)),
                ])
            },
            emptyMessage: "No imported datasets: `seqtwins dataset import NAME --kind K --path P` adds one.",
            note: "\(synthetic) experiment\(synthetic == 1 ? "" : "s") use synthetic or no stored data (workers "
                + "generate synthetic data from its seed).")
        return Page(title: "Datasets", heading: "Datasets", area: .datasets,
                    sections: [.table(table, live: false)], live: false)
    }
}
