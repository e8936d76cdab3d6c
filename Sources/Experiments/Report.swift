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

    /// The metric's value in `row`, if it has one.
    public func value(in row: ResultRow) -> Double? {
        switch self {
        case .primary: row.accuracy ?? row.rocAUC
        case .accuracy: row.accuracy
        case .balancedAccuracy: row.balancedAccuracy
        case .macroF1: row.macroF1
        case .rocAUC: row.rocAUC
        }
    }

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

/// The tables of `seqtwins report`: label efficiency (mean ± sd over seeds) and gains over a baseline
/// (paired per seed, with 95% intervals), in a stable order: task, protocol, method, fraction.
public struct ExperimentReport: Sendable, Equatable, Codable {
    /// The experiment's name, for titles.
    public var experiment: String
    /// The metric tabulated.
    public var metric: ReportMetric
    /// The baseline series of the gain table, if any.
    public var baseline: String?
    /// The label-efficiency table.
    public var labelEfficiency: [LabelEfficiencyRow]
    /// The gain table (empty without a baseline).
    public var gains: [GainRow]
    /// Fine-tuning against the linear probe of the same encoder, paired by seed (series with both protocols).
    public var protocolGains: [ProtocolGainRow] = []
    /// The `eval_every` training curves (set from the stored metrics; empty when no method asked for them).
    public var probeCurves: [ProbeCurveRow] = []

    enum CodingKeys: String, CodingKey {
        case experiment, metric, baseline
        case labelEfficiency = "label_efficiency"
        case gains
        case protocolGains = "protocol_gains"
        case probeCurves = "probe_curves"
    }

    /// Builds both tables for the experiment of `spec`: series in plan order (methods, then sweep values) and
    /// `baseline` (a series label; default the spec's baseline (a swept baseline has no single series, so gains are then only against an unswept one).
    public init(spec: ExperimentSpec, rows: [ResultRow], metric: ReportMetric = .primary, baseline: String? = nil) {
        let order = (try? ExperimentPlan(spec: spec).summary.series.map(\.series)) ?? spec.methods.map(\.label)
        self.init(experiment: spec.name, rows: rows, metric: metric, baseline: baseline ?? spec.baseline,
                  methodOrder: order)
    }

    /// Builds both tables from result rows.
    /// - Parameters:
    ///   - rows: one row per series, task, protocol, fraction and seed (a later duplicate replaces an earlier one).
    ///   - metric: the metric to tabulate; default ``ReportMetric/primary``.
    ///   - baseline: the series to compare against; `nil` for no gain table.
    ///   - methodOrder: the order of series; default their first appearance in `rows`.
    public init(
        experiment: String, rows: [ResultRow], metric: ReportMetric = .primary, baseline: String? = nil,
        methodOrder: [String]? = nil
    ) {
        self.experiment = experiment
        self.metric = metric
        self.baseline = baseline
        func firstAppearance(_ values: [String]) -> [String] {
            var seen = Set<String>()
            return values.filter { seen.insert($0).inserted }
        }
        let methods = firstAppearance((methodOrder ?? []) + rows.map(\.method))
        let tasks = firstAppearance(rows.map(\.task))
        let protocols = firstAppearance(rows.map(\.evaluationProtocol))
        let fractions = Set(rows.map(\.fraction)).sorted()

        struct Cell: Hashable {
            var method: String, task: String, evaluationProtocol: String, fraction: Double
        }
        var bySeed: [Cell: [Int: ResultRow]] = [:]
        for row in rows {
            let cell = Cell(
                method: row.method, task: row.task, evaluationProtocol: row.evaluationProtocol,
                fraction: row.fraction)
            bySeed[cell, default: [:]][row.seed] = row
        }
        var efficiency: [LabelEfficiencyRow] = []
        var gains: [GainRow] = []
        for task in tasks {
            for evaluationProtocol in protocols {
                for method in methods {
                    for fraction in fractions {
                        let cell = Cell(
                            method: method, task: task, evaluationProtocol: evaluationProtocol,
                            fraction: fraction)
                        guard let seeds = bySeed[cell] else { continue }
                        let ordered = seeds.keys.sorted().map { seeds[$0]! }
                        let values = ordered.compactMap { metric.value(in: $0) }
                        guard let mean = Stats.mean(values) else { continue }
                        efficiency.append(
                            LabelEfficiencyRow(
                                method: method, task: task, evaluationProtocol: evaluationProtocol, fraction: fraction,
                                labelledN: Stats.mean(ordered.map { Double($0.labelledN) }) ?? 0, n: values.count,
                                mean: mean, sd: Stats.sampleStandardDeviation(values),
                                majorityAccuracy: Stats.mean(ordered.compactMap(\.majorityAccuracy))))
                        guard let baseline, method != baseline else { continue }
                        let baseCell = Cell(
                            method: baseline, task: task, evaluationProtocol: evaluationProtocol,
                            fraction: fraction)
                        guard let baseSeeds = bySeed[baseCell] else { continue }
                        var a: [Double] = []
                        var b: [Double] = []
                        for seed in seeds.keys.sorted() {
                            if let x = metric.value(in: seeds[seed]!), let y = baseSeeds[seed].flatMap(metric.value) {
                                a.append(x)
                                b.append(y)
                            }
                        }
                        guard let paired = Stats.pairedDifference(a, baseline: b) else { continue }
                        gains.append(
                            GainRow(
                                method: method, baseline: baseline, task: task, evaluationProtocol: evaluationProtocol,
                                fraction: fraction, pairs: paired.count, meanDifference: paired.meanDifference,
                                lower95: paired.lower95, upper95: paired.upper95, relativeGain: paired.relativeGain))
                    }
                }
            }
        }
        labelEfficiency = efficiency
        self.gains = gains
        protocolGains = Self.protocolGains(rows, metric: metric, methods: methods, tasks: tasks)
    }
}
