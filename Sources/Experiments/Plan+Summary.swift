/// How many jobs of which kind a plan holds, overall and per series: what `seqtwins enqueue --dry-run` prints.
public struct PlanSummary: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Job counts of one series (a method label, plus its sweep value).
    public struct Series: Sendable, Equatable, Codable {
        /// The series name.
        public var series: String
        /// Its `pretrain` jobs.
        public var pretrain: Int
        /// Its `embed` jobs.
        public var embed: Int
        /// Its `evaluate` jobs.
        public var evaluate: Int
    }

    /// The experiment's name.
    public var experiment: String
    /// All jobs.
    public var total: Int
    /// Jobs per kind: `pretrain`, `embed`, `evaluate`.
    public var pretrain: Int
    /// The `embed` jobs.
    public var embed: Int
    /// The `evaluate` jobs.
    public var evaluate: Int
    /// Counts per series, in plan order.
    public var series: [Series]

    /// Counts the plan's jobs.
    public init(plan: ExperimentPlan) {
        experiment = plan.experiment
        total = plan.jobs.count
        pretrain = plan.jobs.filter { $0.kind == .pretrain }.count
        embed = plan.jobs.filter { $0.kind == .embed }.count
        evaluate = plan.jobs.filter { $0.kind == .evaluate }.count
        var order: [String] = []
        var counts: [String: Series] = [:]
        for job in plan.jobs {
            let name: String
            switch job.payload {
            case .pretrain(let payload): name = payload.series
            case .embed(let payload): name = payload.series
            case .evaluate(let payload): name = payload.series
            }
            if counts[name] == nil {
                order.append(name)
                counts[name] = Series(series: name, pretrain: 0, embed: 0, evaluate: 0)
            }
            switch job.payload {
            case .pretrain: counts[name]!.pretrain += 1
            case .embed: counts[name]!.embed += 1
            case .evaluate: counts[name]!.evaluate += 1
            }
        }
        series = order.map { counts[$0]! }
    }

    /// Aligned text:
    /// ```
    /// plan for experiment "demo": 12 jobs (pretrain 2, embed 2, evaluate 8)
    ///   series        pretrain  embed  evaluate
    ///   barlow_twins         1      1         4
    /// ```
    public var description: String {
        var lines = [
            "plan for experiment \"\(experiment)\": \(total) jobs "
                + "(pretrain \(pretrain), embed \(embed), evaluate \(evaluate))"
        ]
        let width = max(6, series.map(\.series.count).max() ?? 0)
        func pad(_ text: String, _ count: Int) -> String {
            text + String(repeating: " ", count: max(0, count - text.count))
        }
        func left(_ text: String, _ count: Int) -> String {
            String(repeating: " ", count: max(0, count - text.count)) + text
        }
        lines.append("  " + pad("series", width) + "  pretrain  embed  evaluate")
        for row in series {
            lines.append(
                "  " + pad(row.series, width) + "  " + left("\(row.pretrain)", 8) + "  "
                    + left("\(row.embed)", 5) + "  " + left("\(row.evaluate)", 8))
        }
        return lines.joined(separator: "\n")
    }
}

extension ExperimentPlan {
    /// The plan's counts per kind and series.
    public var summary: PlanSummary { PlanSummary(plan: self) }
}
