import Experiments
import Foundation
import Learning
import Postgres
import SeqTwinsTestSupport
import Testing

/// The research options of issue 14: attention dropout, the fine-tune learning-rate grid and probe start, the
/// `hybrid` method, `eval_every`, and the report's fine-tune-against-probe and curve tables.
@Suite("Research options")
struct ResearchOptionsTests {
    @Test func defaultsKeepTodaysBehaviour() throws {
        let spec = try ExperimentSpec(json: specJSON())
        #expect(spec.encoder.attentionDropout == 0)
        #expect(spec.fineTune.lrGrid == nil)
        #expect(spec.fineTune.initialization == "random")
        #expect(spec.methods.map(\.name) == [.barlowTwins, .dualEncoder, .contrastive, .none, .bagOfItems])
        #expect(spec.methods.allSatisfy { $0.evalEvery == nil && $0.of == nil })
        let config = FineTuneConfig(spec: spec.fineTune, linearProbe: spec.linearProbe)
        #expect(config == FineTuneConfig())
        #expect(config.learningRates == [1e-4])
        let encoder = try EncoderConfig(spec: spec.encoder, itemCount: 10, maxLength: 50)
        #expect(encoder.attentionDropout == 0)
        // The resolved spec records the new settings, and decodes back to the same spec.
        let canonical = String(decoding: try spec.canonicalJSON(), as: UTF8.self)
        #expect(canonical.contains(#""attention_dropout" : 0"#))
        #expect(canonical.contains(#""init" : "random""#))
        #expect(try ExperimentSpec(json: canonical) == spec)
    }

