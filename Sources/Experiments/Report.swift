/// One evaluation result: one series (method, plus sweep value), task, protocol, label fraction and seed.
/// Metrics that do not apply are `nil` (accuracy for the multi-label task; ROC-AUC for multi-class tasks).
public struct ResultRow: Sendable, Equatable, Codable {
    /// The series: the method label, plus `[parameter=value]` in a sweep.
    public var method: String
    /// The task.
    public var task: String
    /// `linear_probe` or `fine_tune`.
    public var evaluationProtocol: String
    /// The label fraction in `(0, 1]`.
    public var fraction: Double
    /// The number of labelled train users actually used.
    public var labelledN: Int
    /// The experiment seed.
    public var seed: Int
    /// Test accuracy.
    public var accuracy: Double?
    /// Test balanced accuracy.
    public var balancedAccuracy: Double?
    /// Test macro-F1.
    public var macroF1: Double?
    /// Test ROC-AUC (binary tasks) or macro ROC-AUC (multi-label).
    public var rocAUC: Double?
    /// The majority-class accuracy of the same split.
    public var majorityAccuracy: Double?

    enum CodingKeys: String, CodingKey {
        case method, task
        case evaluationProtocol = "protocol"
        case fraction
        case labelledN = "labelled_n"
        case seed, accuracy
        case balancedAccuracy = "balanced_accuracy"
        case macroF1 = "macro_f1"
        case rocAUC = "roc_auc"
        case majorityAccuracy = "majority_accuracy"
    }

    /// A result row; metrics default to `nil`.
    public init(
        method: String, task: String, evaluationProtocol: String, fraction: Double, labelledN: Int, seed: Int,
        accuracy: Double? = nil, balancedAccuracy: Double? = nil, macroF1: Double? = nil, rocAUC: Double? = nil,
        majorityAccuracy: Double? = nil
    ) {
        self.method = method
        self.task = task
        self.evaluationProtocol = evaluationProtocol
        self.fraction = fraction
        self.labelledN = labelledN
        self.seed = seed
        self.accuracy = accuracy
        self.balancedAccuracy = balancedAccuracy
        self.macroF1 = macroF1
        self.rocAUC = rocAUC
        self.majorityAccuracy = majorityAccuracy
    }
}

/// Which metric a report tabulates and draws.
public enum ReportMetric: String, Sendable, Codable, CaseIterable {
    /// Accuracy where defined, else ROC-AUC (the multi-label task): the paper's headline metric.
    case primary
    /// Accuracy only.
    case accuracy
    /// Balanced accuracy.
    case balancedAccuracy = "balanced_accuracy"
    /// Macro-F1.
    case macroF1 = "macro_f1"
    /// ROC-AUC.
    case rocAUC = "roc_auc"

    /// A short column heading for text tables: `acc/auc` for ``primary``, else the raw value.
    public var columnTitle: String { self == .primary ? "acc/auc" : rawValue }

    /// The y-axis title of a panel for `task`: for ``primary``, `macro ROC-AUC` on multi-label tasks and
    /// `accuracy` elsewhere.
    public func axisTitle(task: String) -> String {
        switch self {
        case .primary: ExperimentSpec.multiLabelTasks.contains(task) ? "macro ROC-AUC" : "accuracy"
        default: title
        }
    }

    /// The name for a report of `tasks`: for ``primary``, `accuracy` when no task is multi-label, `macro ROC-AUC`
    /// when every one is, and ``title`` when both kinds are there.
    public func title(forTasks tasks: [String]) -> String {
        guard self == .primary else { return title }
        let multi = tasks.filter { ExperimentSpec.multiLabelTasks.contains($0) }.count
        return multi == 0 ? "accuracy" : multi == tasks.count ? "macro ROC-AUC" : title
    }

    /// A name for headings and axis labels.
    public var title: String {
        switch self {
        case .primary: "accuracy (ROC-AUC for multi-label)"
        case .accuracy: "accuracy"
        case .balancedAccuracy: "balanced accuracy"
        case .macroF1: "macro-F1"
        case .rocAUC: "ROC-AUC"
        }
    }
}

