import Experiments
import Foundation
import Postgres

extension Pages {
    /// `/experiments/ID`: progress, spec, label-efficiency curves and table, gains, verdicts, fine-tune against probe,
    /// pretraining budgets and curves, failures.
    static func experiment(_ db: PostgresConnection, id: Int64, request: DashboardRequest) throws -> Page {
        guard let experiment = try db.queryOne("""
            SELECT name, jsonb_pretty(coalesce(resolved_spec, spec)) AS spec, resolved_spec IS NOT NULL AS resolved
            FROM seqtwins.experiments WHERE id = \(id)
            """) else { throw RequestError.notFound("no experiment \(id)") }
        let name: String = try experiment.decode("name")
        let progress = try experimentsTable(db, only: id)
        let finished = progress.rows.first.map { row in
            if case .bool(let done) = row.cells[progress.columns.firstIndex { $0.key == "finished" }!].value { done } else { false }
        } ?? false

        let specTitle: Markup = try experiment.decode("resolved", as: Bool.self)
            ? "Resolved spec (defaults filled in by the planner)"
            : "Spec as submitted (the plan job has not resolved it yet)"
        let spec: Markup = """
            <details class="spec"><summary>\(specTitle)</summary><pre>\(try experiment.decode("spec", as: String.self))</pre></details>
            """

        let (runs, charts) = try runs(db, id: id)
        let report = try report(db, id: id, name: name)
        let sections: [Page.Section] = [
            .markup(Widgets.stateLegend, live: false),
            .table(progress, live: true),
            .table(try failedJobsTable(db, id: id), live: true),
            .markup(spec, live: false),
            .markup(curves(report, id: id), live: true),
            .table(try gainTable(db, id: id), live: true),
            .table(try verdictTable(db, id: id), live: true),
            .table(protocolGainTable(report.protocolGains), live: true),
            .table(try labelEfficiencyTable(db, id: id), live: true),
            .table(budgetTable(report.budgets), live: true),
            .table(runs, live: true),
            .markup(charts, live: true),
        ]
        return Page(title: "Experiment \(id): \(shortened(name, to: 60))",
                    heading: "Experiment #\(id): \(shortened(name, to: 120))", area: .experiments,
                    sections: sections, live: !finished)
    }

    /// The experiment's report as `seqtwins report` reads it (primary metric, the spec's baseline and series order),
    /// read once per page for the curves, the fine-tune-against-probe and the budget tables.
    static func report(_ db: PostgresConnection, id: Int64, name: String) throws -> ExperimentReport {
        let store = ResultsStore(db)
        // A spec that no longer decodes (an older build's) still draws, by its name and the database's order.
        let spec = try? store.resolvedSpec(experiment: id)
        return try store.report(experiment: id, name: spec?.name ?? shortened(name, to: 60),
                                methodOrder: spec.map { ExperimentPlan.series(of: $0) } ?? [])
    }

    /// The report's label-efficiency curves (``ExperimentReport/svg(options:)``): one panel per task and protocol.
    static func curves(_ report: ExperimentReport, id: Int64) -> Markup {
        guard !report.labelEfficiency.isEmpty else {
            return "<h2>Label-efficiency curves</h2><p class=\"empty\">No evaluation results yet.</p>"
        }
        var options = SVGOptions()
        options.columns = 3
        var svg = report.svg(options: options)
        if let start = svg.range(of: "<svg") { svg = String(svg[start.lowerBound...]) }
        // The SVG escapes every value it draws (ExperimentReport.xmlEscape), so it is inlined as it is.
        return """
            <h2>Label-efficiency curves</h2>
            <figure class="curves">\(Markup(trustedHTML: svg))<figcaption>Mean test \(report.metric.title) against \
            labelled users (log scale) over seeds, ±1 sd; one panel per task and protocol; the dotted grey line is the \
            majority class. The curves of <code>seqtwins report \(id) --svg FILE</code>.</figcaption></figure>
            """
    }

