import Foundation

extension ExperimentReport {
    /// Quotes a CSV field when it holds a comma, a quote or a line break (RFC 4180), doubling inner quotes.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number at full precision for CSV; empty for `nil`.
    static func csvNumber(_ value: Double?) -> String {
        guard let value else { return "" }
        return ExperimentPlan.format(value)
    }

    private static func csv(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    /// The label-efficiency table as CSV with a header line:
    /// `task,protocol,method,fraction,labelled_n,n,mean,sd,majority_accuracy`.
    public func labelEfficiencyCSV() -> String {
        Self.csv(
            header: ["task", "protocol", "method", "fraction", "labelled_n", "n", "mean", "sd", "majority_accuracy"],
            rows: labelEfficiency.map { row in
                [
                    row.task, row.evaluationProtocol, row.method, Self.csvNumber(row.fraction),
                    Self.csvNumber(row.labelledN), "\(row.n)", Self.csvNumber(row.mean), Self.csvNumber(row.sd),
                    Self.csvNumber(row.majorityAccuracy),
                ]
            })
    }

    /// The gain table as CSV with a header line:
    /// `task,protocol,method,baseline,fraction,pairs,mean_difference,lower_95,upper_95,relative_gain`.
    public func gainCSV() -> String {
        Self.csv(
            header: [
                "task", "protocol", "method", "baseline", "fraction", "pairs", "mean_difference", "lower_95",
                "upper_95", "relative_gain",
            ],
            rows: gains.map { row in
                [
                    row.task, row.evaluationProtocol, row.method, row.baseline, Self.csvNumber(row.fraction),
                    "\(row.pairs)", Self.csvNumber(row.meanDifference), Self.csvNumber(row.lower95),
                    Self.csvNumber(row.upper95), Self.csvNumber(row.relativeGain),
                ]
            })
    }

    /// The verdicts as CSV with a header line: `task,protocol,method,baseline,fraction_range,fractions,seeds,
    /// mean_difference,sd,p_value,p_holm,comparisons,lower,upper,verdict,sentence`.
    public func verdictCSV() -> String {
        Self.csv(
            header: [
                "task", "protocol", "method", "baseline", "fraction_range", "fractions", "seeds", "mean_difference",
                "sd", "p_value", "p_holm", "comparisons", "lower", "upper", "verdict", "sentence",
            ],
            rows: verdicts.map { row in
                [
                    row.task, row.evaluationProtocol, row.method, row.baseline, row.fractionRange, row.fractions,
                    "\(row.seeds)", Self.csvNumber(row.meanDifference), Self.csvNumber(row.sd),
                    Self.csvNumber(row.pValue), Self.csvNumber(row.pHolm), "\(row.comparisons)",
                    Self.csvNumber(row.lower), Self.csvNumber(row.upper), row.verdict, row.sentence,
                ]
            })
    }

    /// Fine-tuning against the linear probe of the same encoder as CSV with a header line:
    /// `task,method,fraction,pairs,probe_mean,fine_tune_mean,mean_difference,lower_95,upper_95`.
    public func protocolGainCSV() -> String {
        Self.csv(
            header: [
                "task", "method", "fraction", "pairs", "probe_mean", "fine_tune_mean", "mean_difference", "lower_95",
                "upper_95",
            ],
            rows: protocolGains.map { row in
                [
                    row.task, row.method, Self.csvNumber(row.fraction), "\(row.pairs)", Self.csvNumber(row.probeMean),
                    Self.csvNumber(row.fineTuneMean), Self.csvNumber(row.meanDifference), Self.csvNumber(row.lower95),
                    Self.csvNumber(row.upper95),
                ]
            })
    }

    /// The `eval_every` training curves as CSV with a header line: `method,metric,epoch,n,mean,sd`.
    public func probeCurveCSV() -> String {
        Self.csv(
            header: ["method", "metric", "epoch", "n", "mean", "sd"],
            rows: probeCurves.map { row in
                [row.method, row.metric, "\(row.epoch)", "\(row.n)", Self.csvNumber(row.mean), Self.csvNumber(row.sd)]
            })
    }
}
