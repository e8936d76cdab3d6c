import Experiments
import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

/// The one statistics path in SQL: exact t, gains paired at the same sweep point, verdicts with Holm.
@Suite("Statistics in SQL", .enabled(if: TestDatabase.isAvailable))
final class SQLStatisticsTests {
    let database: TestDatabase
    let db: PostgresConnection
    let store: ResultsStore

    init() throws {
        database = try TestDatabase(suite: "statistics")
        db = try database.connect()
        store = ResultsStore(db)
    }

    deinit { database.drop() }

    private func scalar(_ sql: SQL) throws -> Double {
        try #require(try db.queryOne(sql)).decode("v")
    }

    @Test func theTDistributionIsExact() throws {
        // Reference quantiles t(0.975, df) (R's qt).
        for (df, expected) in [(1, 12.706204736174698), (2, 4.302652729749464), (4, 2.7764451051977934),
                               (9, 2.2621571627982053), (30, 2.0422724563012373), (200, 1.9718962236316089)] {
            let quantile = try scalar("SELECT seqtwins.t_quantile(0.975, \(Int32(df))) AS v")
            #expect(abs(quantile - expected) < 1e-9, "df \(df): \(quantile)")
            #expect(abs(try scalar("SELECT seqtwins.t_critical_95(\(Int32(df))) AS v") - expected) < 1e-9)
        }
        #expect(try scalar("SELECT seqtwins.t_cdf(1, 1) AS v") == 0.75)
        #expect(abs(try scalar("SELECT seqtwins.t_cdf(-2, 7) AS v") - 0.042809664281487) < 1e-12)
        #expect(abs(try scalar("SELECT seqtwins.t_cdf(0, 6) AS v") - 0.5) < 1e-15)
    }

    @Test func thePrimaryScoreIsAccuracyElseROCAUCForEveryTask() throws {
        #expect(try scalar("SELECT seqtwins.primary_score('gender', 0.6, 0.7) AS v") == 0.6)
        #expect(try scalar("SELECT seqtwins.primary_score('future_categories', NULL, 0.7) AS v") == 0.7)
        #expect(try scalar("SELECT seqtwins.metric_score('macro_f1', 'gender', 0.6, 0.5, 0.4, 0.7) AS v") == 0.4)
    }