    /// `seqtwins.label_efficiency` for one experiment.
    static func labelEfficiencyTable(_ db: PostgresConnection, id: Int64) throws -> DataTable {
        let rows = try db.query("""
            SELECT task, protocol, method, label_fraction, labelled_n, n, mean, sd, majority_accuracy
            FROM seqtwins.label_efficiency WHERE experiment_id = \(id)
            ORDER BY task, protocol, method, label_fraction
            """)
        return DataTable(
            name: "label_efficiency", title: "Label efficiency, point by point",
            columns: [
                Column("task", "Task"), Column("protocol", "Protocol"), Column("method", "Method"),
                Column("label_fraction", "Labels", numeric: true), Column("labelled_n", "Labelled users", numeric: true),
                Column("n", "Seeds", numeric: true), Column("mean", "Mean", numeric: true),
                Column("sd", "SD", numeric: true), Column("majority_accuracy", "Majority class", numeric: true),
            ],
            rows: try rows.map { row in
                let fraction: Double = try row.decode("label_fraction")
                let labelled: Double = try row.decode("labelled_n")
                return Row([
                    .text(try row.decode("task", as: String.self)), .text(try row.decode("protocol", as: String.self)),
                    .text(try row.decode("method", as: String.self)),
                    Cell(.number(fraction), display: "\(Format.fraction(fraction))"),
                    Cell(.number(labelled), display: "\(Format.integer(Int64(labelled.rounded())))"),
                    .integer(try row.decode("n", as: Int.self)),
                    .number(try row.decode("mean", as: Double?.self)), .number(try row.decode("sd", as: Double?.self)),
                    .number(try row.decode("majority_accuracy", as: Double?.self)),
                ])
            },
            emptyMessage: "No evaluation results yet.",
            note: "Mean and SD over seeds of accuracy (macro ROC-AUC for future_categories), from seqtwins.label_efficiency.")
    }

    /// `seqtwins.method_gain` for one experiment; rows whose 95% interval excludes 0 are highlighted and marked.
    static func gainTable(_ db: PostgresConnection, id: Int64) throws -> DataTable {
        let rows = try db.query("""
            SELECT task, protocol, method, baseline, label_fraction, pairs, mean_difference, lower_95, upper_95,
                   relative_gain
            FROM seqtwins.method_gain WHERE experiment_id = \(id)
            ORDER BY task, protocol, method, label_fraction
            """)
        let baseline = try rows.first?.decode("baseline", as: String.self)
        return DataTable(
            name: "gains", title: baseline.map { "Gain over \($0)" } ?? "Gain over the baseline",
            columns: [
                Column("task", "Task"), Column("protocol", "Protocol"), Column("method", "Method"),
                Column("baseline", "Baseline", visible: false),
                Column("label_fraction", "Labels", numeric: true), Column("pairs", "Pairs", numeric: true),
                Column("mean_difference", "Difference", numeric: true),
                Column("lower_95", "95% low", numeric: true), Column("upper_95", "95% high", numeric: true),
                Column("relative_gain", "Relative", numeric: true),
                Column("excludes_zero", "Excludes 0?"),
            ],
            rows: try rows.map { row in
                let fraction: Double = try row.decode("label_fraction")
                let mean: Double = try row.decode("mean_difference")
                let lower = try row.decode("lower_95", as: Double?.self)
                let upper = try row.decode("upper_95", as: Double?.self)
                let relative = try row.decode("relative_gain", as: Double?.self)
                let above = (lower ?? 0) > 0
                let below = (upper ?? 0) < 0
                let mark: Markup = above ? "<span class=\"mark\">▲ above 0</span>"
                    : below ? "<span class=\"mark\">▼ below 0</span>" : "no"
                return Row([
                    .text(try row.decode("task", as: String.self)), .text(try row.decode("protocol", as: String.self)),
                    .text(try row.decode("method", as: String.self)), .text(try row.decode("baseline", as: String.self)),
                    Cell(.number(fraction), display: "\(Format.fraction(fraction))"),
                    .integer(try row.decode("pairs", as: Int.self)),
                    Cell(.number(mean), display: "\(Format.signed(mean))"),
                    Cell(lower.map(CellValue.number) ?? .null, display: lower.map { "\(Format.signed($0))" }),
                    Cell(upper.map(CellValue.number) ?? .null, display: upper.map { "\(Format.signed($0))" }),
                    Cell(relative.map(CellValue.number) ?? .null,
                         display: relative.map { "\(Format.signed($0 * 100, digits: 1))%" }),
                    Cell(.bool(above || below), display: mark),
                ], classes: above || below ? ["excludes-zero"] : [])
            },
            emptyMessage: "No paired results yet (gains need the baseline and a method evaluated on the same seeds).",
            note: "Mean paired per-seed difference over the baseline with its 95% t-interval, from seqtwins.method_gain. "
                + "Highlighted rows (▲/▼): the interval excludes 0.")
    }

