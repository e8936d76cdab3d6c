import Testing

@testable import Sequences

@Suite("Label vocabulary and task labels")
struct LabelTests {
    @Test func vocabularyDropsGenericCategoriesAndPicksRarestPrimary() throws {
        let prepared = try PreparedDataset(handMadeDataset())
        let vocabulary = prepared.vocabulary
        #expect(vocabulary.names == ["B", "C", "D"])  // A is on 6 of 10 items: too generic
        #expect(vocabulary.itemCounts == [4, 4, 3])
        // Dense id = source index + 1. Item 2 (B, C tie at 4 items: category order) → B; item 6 → D (rarer).
        #expect(vocabulary.primary[3] == 0)
        #expect(vocabulary.primary[7] == 2)
        #expect(vocabulary.primary[10] == -1)  // item 9 has only A
        let small = try PreparedDataset(handMadeDataset(), config: Preprocessing(labelCategories: 2))
        #expect(small.vocabulary.names == ["B", "C"])
        #expect(small.vocabulary.primary[7] == 1)
    }

    @Test func categoryTasks() throws {
        let prepared = try PreparedDataset(handMadeDataset())
        let next = try prepared.labels(for: .nextCategory)
        #expect(next.labels == [-1, 2, 1, 0])
        let top = try prepared.labels(for: .futureTopCategory)
        #expect(top.labels == [-1, 2, 1, 0])  // user 1: C and D tie → rarer D; user 3: B and C tie → B (order)
        let multi = try prepared.labels(for: .futureCategories)
        #expect(multi.isMultiLabel)
        #expect(Array(multi.multiHot[3..<6]) == [0, 1, 1])
        #expect(Array(multi.multiHot[6..<9]) == [0, 1, 0])
        #expect(multi.labels == [-1, 2, 1, 0])
        let rating = try prepared.labels(for: .nextRatingHigh)
        #expect(rating.labels == [1, 0, 1, 1])
        #expect(rating.classNames == ["low", "high"])
    }

    @Test func countsAndMajorityAccuracy() throws {
        let prepared = try PreparedDataset(SyntheticWorld(config: SyntheticConfig.preset("tiny")!).dataset())
        #expect(Set(prepared.supportedTasks) == Set(TaskKind.allCases))
        for task in TaskKind.allCases {
            let labels = try prepared.labels(for: task)
            #expect(labels.labels.count == prepared.userCount)
            for split in UserSplit.allCases {
                let labelled = labels.labelled(prepared.users(in: split)).count
                #expect(labels.labelledCounts[split] == labelled)
                if !labels.isMultiLabel {
                    #expect(labels.classCounts[split]!.reduce(0, +) == labelled)
                    let expected = Double(labels.classCounts[split]![labels.majorityClass]) / Double(max(labelled, 1))
                    #expect(labels.majorityAccuracy[split] == expected)
                }
                #expect((0...1).contains(labels.majorityAccuracy[split]!))
            }
            if !labels.isMultiLabel {
                let train = labels.classCounts[.train]!
                #expect(train[labels.majorityClass] == train.max())
            }
        }
    }

    @Test func unsupportedTaskIsAClearError() throws {
        let sequences = try PreparedDataset(
            try SequenceFileReader.load(path: Paths.fixture("sequences/seq.txt")),
            config: Preprocessing(minSequenceLength: 2))
        #expect(sequences.supportedTasks.isEmpty)
        do {
            _ = try sequences.labels(for: .nextRatingHigh)
            Issue.record("expected an error")
        } catch let error as DatasetRequestError {
            #expect(error.message.contains("'next_rating_high' is not available"))
            #expect(error.message.contains("no ratings"))
        }
        #expect(throws: DatasetRequestError.self) { _ = try sequences.labels(for: .gender) }
        let handMade = try PreparedDataset(handMadeDataset())
        #expect(handMade.supportedTasks == [.nextCategory, .futureTopCategory, .futureCategories, .nextRatingHigh])
        #expect(throws: DatasetRequestError.self) { _ = try handMade.labels(for: .occupation) }
    }
}