/// One point of a label-efficiency curve: a metric's mean and sd over seeds.
public struct LabelEfficiencyRow: Sendable, Equatable, Codable {
    /// The series.
    public var method: String
    /// The task.
    public var task: String
    /// The protocol.
    public var evaluationProtocol: String
    /// The label fraction.
    public var fraction: Double
    /// The mean labelled count over seeds (the curve's x axis).
    public var labelledN: Double
    /// The number of seeds with a value.
    public var n: Int
    /// The mean over seeds.
    public var mean: Double
    /// The sample standard deviation over seeds; `nil` for one seed.
    public var sd: Double?
    /// The mean majority-class accuracy over seeds, where reported.
    public var majorityAccuracy: Double?

    enum CodingKeys: String, CodingKey {
        case method, task
        case evaluationProtocol = "protocol"
        case fraction
        case labelledN = "labelled_n"
        case n, mean, sd
        case majorityAccuracy = "majority_accuracy"
    }
}

/// The paired gain of a series over the baseline at one task, protocol and fraction.
public struct GainRow: Sendable, Equatable, Codable {
    /// The series compared.
    public var method: String
    /// The baseline series.
    public var baseline: String
    /// The task.
    public var task: String
    /// The protocol.
    public var evaluationProtocol: String
    /// The label fraction.
    public var fraction: Double
    /// The number of seeds both have.
    public var pairs: Int
    /// The mean paired difference `mean(method − baseline)`.
    public var meanDifference: Double
    /// The lower end of its 95% t-interval; `nil` with one pair.
    public var lower95: Double?
    /// The upper end of its 95% t-interval; `nil` with one pair.
    public var upper95: Double?
    /// The relative gain `meanDifference / mean(baseline)`; `nil` when the baseline mean is 0.
    public var relativeGain: Double?

    enum CodingKeys: String, CodingKey {
        case method, baseline, task
        case evaluationProtocol = "protocol"
        case fraction, pairs
        case meanDifference = "mean_difference"
        case lower95 = "lower_95"
        case upper95 = "upper_95"
        case relativeGain = "relative_gain"
    }
}

/// A verdict: a series against the baseline on one task and protocol over one label-fraction range, pooled over
/// seeds (each seed's difference averaged over the range's fractions), with a Holm-adjusted p-value and interval
/// (`seqtwins.verdicts_of`, Migrations/0050_research.sql).
public struct VerdictRow: Sendable, Equatable, Codable {
    /// The series compared.
    public var method: String
    /// The baseline series it is paired with.
    public var baseline: String
    /// The task.
    public var task: String
    /// The protocol.
    public var evaluationProtocol: String
    /// `low` (fractions ≤ 5%), `mid` (over 5%, under 50%) or `high` (≥ 50%).
    public var fractionRange: String
    /// The fractions pooled, as people read them: `1-5%`.
    public var fractions: String
    /// The seeds paired.
    public var seeds: Int
    /// The mean over seeds of the per-seed mean difference.
    public var meanDifference: Double
    /// The sd of the per-seed differences; `nil` with one seed.
    public var sd: Double?
    /// The two-sided paired t-test's p-value; `nil` with one seed.
    public var pValue: Double?
    /// The Holm-adjusted p-value over the ``comparisons`` rows.
    public var pHolm: Double?
    /// How many rows the adjustment ran over.
    public var comparisons: Int
    /// The lower end of the Holm-adjusted interval (it excludes 0 exactly when `pHolm < 0.05`).
    public var lower: Double?
    /// The upper end of the Holm-adjusted interval.
    public var upper: Double?
    /// `no difference shown`, `<series> better` or `too few seeds`.
    public var verdict: String
    /// One plain sentence: `barlow_twins − dual_encoder on future_top_category (linear_probe), 1-5% labels: −0.4
    /// points [−1.9, +1.1], no difference shown`.
    public var sentence: String

    enum CodingKeys: String, CodingKey {
        case method, baseline, task
        case evaluationProtocol = "protocol"
        case fractionRange = "fraction_range"
        case fractions, seeds
        case meanDifference = "mean_difference"
        case sd
        case pValue = "p_value"
        case pHolm = "p_holm"
        case comparisons, lower, upper, verdict, sentence
    }
}

/// What one series' pretraining actually did, averaged over its seeds (`seqtwins.run_budgets`).
public struct BudgetRow: Sendable, Equatable, Codable {
    /// The series.
    public var series: String
    /// The runs (seeds) with figures.
    public var runs: Int
    /// Mean optimiser steps.
    public var steps: Double
    /// Mean examples seen.
    public var examples: Double
    /// Mean seconds of training.
    public var seconds: Double