    /// `seqtwins.verdicts` for one experiment: each method against the baseline per task, protocol and label range,
    /// pooled over seeds with Holm-adjusted intervals; rows whose adjusted interval excludes 0 are highlighted.
    static func verdictTable(_ db: PostgresConnection, id: Int64) throws -> DataTable {
        let rows = try db.query("""
            SELECT task, protocol, method, baseline, fractions, seeds, mean_difference, lower, upper, p_holm, verdict,
                   sentence
            FROM seqtwins.verdicts WHERE experiment_id = \(id)
            """)
        let baseline = try rows.first?.decode("baseline", as: String.self)
        return DataTable(
            name: "verdicts", title: baseline.map { "Verdicts against \($0)" } ?? "Verdicts against the baseline",
            columns: [
                Column("task", "Task"), Column("protocol", "Protocol"), Column("method", "Method"),
                Column("baseline", "Baseline", visible: false), Column("fractions", "Labels"),
                Column("seeds", "Seeds", numeric: true), Column("mean_difference", "Difference", numeric: true),
                Column("lower", "Holm low", numeric: true), Column("upper", "Holm high", numeric: true),
                Column("p_holm", "p (Holm)", numeric: true), Column("verdict", "Verdict"),
                Column("sentence", "Sentence", visible: false),
            ],
            rows: try rows.map { row in
                let mean: Double = try row.decode("mean_difference")
                let lower = try row.decode("lower", as: Double?.self)
                let upper = try row.decode("upper", as: Double?.self)
                let pHolm = try row.decode("p_holm", as: Double?.self)
                let shown = (lower ?? 0) > 0 || (upper ?? 0) < 0
                return Row([
                    .text(try row.decode("task", as: String.self)), .text(try row.decode("protocol", as: String.self)),
                    .text(try row.decode("method", as: String.self)), .text(try row.decode("baseline", as: String.self)),
                    .text(try row.decode("fractions", as: String.self)), .integer(try row.decode("seeds", as: Int.self)),
                    Cell(.number(mean), display: "\(Format.signed(mean))"),
                    Cell(lower.map(CellValue.number) ?? .null, display: lower.map { "\(Format.signed($0))" }),
                    Cell(upper.map(CellValue.number) ?? .null, display: upper.map { "\(Format.signed($0))" }),
                    Cell(pHolm.map(CellValue.number) ?? .null, display: pHolm.map { "\(Format.fixed($0, digits: 3))" }),
                    .text(try row.decode("verdict", as: String.self)),
                    .text(try row.decode("sentence", as: String.self)),
                ], classes: shown ? ["excludes-zero"] : [])
            },
            emptyMessage: "No verdicts yet (they need the baseline and a method evaluated on the same seeds).",
            note: "Per-seed differences averaged over each label range (≤5%, 5-50%, ≥50%), paired over seeds, from "
                + "seqtwins.verdicts; intervals and p-values Holm-adjusted over the rows shown. Highlighted rows: the "
                + "adjusted interval excludes 0.")
    }

