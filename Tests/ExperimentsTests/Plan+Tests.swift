import Experiments
import Foundation
import Testing

@Suite("ExperimentPlan")
struct PlanTests {
    static let spec = specJSON(
        #"""
        "methods": [{"name": "barlow_twins"}, {"name": "bag_of_items"}, {"name": "dual_encoder"}],
        "tasks": ["next_category", "future_categories"], "label_fractions": [0.05, 0.5, 1], "seeds": 2
        """#)

    @Test func expandsMethodsSeedsTasksProtocolsAndFractions() throws {
        let plan = try ExperimentPlan(spec: ExperimentSpec(json: Self.spec))
        let summary = plan.summary
        // Per method and seed: 1 pretrain, 1 embed; evaluations: 2 tasks × 2 protocols × 3 fractions = 12,
        // bag_of_items has no fine_tune: 2 × 1 × 3 = 6.
        #expect(summary.pretrain == 6)
        #expect(summary.embed == 6)
        #expect(summary.evaluate == 2 * 12 + 2 * 6 + 2 * 12)
        #expect(summary.total == plan.jobs.count)
        #expect(summary.series.map(\.series) == ["barlow_twins", "bag_of_items", "dual_encoder"])
        #expect(summary.series[1].evaluate == 12)
        #expect(
            summary.description.hasPrefix(#"plan for experiment "demo": 72 jobs (pretrain 6, embed 6, evaluate 60)"#))
        #expect(summary.description.contains("  bag_of_items         2      2        12"))
    }

    @Test func keysAreStableUniqueAndDependenciesPointBackwards() throws {
        let spec = try ExperimentSpec(json: Self.spec)
        let plan = try ExperimentPlan(spec: spec)
        let again = try ExperimentPlan(spec: ExperimentSpec(json: Self.spec))
        #expect(plan == again)
        #expect(Set(plan.jobs.map(\.key)).count == plan.jobs.count)
        var seen = Set<String>()
        for job in plan.jobs {
            #expect(job.dependencies.allSatisfy(seen.contains), "\(job.key) depends on a later job")
            seen.insert(job.key)
        }
        #expect(plan.jobs[0].key == "pretrain/barlow_twins/seed=0")
        #expect(plan.jobs[1].key == "embed/barlow_twins/seed=0")
        #expect(plan.jobs[1].dependencies == ["pretrain/barlow_twins/seed=0"])
        let probe = try #require(plan.job("evaluate/barlow_twins/seed=1/next_category/linear_probe/fraction=0.05"))
        #expect(probe.dependencies == ["embed/barlow_twins/seed=1"])
        let fineTune = try #require(plan.job("evaluate/barlow_twins/seed=1/future_categories/fine_tune/fraction=1"))
        #expect(fineTune.dependencies == ["pretrain/barlow_twins/seed=1"])
        guard case .evaluate(let payload) = fineTune.payload else {
            Issue.record("not an evaluate payload")
            return
        }
        #expect(payload.multiLabel && payload.fineTune == spec.fineTune && payload.linearProbe == nil)
        #expect(payload.embedKey == nil && payload.pretrainKey == "pretrain/barlow_twins/seed=1")
        #expect(plan.job("evaluate/bag_of_items/seed=0/next_category/fine_tune/fraction=1") == nil)
        #expect(plan.job("pretrain/bag_of_items/seed=1") != nil)
    }

    /// Payloads carry typed methods and what their handler needs, so no worker re-reads the spec by series name.
    @Test func embedPayloadsCarryTheirMethodAndItemBag() throws {
        let spec = try ExperimentSpec(json: specJSON(#"""
            "methods": [{"name": "barlow_twins"}, {"name": "bag_of_items", "hash_buckets": 64}]
            """#))
        let plan = try ExperimentPlan(spec: spec)
        let embeds = plan.jobs.compactMap { job -> EmbedPayload? in
            if case .embed(let payload) = job.payload { return payload } else { return nil }
        }
        #expect(Set(embeds.map(\.method)) == [.barlowTwins, .bagOfItems])
        #expect(embeds.filter { $0.method == .bagOfItems }.allSatisfy { $0.hashBuckets == 64 })
        #expect(embeds.filter { $0.method == .barlowTwins }.allSatisfy { $0.hashBuckets == nil })
        // The JSON a job row holds: the method by its spec name; an unknown one does not decode.
        let bag = try #require(embeds.first { $0.method == .bagOfItems })
        let json = String(decoding: try JSONEncoder().encode(bag), as: UTF8.self)
        #expect(json.contains(#""method":"bag_of_items""#) && json.contains(#""hash_buckets":64"#))
        let unknown = json.replacingOccurrences(of: "bag_of_items", with: "bag_of_words")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(EmbedPayload.self, from: Data(unknown.utf8)) }
    }

    @Test func derivedSeedsAreDeterministicAndDistinct() throws {
        let plan = try ExperimentPlan(spec: ExperimentSpec(json: Self.spec))
        let seeds = plan.jobs.compactMap { job -> UInt64? in
            switch job.payload {
            case .pretrain(let payload): payload.trainingSeed
            case .evaluate(let payload): payload.evaluationSeed
            case .embed: nil
            }
        }
        #expect(Set(seeds).count == seeds.count)
        #expect(seeds.allSatisfy { $0 < 1 << 53 })
        #expect(
            ExperimentPlan.derivedSeed(key: "pretrain/x/seed=1", seed: 1)
                == ExperimentPlan.derivedSeed(key: "pretrain/x/seed=1", seed: 1))
    }

    @Test func sweepMultipliesThePretrainJobsOfSweptMethods() throws {
        let spec = try ExperimentSpec(
            json: specJSON(
                #"""
                "methods": [{"name": "barlow_twins"}, {"name": "none"}], "tasks": ["next_category"],
                "protocols": ["linear_probe"], "label_fractions": [1], "seeds": 3,
                "sweep": {"parameter": "batch_size", "values": [16, 64, 512]}
                """#))
        let plan = try ExperimentPlan(spec: spec)
        let pretrain = plan.jobs.filter { $0.kind == .pretrain }
        #expect(pretrain.count == 3 * 3 + 3)
        let job = try #require(plan.job("pretrain/barlow_twins/seed=2/batch_size=64"))
        guard case .pretrain(let payload) = job.payload else {
            Issue.record("not a pretrain payload")
            return
        }
        #expect(payload.method.batchSize == 64)
        #expect(payload.series == "barlow_twins[batch_size=64]")
        #expect(payload.sweep == SweepPoint(parameter: "batch_size", value: 64))
        #expect(plan.job("evaluate/barlow_twins/seed=2/batch_size=64/next_category/linear_probe/fraction=1") != nil)
        #expect(plan.job("pretrain/none/seed=0") != nil)
        #expect(
            plan.summary.series.map(\.series) == [
                "barlow_twins[batch_size=16]", "barlow_twins[batch_size=64]",
                "barlow_twins[batch_size=512]", "none",
            ])
    }

    @Test func planChecksTasksAgainstTheDataset() throws {
        let spec = try ExperimentSpec(json: specJSON(#""tasks": ["gender"]"#))
        #expect {
            _ = try ExperimentPlan(spec: spec, supportedTasks: ["next_category"])
        } throws: { error in
            (error as? ExperimentSpecError)?.path == "tasks[0]"
        }
    }

    @Test func plannedJobsRoundTripThroughJSON() throws {
        let plan = try ExperimentPlan(spec: ExperimentSpec(json: Self.spec))
        let data = try JSONEncoder().encode(plan.jobs)
        let decoded = try JSONDecoder().decode([PlannedJob].self, from: data)
        #expect(decoded == plan.jobs)
        let text = String(decoding: try JSONEncoder().encode(plan.jobs[0]), as: UTF8.self)
        #expect(text.contains(#""kind":"pretrain""#))
        #expect(text.contains(#""training_seed":"#))
    }
}
