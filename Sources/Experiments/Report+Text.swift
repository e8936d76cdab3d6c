/// Lays out `rows` under `header` in columns padded to their widest cell; columns in `rightAligned` are
/// right-aligned (numbers), the others left-aligned. Two spaces separate columns; no trailing spaces.
func alignedTable(header: [String], rows: [[String]], rightAligned: Set<Int>) -> String {
    var widths = header.map(\.count)
    for row in rows {
        for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ cells: [String]) -> String {
        var parts: [String] = []
        for (index, cell) in cells.enumerated() {
            let padding = String(repeating: " ", count: widths[index] - cell.count)
            parts.append(rightAligned.contains(index) ? padding + cell : cell + padding)
        }
        var text = parts.joined(separator: "  ")
        while text.last == " " { text.removeLast() }
        return text
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

extension ExperimentReport {
    /// A number with `digits` decimals (`0.2346`), a leading `+` when `signed` and positive; `–` for `nil`.
    static func fixed(_ value: Double?, digits: Int = 4, signed: Bool = false) -> String {
        guard let value, value.isFinite else { return "–" }
        var scaled = (abs(value) * pow10(digits)).rounded()
        var whole = Int(scaled / pow10(digits))
        scaled -= Double(whole) * pow10(digits)
        var fraction = Int(scaled.rounded())
        if fraction >= Int(pow10(digits)) {
            whole += 1
            fraction -= Int(pow10(digits))
        }
        let fractionText = String(fraction)
        let padded = String(repeating: "0", count: max(0, digits - fractionText.count)) + fractionText
        let isZero = whole == 0 && fraction == 0
        let sign = value < 0 && !isZero ? "-" : (signed && !isZero ? "+" : "")
        return digits > 0 ? "\(sign)\(whole).\(padded)" : "\(sign)\(whole)"
    }

    private static func pow10(_ digits: Int) -> Double {
        var result = 1.0
        for _ in 0..<digits { result *= 10 }
        return result
    }

    /// A fraction as a percentage: 0.05 → `5%`, 0.005 → `0.5%`.
    static func percent(_ fraction: Double) -> String {
        let value = fraction * 100
        if abs(value - value.rounded()) < 1e-9 { return "\(Int(value.rounded()))%" }
        return "\(ExperimentPlan.format((value * 1000).rounded() / 1000))%"
    }

    /// The label-efficiency table as aligned text: task, protocol, method, fraction, labelled count, seeds,
    /// `mean ± sd` and the majority-class accuracy (`majority acc`, a reference for single-label tasks whatever the
    /// metric; blank for the multi-label task, whose mean per-category majority is no reference for a ROC-AUC).
    public func labelEfficiencyText() -> String {
        let header = [
            "task", "protocol", "method", "fraction", "labelled", "seeds", metric.columnTitle, "sd", "majority acc",
        ]
        let rows = labelEfficiency.map { row in
            [
                row.task, row.evaluationProtocol, row.method, Self.percent(row.fraction),
                "\(Int(row.labelledN.rounded()))", "\(row.n)", Self.fixed(row.mean), Self.fixed(row.sd),
                ExperimentSpec.multiLabelTasks.contains(row.task) ? "" : Self.fixed(row.majorityAccuracy),
            ]
        }
        return "label efficiency of \"\(experiment)\": \(metric.title), mean and sd over seeds\n"
            + alignedTable(header: header, rows: rows, rightAligned: [3, 4, 5, 6, 7, 8])
    }

    /// The gain table as aligned text: mean paired difference, its 95% interval and the relative gain.
    public func gainText() -> String {
        guard let baseline else { return "no baseline: no gain table" }
        let header = ["task", "protocol", "method", "fraction", "pairs", "gain", "95% interval", "relative"]
        let rows = gains.map { row in
            let interval =
                row.lower95 == nil
                ? "–"
                : "[\(Self.fixed(row.lower95, signed: true)), \(Self.fixed(row.upper95, signed: true))]"
            let relative = row.relativeGain.map { Self.fixed($0 * 100, digits: 1, signed: true) + "%" } ?? "–"
            return [
                row.task, row.evaluationProtocol, row.method, Self.percent(row.fraction), "\(row.pairs)",
                Self.fixed(row.meanDifference, signed: true), interval, relative,
            ]
        }
        return "gain over \(baseline): \(metric.title), mean paired difference over seeds\n"
            + alignedTable(header: header, rows: rows, rightAligned: [3, 4, 5, 6, 7])
    }

    /// The verdicts as aligned text, then one plain sentence per row: pooled over each label-fraction range, with
    /// Holm-adjusted p-values and intervals over the rows shown.
    public func verdictText() -> String {
        guard let baseline else { return "no baseline: no verdicts" }
        let header = ["task", "protocol", "method", "labels", "seeds", "gain", "holm interval", "p", "p holm", "verdict"]
        let rows = verdicts.map { row in
            [
                row.task, row.evaluationProtocol, row.method, row.fractions, "\(row.seeds)",
                Self.fixed(row.meanDifference, signed: true),
                row.lower == nil ? "–" : "[\(Self.fixed(row.lower, signed: true)), \(Self.fixed(row.upper, signed: true))]",
                Self.fixed(row.pValue, digits: 3), Self.fixed(row.pHolm, digits: 3), row.verdict,
            ]
        }
        let comparisons = verdicts.first?.comparisons ?? 0
        return "verdicts against \(baseline): \(metric.title), per-seed differences averaged over each label range "
            + "(≤5%, 5-50%, ≥50%), paired over seeds; Holm-adjusted over \(comparisons) comparisons\n"
            + alignedTable(header: header, rows: rows, rightAligned: [4, 5, 6, 7, 8])
            + (verdicts.isEmpty ? "" : "\n\n" + verdicts.map(\.sentence).joined(separator: "\n"))
    }

    /// The budgets as aligned text: what each pretrained series did, mean over its seeds.
    public func budgetText() -> String {
        let header = ["series", "seeds", "steps", "examples", "seconds"]
        let rows = budgets.map { row in
            [row.series, "\(row.runs)", Self.fixed(row.steps, digits: 0), Self.fixed(row.examples, digits: 0),
             Self.fixed(row.seconds, digits: 1)]
        }
        return "budgets: optimiser steps, examples seen and seconds of pretraining, mean over seeds\n"
            + alignedTable(header: header, rows: rows, rightAligned: [1, 2, 3, 4])
    }

    /// Every table as text, separated by blank lines: what `seqtwins report` prints (the verdicts with a baseline,
    /// the budgets where pretraining recorded them, fine-tune against probe and the training curves where any ran).
    public func text() -> String {
        var parts = [labelEfficiencyText(), gainText()]
        if baseline != nil { parts.append(verdictText()) }
        if !budgets.isEmpty { parts.append(budgetText()) }
        parts += [protocolGainText(), probeCurveText()].filter { !$0.isEmpty }
        return parts.joined(separator: "\n\n") + "\n"
    }
}