    /// The experiment's runs (one trained encoder per series and seed) and, per run, small line charts of its
    /// pretraining metrics (`seqtwins.metrics`, at most 200 points per metric).
    static func runs(_ db: PostgresConnection, id: Int64) throws -> (DataTable, Markup) {
        let rows = try db.query("""
            SELECT r.id, r.series, r.method, r.seed, r.pretrain_job_id, j.state AS pretrain_state, j.progress,
                   (SELECT max(m.epoch) FROM seqtwins.metrics m WHERE m.run_id = r.id) AS last_epoch,
                   (SELECT m.value FROM seqtwins.metrics m WHERE m.run_id = r.id AND m.name = 'loss'
                    ORDER BY m.step DESC LIMIT 1) AS last_loss
            FROM seqtwins.runs r LEFT JOIN seqtwins.jobs j ON j.id = r.pretrain_job_id
            WHERE r.experiment_id = \(id)
            ORDER BY r.id
            """)
        let points = try db.query("""
            SELECT run_id, name, step, value FROM (
                SELECT m.run_id, m.name, m.step, m.value,
                       row_number() OVER (PARTITION BY m.run_id, m.name ORDER BY m.step) AS i,
                       count(*) OVER (PARTITION BY m.run_id, m.name) AS n
                FROM seqtwins.metrics m JOIN seqtwins.runs r ON r.id = m.run_id
                WHERE r.experiment_id = \(id)) t
            WHERE n <= 200 OR i = 1 OR i = n OR i % ceil(n / 200.0)::bigint = 0
            ORDER BY run_id, name, step
            """)
        var series: [Int64: [String: [(step: Double, value: Double)]]] = [:]
        var metricNames: [String] = []
        for point in points {
            let run: Int64 = try point.decode("run_id")
            let name: String = try point.decode("name")
            if !metricNames.contains(name) { metricNames.append(name) }
            series[run, default: [:]][name, default: []].append(
                (Double(try point.decode("step", as: Int64.self)), try point.decode("value", as: Double.self)))
        }
        // Loss first, then the rest by name; one colour per metric across every run.
        metricNames.sort { ($0 == "loss" ? 0 : 1, $0) < ($1 == "loss" ? 0 : 1, $1) }
        var cards: [Markup] = []
        let table = DataTable(
            name: "runs", title: "Runs",
            columns: [
                Column("run_id", "Run", numeric: true), Column("series", "Series"), Column("method", "Method"),
                Column("seed", "Seed", numeric: true), Column("pretrain_job_id", "Pretrain job", numeric: true),
                Column("pretrain_state", "State"), Column("pretrain_progress", "Progress"),
                Column("last_epoch", "Epochs recorded", numeric: true), Column("last_loss", "Last loss", numeric: true),
            ],
            rows: try rows.map { row in
                let run: Int64 = try row.decode("id")
                let seriesName: String = try row.decode("series")
                let seed: Int = try row.decode("seed")
                let state = try row.decode("pretrain_state", as: String?.self)
                let progress = try row.decode("progress", as: Double?.self)
                if let metrics = series[run] {
                    let charts = metricNames.enumerated().compactMap { index, metric -> Markup? in
                        guard let values = metrics[metric] else { return nil }
                        let colour = Widgets.chartColours[index % Widgets.chartColours.count]
                        return Widgets.lineChart(title: metric, points: values, colour: colour)
                    }
                    cards.append("""
                        <section class="run" aria-label="run \(run)"><h3>Run \(run): \(shortened(seriesName, to: 80)), \
                        seed \(seed)</h3><div class="charts">\(charts)</div></section>
                        """)
                }
                return Row([
                    .integer(run), .text(seriesName), .text(try row.decode("method", as: String.self)), .integer(seed),
                    .integer(try row.decode("pretrain_job_id", as: Int64?.self),
                             link: (try row.decode("pretrain_job_id", as: Int64?.self)).map { "/jobs/\($0)" }),
                    Cell(state.map(CellValue.text) ?? .null, display: state.map(Widgets.state)),
                    Cell(progress.map(CellValue.number) ?? .null, display: progress.map { Widgets.progress($0) }),
                    .integer(try row.decode("last_epoch", as: Int?.self)),
                    .number(try row.decode("last_loss", as: Double?.self), digits: 4),
                ])
            },
            emptyMessage: "No runs yet: the plan job creates them.")
        let charts: Markup = cards.isEmpty
            ? "<h2>Pretraining curves</h2><p class=\"empty\">No training metrics yet.</p>"
            : "<h2>Pretraining curves</h2><div class=\"runs\">\(cards)</div>"
        return (table, charts)
    }

    /// The experiment's failed jobs with their last errors.
    static func failedJobsTable(_ db: PostgresConnection, id: Int64) throws -> DataTable {
        let rows = try db.query("""
            SELECT id, kind, key, attempts, max_attempts, extract(epoch FROM finished_at)::float8 AS finished_at,
                   last_error
            FROM seqtwins.jobs WHERE experiment_id = \(id) AND state = 'failed' ORDER BY id
            """)
        return DataTable(
            name: "failed_jobs", title: "Failed jobs",
            columns: [
                Column("id", "Job", numeric: true), Column("kind", "Kind"), Column("key", "Key"),
                Column("attempts", "Attempts", numeric: true), Column("max_attempts", "Max", numeric: true),
                Column("finished_at", "Failed at"), Column("last_error", "Last error"),
            ],
            rows: try rows.map { row in
                let job: Int64 = try row.decode("id")
                return Row([
                    .integer(job, link: "/jobs/\(job)"), .text(try row.decode("kind", as: String.self)),
                    .text(try row.decode("key", as: String?.self)), .integer(try row.decode("attempts", as: Int.self)),
                    .integer(try row.decode("max_attempts", as: Int.self)),
                    .time(try row.decode("finished_at", as: Double?.self)),
                    .longText(try row.decode("last_error", as: String?.self)),
                ])
            },
            emptyMessage: "No failed jobs.")
    }
}
