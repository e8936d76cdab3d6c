import Experiments

extension Pages {
    /// What each pretrained series did, mean over its seeds (the report's `budgets`, from `seqtwins.run_budgets`):
    /// optimiser steps, examples seen, seconds of pretraining, as `seqtwins report` tabulates them.
    static func budgetTable(_ budgets: [BudgetRow]) -> DataTable {
        DataTable(
            name: "budgets", title: "Pretraining budgets",
            columns: [
                Column("series", "Series"), Column("runs", "Seeds", numeric: true),
                Column("steps", "Steps", numeric: true), Column("examples", "Examples", numeric: true),
                Column("seconds", "Seconds", numeric: true),
            ],
            rows: budgets.map { row in
                Row([
                    .text(row.series), .integer(row.runs),
                    Cell(.number(row.steps), display: "\(Format.short(row.steps))"),
                    Cell(.number(row.examples), display: "\(Format.short(row.examples))"),
                    Cell(.number(row.seconds), display: "\(Format.duration(row.seconds))"),
                ])
            },
            emptyMessage: "No pretraining has finished yet (methods without pretraining have no budget).",
            note: "Optimiser steps, examples seen and wall seconds of pretraining, mean over seeds, from "
                + "seqtwins.run_budgets; a spec's methods[].budget sets them in steps or examples instead of epochs.")
    }

    /// Fine-tuning against the linear probe of the same encoder, paired by seed (the report's `protocolGains`, from
    /// `seqtwins.protocol_gain_of`); rows whose 95% interval excludes 0 are highlighted.
    static func protocolGainTable(_ gains: [ProtocolGainRow]) -> DataTable {
        DataTable(
            name: "protocol_gains", title: "Fine-tuning against the linear probe",
            columns: [
                Column("task", "Task"), Column("method", "Method"), Column("label_fraction", "Labels", numeric: true),
                Column("pairs", "Pairs", numeric: true), Column("probe_mean", "Probe", numeric: true),
                Column("fine_tune_mean", "Fine-tune", numeric: true),
                Column("mean_difference", "Difference", numeric: true),
                Column("lower_95", "95% low", numeric: true), Column("upper_95", "95% high", numeric: true),
            ],
            rows: gains.map { row in
                let excludesZero = (row.lower95 ?? 0) > 0 || (row.upper95 ?? 0) < 0
                return Row([
                    .text(row.task), .text(row.method),
                    Cell(.number(row.fraction), display: "\(Format.fraction(row.fraction))"),
                    .integer(row.pairs),
                    Cell(.number(row.probeMean), display: "\(Format.fixed(row.probeMean))"),
                    Cell(.number(row.fineTuneMean), display: "\(Format.fixed(row.fineTuneMean))"),
                    Cell(.number(row.meanDifference), display: "\(Format.signed(row.meanDifference))"),
                    Cell(row.lower95.map(CellValue.number) ?? .null, display: row.lower95.map { "\(Format.signed($0))" }),
                    Cell(row.upper95.map(CellValue.number) ?? .null, display: row.upper95.map { "\(Format.signed($0))" }),
                ], classes: excludesZero ? ["excludes-zero"] : [])
            },
            emptyMessage: "No series has both protocols' results on the same seeds yet.",
            note: "Mean per-seed difference fine_tune − linear_probe of the same encoder with its 95% t-interval, from "
                + "seqtwins.protocol_gain_of. Highlighted rows: the interval excludes 0.")
    }
}