    @Test func attentionDropoutIsReadAndChecked() throws {
        let spec = try ExperimentSpec(json: specJSON(#""encoder": {"attention_dropout": 0.1}"#))
        #expect(spec.encoder.attentionDropout == 0.1)
        #expect(try EncoderConfig(spec: spec.encoder, itemCount: 10, maxLength: 50).attentionDropout == Float(0.1))
        let error = try #require(specError(specJSON(#""encoder": {"attention_dropout": 1}"#)))
        #expect(error.path == "encoder.attention_dropout")
        // Checkpoint configurations written before the field existed decode with 0.
        let old = #"{"kind":"transformer","vocabulary":12,"dimension":8,"blocks":1,"heads":2,"feedForward":16,"#
            + #""dropout":0.1,"maxLength":5}"#
        #expect(try JSONDecoder().decode(EncoderConfig.self, from: Data(old.utf8)).attentionDropout == 0)
    }

    @Test func fineTuneGridAndProbeStartAreReadAndRoundTrip() throws {
        let spec = try ExperimentSpec(json: specJSON(#""fine_tune": {"lr_grid": [1e-4, 1e-3], "init": "probe"}"#))
        #expect(spec.fineTune.lrGrid == [1e-4, 1e-3])
        #expect(spec.fineTune.initialization == "probe")
        let config = FineTuneConfig(spec: spec.fineTune, linearProbe: spec.linearProbe)
        #expect(config.learningRates == [Float(1e-4), Float(1e-3)])
        #expect(config.probeInitialization == LinearProbeEvaluation.Settings(spec.linearProbe))
        #expect(try ExperimentSpec(json: String(decoding: try spec.canonicalJSON(), as: UTF8.self)) == spec)
        let both = try #require(specError(specJSON(#""fine_tune": {"lr": 1e-3, "lr_grid": [1e-4]}"#)))
        #expect(both.path == "fine_tune.lr_grid")
        #expect(both.message.contains("not both"))
        #expect(specError(specJSON(#""fine_tune": {"lr_grid": [1e-4, 1e-4]}"#))?.path == "fine_tune.lr_grid[1]")
        #expect(specError(specJSON(#""fine_tune": {"init": "warm"}"#))?.path == "fine_tune.init")
    }

    static let hybridSpec = specJSON(
        #"""
        "methods": [{"name": "hybrid", "of": "dual_encoder", "hash_buckets": 16}, {"name": "dual_encoder"},
                    {"name": "bag_of_items"}],
        "tasks": ["next_category"], "label_fractions": [0.5, 1], "seeds": 2
        """#)

    @Test func hybridNeedsAnUnsweptMethodWithAnEncoder() throws {
        let spec = try ExperimentSpec(json: Self.hybridSpec)
        #expect(spec.methods[0].of == "dual_encoder")
        #expect(spec.methods[0].hashBuckets == 16)
        #expect(!spec.methods[0].hasEncoder)
        #expect(specError(specJSON(#""methods": [{"name": "hybrid"}]"#))?.path == "methods[0].of")
        let bag = try #require(specError(specJSON(
            #""methods": [{"name": "bag_of_items"}, {"name": "hybrid", "of": "bag_of_items"}]"#)))
        #expect(bag.path == "methods[1].of")
        #expect(bag.message.contains("not a method with an encoder"))
        let swept = try #require(specError(specJSON(
            #""methods": [{"name": "none"}, {"name": "dual_encoder"}, {"name": "hybrid", "of": "dual_encoder"}], "#
                + #""sweep": {"parameter": "lr", "values": [1e-3, 1e-2]}"#)))
        #expect(swept.path == "methods[2].of")
        #expect(swept.message.contains("swept"))
        #expect(specError(specJSON(#""methods": [{"name": "hybrid", "of": "x", "epochs": 3}]"#))?.path
                    == "methods[0].epochs")
    }

    @Test func hybridIsPlannedAfterItsEncoderAndProbedOnly() throws {
        let plan = try ExperimentPlan(spec: ExperimentSpec(json: Self.hybridSpec))
        var seen = Set<String>()
        for job in plan.jobs {
            #expect(job.dependencies.allSatisfy(seen.contains), "\(job.key) depends on a later job")
            seen.insert(job.key)
        }
        #expect(plan.summary.series.map(\.series) == ["dual_encoder", "bag_of_items", "hybrid"])
        let embed = try #require(plan.job("embed/hybrid/seed=1"))
        #expect(embed.dependencies == ["pretrain/hybrid/seed=1", "pretrain/dual_encoder/seed=1"])
        guard case .embed(let payload) = embed.payload else { Issue.record("not an embed job"); return }
        #expect(payload.encoderSeries == "dual_encoder")
        #expect(payload.encoderPretrainKey == "pretrain/dual_encoder/seed=1")
        let hybridEvaluations = plan.jobs.filter { $0.key.hasPrefix("evaluate/hybrid/") }
        #expect(hybridEvaluations.count == 2 * 2)  // seeds × fractions, linear_probe only
        #expect(hybridEvaluations.allSatisfy { $0.key.contains("/linear_probe/") })
        // Other methods' embed payloads are unchanged (no encoder fields).
        let other = try #require(plan.job("embed/dual_encoder/seed=0"))
        guard case .embed(let plain) = other.payload else { Issue.record("not an embed job"); return }
        #expect(plain.encoderSeries == nil)
        #expect(!String(decoding: try JSONEncoder().encode(plain), as: UTF8.self).contains("encoder_series"))
    }

    @Test func evalEveryIsForTrainedMethodsOnly() throws {
        let spec = try ExperimentSpec(json: specJSON(#""methods": [{"name": "barlow_twins", "eval_every": 5}]"#))
        #expect(spec.methods[0].evalEvery == 5)
        #expect(specError(specJSON(#""methods": [{"name": "none", "eval_every": 5}]"#))?.path == "methods[0].eval_every")
        #expect(specError(specJSON(#""methods": [{"name": "dual_encoder", "eval_every": 0}]"#))?.path
                    == "methods[0].eval_every")
    }

    @Test(.enabled(if: TestDatabase.isAvailable))
    func reportPairsFineTuneWithTheProbeOfTheSameEncoder() throws {
        var rows: [ResultRow] = []
        for seed in 0..<3 {
            let probe = 0.40 + 0.01 * Double(seed)
            rows.append(ResultRow(method: "bt", task: "t", evaluationProtocol: "linear_probe", fraction: 1, labelledN: 100,
                                  seed: seed, accuracy: probe))
            rows.append(ResultRow(method: "bt", task: "t", evaluationProtocol: "fine_tune", fraction: 1, labelledN: 100,
                                  seed: seed, accuracy: probe - 0.02))
            rows.append(ResultRow(method: "bag", task: "t", evaluationProtocol: "linear_probe", fraction: 1,
                                  labelledN: 100, seed: seed, accuracy: 0.5))
        }
        let report = try storedReport(rows)
        #expect(report.protocolGains.count == 1)  // bag has no fine_tune
        let gain = report.protocolGains[0]
        #expect(gain.method == "bt" && gain.pairs == 3)
        #expect(abs(gain.meanDifference + 0.02) < 1e-12)
        #expect(abs(gain.probeMean - 0.41) < 1e-12)
        #expect(gain.lower95 != nil && gain.upper95 != nil)
        #expect(report.text().contains("fine_tune against linear_probe of the same encoder"))
        #expect(report.text().contains("-0.0200"))
        let csv = report.protocolGainCSV().split(separator: "\n")
        #expect(csv.first == "task,method,fraction,pairs,probe_mean,fine_tune_mean,mean_difference,lower_95,upper_95")
        #expect(csv.count == 2 && csv[1].hasPrefix("t,bt,1,3,0.41"))
    }

    @Test(.enabled(if: TestDatabase.isAvailable))
    func reportTabulatesAndDrawsProbeCurves() throws {
        let database = try TestDatabase(suite: "probe_curves")
        defer { database.drop() }
        let db = try database.connect()
        let store = ResultsStore(db)
        let experiment = try storeResults([
            ResultRow(method: "bt", task: "t", evaluationProtocol: "linear_probe", fraction: 1, labelledN: 10, seed: 0,
                      accuracy: 0.3),
        ], in: store)
        let plain = try store.report(experiment: experiment, name: "x")
        #expect(!plain.text().contains("training curve"))
        #expect(!plain.svg().contains("probe-curve"))
        for seed in 0..<2 {
            let run = try store.ensureRun(
                experiment: experiment, series: "bt", method: "barlow_twins", seed: seed, sweepParameter: nil,
                sweepValue: nil, params: PostgresJSON(text: "{}"), pretrainJob: nil)
            for epoch in [0, 5, 10] {
                try store.writeMetrics(run: run, step: epoch * 10, epoch: epoch,
                                       values: ["probe_accuracy": 0.2 + 0.01 * Double(epoch) + 0.01 * Double(seed)])
            }
        }
        let report = try store.report(experiment: experiment, name: "x")
        let curves = report.probeCurves
        #expect(curves.map(\.epoch) == [0, 5, 10])
        #expect(curves.allSatisfy { $0.n == 2 })
        #expect(abs(curves[2].mean - 0.305) < 1e-12)
        #expect(report.text().contains("training curve of bt: probe_accuracy"))
        #expect(report.text().contains("   10      2  0.3050"))
        let csv = report.probeCurveCSV().split(separator: "\n")
        #expect(csv.first == "method,metric,epoch,n,mean,sd")
        #expect(csv.count == 4 && csv[3].hasPrefix("bt,probe_accuracy,10,2,0.305"))
        let svg = report.svg()
        #expect(svg.contains(#"<g class="probe-curve" data-method="bt">"#))
        #expect(svg.contains("pretraining epoch"))
    }
}
