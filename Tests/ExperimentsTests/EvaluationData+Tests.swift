import Experiments
import Foundation
import Learning
import Sequences
import Testing

@Suite("EvaluationData")
struct EvaluationDataTests {
    static func dataset(seed: Int) throws -> PreparedDataset {
        try DatasetRequest(spec: ExperimentSpec(json: smallSyntheticSpec(users: 1000)), seed: seed).load()
    }

    @Test(arguments: [TaskKind.nextCategory, .futureTopCategory, .futureCategories, .gender, .occupation])
    func subsetsFollowTheProtocol(task: TaskKind) throws {
        let dataset = try Self.dataset(seed: 2)
        let labels = try dataset.labels(for: task)
        let trainAvailable = labels.labelled(dataset.trainUsers)
        let validationAvailable = labels.labelled(dataset.validationUsers)
        let classes = labels.classCount
        for fraction in [0.01, 0.05, 0.2, 1.0] {
            let data = try EvaluationData(dataset: dataset, labels: labels, fraction: fraction)
            // n = max(round(f · N_train), 2C), at most N_train.
            let expected = min(
                trainAvailable.count, max(Int((fraction * Double(trainAvailable.count)).rounded()), 2 * classes))
            #expect(data.labelledCount == expected, "fraction \(fraction)")
            #expect(data.availableTrainCount == trainAvailable.count)
            if task == .nextCategory && fraction == 0.01 { #expect(data.labelledCount == 2 * classes) }  // the floor
            let expectedValidation = min(
                validationAvailable.count,
                max(Int((fraction * Double(validationAvailable.count)).rounded()), 2 * classes))
            #expect(data.validationUsers.count == expectedValidation)
            // Subsets of the right splits, sorted, without repeats; the test users are every labelled test user.
            #expect(Set(data.trainUsers).isSubset(of: Set(trainAvailable)))
            #expect(Set(data.validationUsers).isSubset(of: Set(validationAvailable)))
            #expect(data.trainUsers == data.trainUsers.sorted() && Set(data.trainUsers).count == data.trainUsers.count)
            #expect(data.testUsers == labels.labelled(dataset.testUsers))
            #expect(data.majorityAccuracy == labels.majorityAccuracy[.test])
            if fraction == 1 { #expect(data.trainUsers == trainAvailable) }
            // Labels line up with users.
            if task.isMultiLabel {
                #expect(data.trainLabels.isEmpty && data.trainMultiLabels.count == data.labelledCount)
                for (row, user) in zip(data.testMultiLabels, data.testUsers) {
                    #expect(row == (0..<classes).map { labels.multiHot[Int(user) * classes + $0] == 1 })
                }
            } else {
                #expect(data.trainLabels == data.trainUsers.map { Int(labels.labels[Int($0)]) })
                #expect(data.testLabels == data.testUsers.map { Int(labels.labels[Int($0)]) })
                // Every class that has train users gets one once n ≥ C.
                let present = Set(trainAvailable.map { labels.labels[Int($0)] })
                if data.labelledCount >= classes { #expect(Set(data.trainLabels.map(Int32.init)) == present) }
            }
        }
    }

    @Test func everyMethodOfASeedGetsTheSameSubsets() throws {
        // Two methods of seed 3, planned from one spec, resolve the dataset independently (another cache, another
        // preparation order).
        let spec = try ExperimentSpec(
            json: smallSyntheticSpec(
                users: 1000,
                extra: #""methods": [{"name": "barlow_twins"}, {"name": "dual_encoder"}], "seeds": [0, 3], "#
                    + #""tasks": ["next_category"], "protocols": ["linear_probe"], "label_fractions": [0.05]"#))
        let payloads = try ExperimentPlan(spec: spec).jobs.compactMap { job -> EvaluatePayload? in
            guard case .evaluate(let payload) = job.payload, payload.seed == 3 else { return nil }
            return payload
        }
        #expect(payloads.map(\.method) == [.barlowTwins, .dualEncoder])
        #expect(payloads[0].evaluationSeed != payloads[1].evaluationSeed)
        let cacheA = DatasetCache()
        let cacheB = DatasetCache()
        _ = try cacheB.prepared(DatasetRequest(spec: spec, seed: 0))  // B prepares seed 0 first, then reseeds.
        let request = try DatasetRequest(spec: spec, seed: 0)
        let a = try EvaluationData(payload: payloads[0], request: request, cache: cacheA)
        let b = try EvaluationData(payload: payloads[1], request: request, cache: cacheB)
        #expect(a == b)
        #expect(a.seed == 3)
        let direct = try EvaluationData(dataset: Self.dataset(seed: 3), task: .nextCategory, fraction: 0.05)
        #expect(direct == a)
        // Another seed: another split and other subsets.
        let other = try EvaluationData(dataset: Self.dataset(seed: 4), task: .nextCategory, fraction: 0.05)
        #expect(other.trainUsers != a.trainUsers)
        // Another fraction of the same seed: another subset.
        let wider = try EvaluationData(dataset: Self.dataset(seed: 3), task: .nextCategory, fraction: 0.2)
        #expect(wider.labelledCount > a.labelledCount && wider.testUsers == a.testUsers)
    }

    @Test func badFractionsAndUnsupportedTasksAreErrors() throws {
        let dataset = try Self.dataset(seed: 0)
        #expect(throws: DatasetRequestError.self) { try EvaluationData(dataset: dataset, task: .gender, fraction: 0) }
        #expect(throws: DatasetRequestError.self) { try EvaluationData(dataset: dataset, task: .gender, fraction: 1.5) }
        let bare = try PreparedDataset(
            InteractionDataset(
                name: "bare", userOffsets: [0, 5, 10, 15], items: Array(repeating: 0, count: 15),
                timestamps: Array(0..<15), ratings: [], userIDs: ["a", "b", "c"], itemIDs: ["x"]))
        let error = #expect(throws: DatasetRequestError.self) {
            try EvaluationData(dataset: bare, task: .nextCategory, fraction: 1)
        }
        #expect(error?.message.contains("not available for dataset 'bare'") == true)
    }

    @Test func bagOfItemsProbeBeatsTheMajorityClassOnSyntheticData() throws {
        let dataset = try Self.dataset(seed: 0)
        let features = BagOfItems().features(dataset)
        let single = try EvaluationData(dataset: dataset, task: .futureTopCategory, fraction: 1)
        let result = single.linearProbe(embeddings: features)
        #expect(result.labelledCount == single.labelledCount)
        #expect(result.summary.majorityAccuracy == single.majorityAccuracy)
        #expect((result.summary.accuracy ?? 0) > single.majorityAccuracy + 0.1, "\(result.summary)")
        let multi = try EvaluationData(dataset: dataset, task: .futureCategories, fraction: 0.5)
        let multiResult = multi.linearProbe(
            embeddings: features, settings: LinearProbeEvaluation.Settings(LinearProbeSpec()))
        #expect((multiResult.summary.rocAUC ?? 0) > 0.6, "\(multiResult.summary)")
        #expect(multiResult.summary.accuracy == nil && multiResult.labelledCount == multi.labelledCount)
    }
}