    /// A series' budget figures.
    public init(series: String, runs: Int, steps: Double, examples: Double, seconds: Double) {
        self.series = series
        self.runs = runs
        self.steps = steps
        self.examples = examples
        self.seconds = seconds
    }
}

/// The tables of `seqtwins report`: label efficiency (mean ± sd over seeds), gains over a baseline (paired per
/// seed, with 95% intervals), verdicts (pooled over fraction ranges, Holm-adjusted) and the series' budgets, in a
/// stable order: task, protocol, method, fraction. Every figure is computed in the database
/// (Migrations/0050_research.sql) and read by ``ResultsStore/report(experiment:name:metric:baseline:methodOrder:)``,
/// so the report and the SQL views cannot disagree.
public struct ExperimentReport: Sendable, Equatable, Codable {
    /// The experiment's name, for titles.
    public var experiment: String
    /// The metric tabulated.
    public var metric: ReportMetric
    /// The baseline of the gain table, if any (a method label or a series).
    public var baseline: String?
    /// The label-efficiency table.
    public var labelEfficiency: [LabelEfficiencyRow]
    /// The gain table (empty without a baseline).
    public var gains: [GainRow]
    /// The verdicts (empty without a baseline).
    public var verdicts: [VerdictRow]
    /// The budgets of the pretrained series.
    public var budgets: [BudgetRow]
    /// Fine-tuning against the linear probe of the same encoder, paired by seed (series with both protocols).
    public var protocolGains: [ProtocolGainRow] = []
    /// The `eval_every` training curves (set from the stored metrics; empty when no method asked for them).
    public var probeCurves: [ProbeCurveRow] = []

    enum CodingKeys: String, CodingKey {
        case experiment, metric, baseline
        case labelEfficiency = "label_efficiency"
        case gains, verdicts, budgets
        case protocolGains = "protocol_gains"
        case probeCurves = "probe_curves"
    }

    /// A report of the given tables, ordered by task (first appearance), protocol (`linear_probe`, `fine_tune`),
    /// series in `methodOrder` (series it does not list after, in first appearance), then fraction.
    public init(
        experiment: String, metric: ReportMetric = .primary, baseline: String? = nil,
        labelEfficiency: [LabelEfficiencyRow], gains: [GainRow] = [], verdicts: [VerdictRow] = [],
        budgets: [BudgetRow] = [], methodOrder: [String] = []
    ) {
        func ranks(_ values: [String]) -> [String: Int] {
            var rank: [String: Int] = [:]
            for value in values where rank[value] == nil { rank[value] = rank.count }
            return rank
        }
        let tasks = ranks(labelEfficiency.map(\.task) + gains.map(\.task) + verdicts.map(\.task))
        let protocols = ranks(ExperimentSpec.protocolNames + labelEfficiency.map(\.evaluationProtocol))
        let methods = ranks(methodOrder + labelEfficiency.map(\.method) + gains.map(\.method)
                            + verdicts.map(\.method) + budgets.map(\.series))
        func key(_ task: String, _ evaluationProtocol: String, _ method: String) -> [Int] {
            [tasks[task] ?? 0, protocols[evaluationProtocol] ?? 0, methods[method] ?? 0]
        }
        let ranges = ["low": 0, "mid": 1, "high": 2]
        self.experiment = experiment
        self.metric = metric
        self.baseline = baseline
        self.labelEfficiency = labelEfficiency.sorted {
            precedes((key($0.task, $0.evaluationProtocol, $0.method), $0.fraction),
                     (key($1.task, $1.evaluationProtocol, $1.method), $1.fraction))
        }
        self.gains = gains.sorted {
            precedes((key($0.task, $0.evaluationProtocol, $0.method), $0.fraction),
                     (key($1.task, $1.evaluationProtocol, $1.method), $1.fraction))
        }
        self.verdicts = verdicts.sorted {
            precedes((key($0.task, $0.evaluationProtocol, $0.method), ranges[$0.fractionRange] ?? 3),
                     (key($1.task, $1.evaluationProtocol, $1.method), ranges[$1.fractionRange] ?? 3))
        }
        self.budgets = budgets.sorted { (methods[$0.series] ?? 0) < (methods[$1.series] ?? 0) }
    }
}

/// Orders integer keys lexicographically, then by a second component.
private func precedes<T: Comparable>(_ lhs: ([Int], T), _ rhs: ([Int], T)) -> Bool {
    if lhs.0 != rhs.0 { return lhs.0.lexicographicallyPrecedes(rhs.0) }
    return lhs.1 < rhs.1
}
