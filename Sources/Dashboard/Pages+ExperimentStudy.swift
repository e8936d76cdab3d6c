import Foundation
import Postgres

extension Pages {
    /// What each pretrained series did, mean over its seeds (`seqtwins.run_budgets`): optimiser steps, examples seen,
    /// seconds of pretraining, as `seqtwins report` tabulates them.
    static func budgetTable(_ db: PostgresConnection, id: Int64) throws -> DataTable {
        let rows = try db.query("""
            SELECT series, count(*)::integer AS runs, avg(steps ORDER BY seed) AS steps,
                   avg(examples ORDER BY seed) AS examples, avg(seconds ORDER BY seed) AS seconds
            FROM seqtwins.run_budgets
            WHERE experiment_id = \(id) AND steps IS NOT NULL
            GROUP BY series ORDER BY series
            """)
        return DataTable(
            name: "budgets", title: "Pretraining budgets",
            columns: [
                Column("series", "Series"), Column("runs", "Seeds", numeric: true),
                Column("steps", "Steps", numeric: true), Column("examples", "Examples", numeric: true),
                Column("seconds", "Seconds", numeric: true),
            ],
            rows: try rows.map { row in
                let steps: Double = try row.decode("steps")
                let examples: Double = try row.decode("examples")
                let seconds: Double = try row.decode("seconds")
                return Row([
                    .text(try row.decode("series", as: String.self)), .integer(try row.decode("runs", as: Int.self)),
                    Cell(.number(steps), display: "\(Format.short(steps))"),
                    Cell(.number(examples), display: "\(Format.short(examples))"),
                    Cell(.number(seconds), display: "\(Format.duration(seconds))"),
                ])
            },
            emptyMessage: "No pretraining has finished yet (methods without pretraining have no budget).",
            note: "Optimiser steps, examples seen and wall seconds of pretraining, mean over seeds, from "
                + "seqtwins.run_budgets; a spec's methods[].budget caps them (steps, examples or seconds).")
    }

    /// Fine-tuning against the linear probe of the same encoder, paired by seed
    /// (`seqtwins.protocol_gain_of(id, 'primary')`); rows whose 95% interval excludes 0 are highlighted.
    static func protocolGainTable(_ db: PostgresConnection, id: Int64) throws -> DataTable {
        let rows = try db.query("""
            SELECT method, task, label_fraction, pairs, probe_mean, fine_tune_mean, mean_difference, lower_95, upper_95
            FROM seqtwins.protocol_gain_of(\(id), 'primary')
            ORDER BY task, method, label_fraction
            """)
        return DataTable(
            name: "protocol_gains", title: "Fine-tuning against the linear probe",
            columns: [
                Column("task", "Task"), Column("method", "Method"), Column("label_fraction", "Labels", numeric: true),
                Column("pairs", "Pairs", numeric: true), Column("probe_mean", "Probe", numeric: true),
                Column("fine_tune_mean", "Fine-tune", numeric: true),
                Column("mean_difference", "Difference", numeric: true),
                Column("lower_95", "95% low", numeric: true), Column("upper_95", "95% high", numeric: true),
            ],
            rows: try rows.map { row in
                let fraction: Double = try row.decode("label_fraction")
                let probe: Double = try row.decode("probe_mean")
                let fineTune: Double = try row.decode("fine_tune_mean")
                let mean: Double = try row.decode("mean_difference")
                let lower = try row.decode("lower_95", as: Double?.self)
                let upper = try row.decode("upper_95", as: Double?.self)
                let excludesZero = (lower ?? 0) > 0 || (upper ?? 0) < 0
                return Row([
                    .text(try row.decode("task", as: String.self)), .text(try row.decode("method", as: String.self)),
                    Cell(.number(fraction), display: "\(Format.fraction(fraction))"),
                    .integer(try row.decode("pairs", as: Int.self)),
                    Cell(.number(probe), display: "\(Format.fixed(probe))"),
                    Cell(.number(fineTune), display: "\(Format.fixed(fineTune))"),
                    Cell(.number(mean), display: "\(Format.signed(mean))"),
                    Cell(lower.map(CellValue.number) ?? .null, display: lower.map { "\(Format.signed($0))" }),
                    Cell(upper.map(CellValue.number) ?? .null, display: upper.map { "\(Format.signed($0))" }),
                ], classes: excludesZero ? ["excludes-zero"] : [])
            },
            emptyMessage: "No series has both protocols' results on the same seeds yet.",
            note: "Mean per-seed difference fine_tune − linear_probe of the same encoder with its 95% t-interval, from "
                + "seqtwins.protocol_gain_of. Highlighted rows: the interval excludes 0.")
    }
}
