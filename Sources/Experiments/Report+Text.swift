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

    /// The tables as text, separated by blank lines: label efficiency, gains, and where there are any, fine-tune
    /// against probe and the training curves. What `seqtwins report` prints.
    public func text() -> String {
        ([labelEfficiencyText(), gainText(), protocolGainText(), probeCurveText()].filter { !$0.isEmpty })
            .joined(separator: "\n\n") + "\n"
    }
}
