import Experiments
import Foundation
import Postgres
import SeqTwinsTestSupport

/// The sweep point a series name carries: `bt[batch_size=32,lambda=0.5]` → batch_size 32, lambda 0.5.
func sweepPoints(ofSeries series: String) -> [SweepPoint] {
    guard let open = series.firstIndex(of: "["), series.hasSuffix("]") else { return [] }
    return series[series.index(after: open)..<series.index(before: series.endIndex)].split(separator: ",")
        .compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let value = Double(parts[1]) else { return nil }
            return SweepPoint(parameter: String(parts[0]), value: value)
        }
}

/// Stores `rows` (one run per series and seed, the sweep point read from the series name) as the evaluate jobs
/// would, in `store`'s database, under a new experiment; returns its id.
func storeResults(_ rows: [ResultRow], in store: ResultsStore, name: String = "demo") throws -> Int64 {
    let experiment = try store.enqueueExperiment(specJSON: #"{"name": "\#(name)"}"#)
    var runs: [String: Int64] = [:]
    for row in rows {
        let key = "\(row.method)\u{0}\(row.seed)"
        let run: Int64
        if let known = runs[key] {
            run = known
        } else {
            run = try store.ensureRun(
                experiment: experiment, series: row.method, method: row.method, seed: row.seed, sweepParameter: nil,
                sweepValue: nil, params: PostgresJSON(text: "{}"), pretrainJob: nil,
                points: sweepPoints(ofSeries: row.method))
            runs[key] = run
        }
        try store.writeEvaluation(EvaluationRecord(
            run: run, task: row.task, evaluationProtocol: row.evaluationProtocol, fraction: row.fraction,
            labelledN: row.labelledN, validationN: nil, testN: 100, accuracy: row.accuracy,
            balancedAccuracy: row.balancedAccuracy, macroF1: row.macroF1, rocAUC: row.rocAUC,
            majorityAccuracy: row.majorityAccuracy, job: nil))
    }
    return experiment
}

/// The report of `rows` as `seqtwins report` reads it: stored in a fresh test database, every figure computed there.
func storedReport(
    _ rows: [ResultRow], experiment name: String = "demo", metric: ReportMetric = .primary, baseline: String? = nil,
    methodOrder: [String] = []
) throws -> ExperimentReport {
    let database = try TestDatabase(suite: "report")
    defer { database.drop() }
    let store = ResultsStore(try database.connect())
    let experiment = try storeResults(rows, in: store)
    return try store.report(experiment: experiment, name: name, metric: metric, baseline: baseline,
                            methodOrder: methodOrder)
}
