import Postgres

extension ResultsStore {
    /// The report of an experiment, every figure read from the database's statistics
    /// (`seqtwins.label_efficiency_of`, `method_gain_over`, `verdicts_of`, `run_budgets`; Migrations/0050_research.sql).
    /// - Parameters:
    ///   - name: the experiment's name, for titles.
    ///   - metric: the metric tabulated.
    ///   - baseline: a method label (paired at the same sweep point) or a series; `nil` for no gains or verdicts.
    ///   - methodOrder: the order of series (plan order); others follow in the database's order.
    public func report(experiment: Int64, name: String, metric: ReportMetric = .primary, baseline: String? = nil,
                       methodOrder: [String] = []) throws -> ExperimentReport {
        let efficiency = try db.query("""
            SELECT method, task, protocol, label_fraction, labelled_n, n, mean, sd, majority_accuracy
            FROM seqtwins.label_efficiency_of(\(experiment), \(metric.rawValue))
            ORDER BY task, protocol, method, label_fraction
            """).map { row in
            LabelEfficiencyRow(
                method: try row.decode("method"), task: try row.decode("task"),
                evaluationProtocol: try row.decode("protocol"), fraction: try row.decode("label_fraction"),
                labelledN: try row.decode("labelled_n"), n: try row.decode("n"), mean: try row.decode("mean"),
                sd: try row.decode("sd"), majorityAccuracy: try row.decode("majority_accuracy"))
        }
        var gains: [GainRow] = []
        var verdicts: [VerdictRow] = []
        if let baseline {
            gains = try db.query("""
                SELECT method, baseline, task, protocol, label_fraction, pairs, mean_difference, lower_95, upper_95,
                       relative_gain
                FROM seqtwins.method_gain_over(\(experiment), \(baseline), \(metric.rawValue))
                ORDER BY task, protocol, method, label_fraction
                """).map { row in
                GainRow(
                    method: try row.decode("method"), baseline: try row.decode("baseline"), task: try row.decode("task"),
                    evaluationProtocol: try row.decode("protocol"), fraction: try row.decode("label_fraction"),
                    pairs: try row.decode("pairs"), meanDifference: try row.decode("mean_difference"),
                    lower95: try row.decode("lower_95"), upper95: try row.decode("upper_95"),
                    relativeGain: try row.decode("relative_gain"))
            }
            verdicts = try db.query("""
                SELECT * FROM seqtwins.verdicts_of(\(experiment), \(baseline), \(metric.rawValue))
                """).map { row in
                VerdictRow(
                    method: try row.decode("method"), baseline: try row.decode("baseline"), task: try row.decode("task"),
                    evaluationProtocol: try row.decode("protocol"), fractionRange: try row.decode("fraction_range"),
                    fractions: try row.decode("fractions"), seeds: try row.decode("seeds"),
                    meanDifference: try row.decode("mean_difference"), sd: try row.decode("sd"),
                    pValue: try row.decode("p_value"), pHolm: try row.decode("p_holm"),
                    comparisons: try row.decode("comparisons"), lower: try row.decode("lower"),
                    upper: try row.decode("upper"), verdict: try row.decode("verdict"),
                    sentence: try row.decode("sentence"))
            }
        }
        var report = ExperimentReport(experiment: name, metric: metric, baseline: baseline,
                                      labelEfficiency: efficiency, gains: gains, verdicts: verdicts,
                                      budgets: try budgets(experiment: experiment), methodOrder: methodOrder)
        let order = Self.seriesOrder(methodOrder + efficiency.map(\.method))
        report.protocolGains = try protocolGains(experiment: experiment, metric: metric)
            .sorted { ($0.task, order($0.method), $0.fraction) < ($1.task, order($1.method), $1.fraction) }
        report.probeCurves = try db.query("""
            SELECT method, metric, epoch, n, mean, sd FROM seqtwins.probe_curves_of(\(experiment))
            ORDER BY metric, epoch
            """).map { row in
            ProbeCurveRow(method: try row.decode("method"), metric: try row.decode("metric"),
                          epoch: try row.decode("epoch"), n: try row.decode("n"), mean: try row.decode("mean"),
                          sd: try row.decode("sd"))
        }.sorted { (order($0.method), $0.metric, $0.epoch) < (order($1.method), $1.metric, $1.epoch) }
        return report
    }

    /// What each pretrained series did, mean over its seeds (`seqtwins.run_budgets`), by series name.
    private func budgets(experiment: Int64) throws -> [BudgetRow] {
        try db.query("""
            SELECT series, count(*)::integer AS runs, avg(steps ORDER BY seed) AS steps,
                   avg(examples ORDER BY seed) AS examples, avg(seconds ORDER BY seed) AS seconds
            FROM seqtwins.run_budgets
            WHERE experiment_id = \(experiment) AND steps IS NOT NULL
            GROUP BY series ORDER BY series
            """).map { row in
            BudgetRow(series: try row.decode("series"), runs: try row.decode("runs"), steps: try row.decode("steps"),
                      examples: try row.decode("examples"), seconds: try row.decode("seconds"))
        }
    }

    /// Fine-tuning against the linear probe of the same encoder, paired by seed
    /// (`seqtwins.protocol_gain_of`), by task, series name and fraction.
    private func protocolGains(experiment: Int64, metric: ReportMetric) throws -> [ProtocolGainRow] {
        try db.query("""
            SELECT method, task, label_fraction, pairs, probe_mean, fine_tune_mean, mean_difference, lower_95, upper_95
            FROM seqtwins.protocol_gain_of(\(experiment), \(metric.rawValue))
            ORDER BY task, method, label_fraction
            """).map { row in
            ProtocolGainRow(
                method: try row.decode("method"), task: try row.decode("task"),
                fraction: try row.decode("label_fraction"), pairs: try row.decode("pairs"),
                probeMean: try row.decode("probe_mean"), fineTuneMean: try row.decode("fine_tune_mean"),
                meanDifference: try row.decode("mean_difference"), lower95: try row.decode("lower_95"),
                upper95: try row.decode("upper_95"))
        }
    }

    /// A sort key for series: their index in `order` (first appearance), unknown series last.
    private static func seriesOrder(_ order: [String]) -> (String) -> Int {
        var index: [String: Int] = [:]
        for series in order where index[series] == nil { index[series] = index.count }
        return { index[$0] ?? Int.max }
    }

    /// The series of an experiment that have runs, sorted (for messages naming the allowed baselines).
    public func series(experiment: Int64) throws -> [String] {
        try db.query("SELECT DISTINCT series FROM seqtwins.runs WHERE experiment_id = \(experiment) ORDER BY series")
            .map { try $0.decode("series") }
    }
}