    /// The problem of issue 14: both methods swept over batch_size, baseline the dual encoder's label.
    @Test func aSweptBaselinePairsAtTheSameSweepPoint() throws {
        var rows: [ResultRow] = []
        for seed in 0..<3 {
            for batch in [32, 64] {
                for (label, base) in [("barlow_twins", 0.52), ("dual_encoder", 0.50)] {
                    for fraction in [0.01, 0.1, 1.0] {
                        rows.append(ResultRow(
                            method: "\(label)[batch_size=\(batch)]", task: "next_category",
                            evaluationProtocol: "linear_probe", fraction: fraction, labelledN: 10, seed: seed,
                            accuracy: base + Double(batch) / 1000 + fraction / 10 + 0.01 * Double(seed)
                                + (label == "barlow_twins" ? 0.002 * Double(seed * seed) : 0)))
                    }
                }
            }
        }
        let experiment = try storeResults(rows, in: store)
        try db.execute("""
            UPDATE seqtwins.experiments SET resolved_spec = '{"baseline": "dual_encoder"}' WHERE id = \(experiment)
            """)
        let gains = try db.query("""
            SELECT method, baseline, pairs, mean_difference FROM seqtwins.method_gain
            WHERE experiment_id = \(experiment) ORDER BY method, label_fraction
            """)
        #expect(gains.count == 2 * 3)
        for row in gains {
            let method: String = try row.decode("method")
            let baseline: String = try row.decode("baseline")
            #expect(baseline == method.replacingOccurrences(of: "barlow_twins", with: "dual_encoder"))
            #expect(try row.decode("pairs", as: Int.self) == 3)
            // 0.02 plus the seeds' 0, 0.002, 0.008: mean 0.02 + 0.01 / 3.
            #expect(abs(try row.decode("mean_difference", as: Double.self) - (0.02 + 0.01 / 3)) < 1e-12)
        }
        // One series as the baseline: everything else against it, the other dual encoder too.
        let fixed = try store.report(experiment: experiment, name: "x", baseline: "dual_encoder[batch_size=32]")
        #expect(Set(fixed.gains.map(\.method)) == [
            "barlow_twins[batch_size=32]", "barlow_twins[batch_size=64]", "dual_encoder[batch_size=64]",
        ])
        #expect(fixed.gains.allSatisfy { $0.baseline == "dual_encoder[batch_size=32]" })
        let sql = try db.query("""
            SELECT method FROM seqtwins.method_gain_over(\(experiment), 'dual_encoder[batch_size=32]', 'primary')
            """)
        #expect(sql.count == fixed.gains.count)
    }

    @Test func verdictsPoolSeedsPerRangeWithHolm() throws {
        // Three ranges; bt beats de by a clear margin at low fractions only.
        var rows: [ResultRow] = []
        let noise = [0.0, 0.004, -0.003, 0.002, -0.001]
        for seed in 0..<5 {
            for fraction in [0.01, 0.05, 0.1, 0.2, 0.5, 1.0] {
                let de = 0.4 + fraction / 5 + 0.01 * Double(seed)
                let gain = fraction <= 0.05 ? 0.03 : 0.0
                rows.append(ResultRow(method: "de", task: "next_category", evaluationProtocol: "linear_probe",
                                      fraction: fraction, labelledN: 10, seed: seed, accuracy: de))
                let jitter: Double = noise[(seed + Int((fraction * 100).rounded())) % 5]
                rows.append(ResultRow(method: "bt", task: "next_category", evaluationProtocol: "linear_probe",
                                      fraction: fraction, labelledN: 10, seed: seed, accuracy: de + gain + jitter))
            }
        }
        let report = try storedReport(rows, baseline: "de")
        #expect(report.verdicts.map(\.fractions) == ["1-5%", "10-20%", "50-100%"])
        #expect(report.verdicts.map(\.fractionRange) == ["low", "mid", "high"])
        #expect(report.verdicts.allSatisfy { $0.seeds == 5 && $0.comparisons == 3 })
        let low = report.verdicts[0]
        #expect(low.verdict == "bt better")
        #expect(low.sentence.hasPrefix("bt − de on next_category (linear_probe), 1-5% labels: +3."))
        #expect(low.sentence.hasSuffix(", bt better"))
        // Holm: the smallest p is multiplied by 3, the next by 2 (never below the previous), the last by 1.
        let sorted = report.verdicts.sorted { ($0.pValue ?? 1) < ($1.pValue ?? 1) }
        let p = sorted.map { $0.pValue! }
        let holm = sorted.map { $0.pHolm! }
        #expect(abs(holm[0] - min(1, 3 * p[0])) < 1e-12)
        #expect(abs(holm[1] - min(1, max(3 * p[0], 2 * p[1]))) < 1e-12)
        #expect(abs(holm[2] - min(1, max(3 * p[0], 2 * p[1], p[2]))) < 1e-12)
        // The adjusted interval excludes 0 exactly when the adjusted p-value is below 0.05, and is wider than 95%.
        for verdict in report.verdicts {
            let excludesZero = verdict.lower! > 0 || verdict.upper! < 0
            #expect(excludesZero == (verdict.pHolm! < 0.05))
            #expect((verdict.verdict == "no difference shown") == !excludesZero)
        }
        // Each seed's difference is averaged over the range's fractions before the t-test over seeds.
        var perSeed: [Double] = []
        for seed in 0..<5 {
            let one: Double = 0.03 + noise[(seed + 1) % 5]  // fraction 0.01
            let five: Double = 0.03 + noise[(seed + 5) % 5]  // fraction 0.05
            perSeed.append((one + five) / 2)
        }
        let pooled: Double = perSeed.reduce(0, +) / 5
        #expect(abs(low.meanDifference - pooled) < 1e-12)
        let text = report.text()
        #expect(text.contains("verdicts against de"))
        #expect(text.contains(low.sentence))
        #expect(report.verdictCSV().split(separator: "\n").count == 4)
    }

    @Test func theBudgetTableReadsWhatPretrainingRecorded() throws {
        let experiment = try storeResults([
            ResultRow(method: "bt", task: "gender", evaluationProtocol: "linear_probe", fraction: 1, labelledN: 1,
                      seed: 0, accuracy: 0.5),
        ], in: store)
        for seed in 0..<2 {
            let run = try store.ensureRun(experiment: experiment, series: "bt", method: "barlow_twins", seed: seed,
                                          sweepParameter: nil, sweepValue: nil, params: PostgresJSON(text: "{}"),
                                          pretrainJob: nil)
            try store.writeMetrics(run: run, step: 100, epoch: 2, values: [
                "budget_steps": 100, "budget_examples": 6400, "budget_seconds": 2 + Double(seed),
            ])
        }
        let report = try store.report(experiment: experiment, name: "b")
        #expect(report.budgets == [BudgetRow(series: "bt", runs: 2, steps: 100, examples: 6400, seconds: 2.5)])
        #expect(report.text().contains("budgets: optimiser steps, examples seen and seconds of pretraining"))
    }
}
