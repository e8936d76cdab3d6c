import Testing

@testable import Learning

@Suite("Metrics")
struct MetricsTests {
    @Test func accuracyCountsMatches() throws {
        let value = try #require(Metrics.accuracy(truth: [0, 1, 2, 2], predicted: [0, 2, 2, 2]))
        #expect(value == 0.75)
        #expect(Metrics.accuracy(truth: [], predicted: []) == nil)
    }

    @Test func balancedAccuracyAveragesRecallOverTrueClasses() throws {
        // Recalls: class 0 → 1/2, class 1 → 2/2, class 2 → 0/1; class 3 only predicted, not counted.
        let value = try #require(Metrics.balancedAccuracy(truth: [0, 0, 1, 1, 2], predicted: [0, 1, 1, 1, 3]))
        #expect(abs(value - 0.5) < 1e-12)
    }

    @Test func macroF1CountsClassesInTruthOrPrediction() throws {
        // F1: class 0 → 2/3, class 1 → 4/5, class 2 → 0, class 3 (predicted only) → 0.
        let value = try #require(Metrics.macroF1(truth: [0, 0, 1, 1, 2], predicted: [0, 1, 1, 1, 3]))
        #expect(abs(value - (2.0 / 3 + 0.8) / 4) < 1e-12)
        #expect(Metrics.macroF1(truth: [1, 1], predicted: [1, 1]) == 1)
    }

    @Test func rocAUCHandlesTiesByAverageRank() throws {
        // Pairs (positive, negative): (0.8, 0.8) tie → ½, (0.8, 0.2) → 1, (0.4, 0.8) → 0, (0.4, 0.2) → 1.
        let value = try #require(Metrics.rocAUC(labels: [true, false, true, false], scores: [0.8, 0.8, 0.4, 0.2]))
        #expect(abs(value - 2.5 / 4) < 1e-12)
        #expect(Metrics.rocAUC(labels: [true, false], scores: [1, 0]) == 1)
        #expect(Metrics.rocAUC(labels: [true, false], scores: [0, 1]) == 0)
        #expect(Metrics.rocAUC(labels: [true, false, true], scores: [3, 3, 3]) == 0.5)
        #expect(Metrics.rocAUC(labels: [true, true], scores: [0.1, 0.2]) == nil)
    }

    @Test func rocAUCMatchesPairCountingOnALargerSample() throws {
        var state: UInt64 = 7
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double((state >> 33) % 8) / 8  // Coarse scores: plenty of ties.
        }
        let scores = (0..<200).map { _ in next() }
        let labels = scores.map { $0 + next() > 0.9 }
        var wins = 0.0
        var pairs = 0.0
        for i in scores.indices where labels[i] {
            for j in scores.indices where !labels[j] {
                pairs += 1
                wins += scores[i] > scores[j] ? 1 : (scores[i] == scores[j] ? 0.5 : 0)
            }
        }
        let value = try #require(Metrics.rocAUC(labels: labels, scores: scores))
        #expect(abs(value - wins / pairs) < 1e-12)
    }

    @Test func macroROCAUCSkipsSingleClassColumns() throws {
        let truth = [[true, false, true], [false, false, true], [true, false, false], [false, false, true]]
        let scores = [[0.9, 0.1, 0.5], [0.2, 0.3, 0.5], [0.7, 0.2, 0.1], [0.1, 0.0, 0.8]]
        let result = Metrics.macroROCAUC(truth: truth, scores: scores)
        // Column 0: perfect (1); column 1: single class, skipped; column 2: positives 0.5, 0.5, 0.8 vs 0.1 → 1.
        #expect(result.columnsUsed == 2)
        #expect(result.auc == 1)
        let none = Metrics.macroROCAUC(truth: [[true], [true]], scores: [[0.1], [0.2]])
        #expect(none.columnsUsed == 0 && none.auc == nil)
    }

    @Test func majorityClassAccuracyUsesReferenceWhenGiven() {
        #expect(Metrics.majorityClass([2, 1, 1, 2]) == 1)  // Tie: the smaller class.
        #expect(Metrics.majorityClassAccuracy(truth: [0, 0, 1, 2]) == 0.5)
        #expect(Metrics.majorityClassAccuracy(truth: [0, 0, 1, 2], reference: [2, 2, 0]) == 0.25)
        #expect(Metrics.majorityClassAccuracy(truth: []) == nil)
    }
}

@Suite("Metrics summaries")
struct MetricsSummaryTests {
    @Test func binarySummaryHasEveryMetric() throws {
        let summary = Metrics.summarize(
            truth: [0, 1, 1, 0], probabilities: [[0.9, 0.1], [0.4, 0.6], [0.6, 0.4], [0.3, 0.7]],
            majorityReference: [1, 1, 0])
        #expect(summary.accuracy == 0.5)
        #expect(summary.balancedAccuracy == 0.5)
        // Scores of class 1: positives 0.6, 0.4; negatives 0.1, 0.7 → pairs won: 1 + 0 + 1 + 0 = 2 of 4.
        #expect(summary.rocAUC == 0.5)
        #expect(summary.majorityAccuracy == 0.5)
        #expect(summary.testCount == 4)
        let multiClass = Metrics.summarize(truth: [2, 0], probabilities: [[0, 0.2, 0.8], [0.5, 0.5, 0]])
        #expect(multiClass.accuracy == 1 && multiClass.rocAUC == nil)
    }

    @Test func multiLabelSummaryUsesMacroAUC() throws {
        let summary = Metrics.summarizeMultiLabel(
            truth: [[true, false], [false, false], [true, false]], scores: [[0.9, 0.5], [0.1, 0.5], [0.8, 0.5]])
        #expect(summary.rocAUC == 1 && summary.rocAUCColumns == 1)
        #expect(summary.accuracy == nil)
        // Column 0: majority "true" 2/3; column 1: all false, 1 → mean 5/6.
        #expect(abs(try #require(summary.majorityAccuracy) - 5.0 / 6) < 1e-12)
    }
}