@Suite("Stratified label sampler")
struct SamplerTests {
    @Test func allocationIsProportionalWithFloors() {
        // 10 of [50, 30, 15, 5]: quotas 5, 3, 1.5, 0.5 → largest remainder [5, 3, 2, 0] → floor [4, 3, 2, 1].
        #expect(LabelSampler.allocate(10, counts: [50, 30, 15, 5]) == [4, 3, 2, 1])
        #expect(LabelSampler.allocate(100, counts: [50, 30, 15, 5]) == [50, 30, 15, 5])
        #expect(LabelSampler.allocate(3, counts: [50, 30, 15, 5]) == [2, 1, 0, 0])  // n < C: no floor
        #expect(LabelSampler.allocate(7, counts: [0, 10, 10]) == [0, 4, 3])
        #expect(LabelSampler.targetCount(fraction: 0.01, available: 700, classCount: 20) == 40)
        #expect(LabelSampler.targetCount(fraction: 0.5, available: 700, classCount: 20) == 350)
        #expect(LabelSampler.targetCount(fraction: 0.01, available: 30, classCount: 20) == 30)
    }

    @Test func samplesAreStratifiedAndSeeded() throws {
        let config = SyntheticConfig(users: 1_500, items: 800, meanLength: 20, seed: 5)
        let prepared = try PreparedDataset(SyntheticWorld(config: config).dataset())
        let labels = try prepared.labels(for: .nextCategory)
        let trainLabelled = labels.labelled(prepared.trainUsers)
        for fraction in [0.01, 0.1, 0.5, 1.0] {
            let subset = prepared.labelSubsets(labels, fraction: fraction, seed: 9)
            let n = LabelSampler.targetCount(
                fraction: fraction, available: trainLabelled.count,
                classCount: labels.classCount)
            #expect(subset.train.count == n)
            #expect(subset.train.allSatisfy { prepared.splits[Int($0)] == .train && labels.labels[Int($0)] >= 0 })
            #expect(Set(subset.train).count == subset.train.count)
            #expect(subset.validation.allSatisfy { prepared.splits[Int($0)] == .validation })
            // Stratification: each class within one of its proportional quota, and present when it has users.
            let classCounts = labels.classCounts[.train]!
            for k in 0..<labels.classCount where classCounts[k] > 0 {
                let drawn = subset.train.filter { labels.labels[Int($0)] == Int32(k) }.count
                let quota = Double(n) * Double(classCounts[k]) / Double(trainLabelled.count)
                #expect(drawn >= 1)
                #expect(abs(Double(drawn) - quota) <= 1 + Double(labels.classCount))
            }
            #expect(prepared.labelSubsets(labels, fraction: fraction, seed: 9).train == subset.train)
        }
        let validationLabelled = labels.labelled(prepared.validationUsers).count
        let validation = prepared.labelSubsets(labels, fraction: 0.2, seed: 9).validation
        #expect(
            validation.count
                == LabelSampler.targetCount(
                    fraction: 0.2, available: validationLabelled,
                    classCount: labels.classCount))
        let a = prepared.labelSubsets(labels, fraction: 0.1, seed: 1).train
        #expect(a != prepared.labelSubsets(labels, fraction: 0.1, seed: 2).train)
        #expect(Set(prepared.labelSubsets(labels, fraction: 1.0, seed: 1).train) == Set(trainLabelled))
    }
}

@Suite("Multi-label sampling")
struct MultiLabelSamplingTests {
    @Test func multiLabelUsersAreStratifiedByTheirRarestCategory() throws {
        let config = SyntheticConfig(users: 1_000, items: 600, meanLength: 25, seed: 6)
        let prepared = try PreparedDataset(SyntheticWorld(config: config).dataset())
        let labels = try prepared.labels(for: .futureCategories)
        let c = labels.classCount
        for user in 0..<prepared.userCount where labels.labels[user] >= 0 {
            let positives = (0..<c).filter { labels.multiHot[user * c + $0] != 0 }
            let rarest = positives.min { prepared.vocabulary.isRarer($0, than: $1) }!
            #expect(Int(labels.labels[user]) == rarest)
        }
        let subset = prepared.labelSubsets(labels, fraction: 0.05, seed: 3).train
        #expect(subset.count == max(Int((0.05 * Double(labels.labelled(prepared.trainUsers).count)).rounded()), 2 * c))
        let strata = Set(subset.map { labels.labels[Int($0)] })
        let present = Set(labels.labelled(prepared.trainUsers).map { labels.labels[Int($0)] })
        #expect(strata == present)
    }
}
