import Learning
import Randomness
import Sequences
import Testing

@Suite("LinearProbeEvaluation")
struct LinearProbeEvaluationTests {
    /// 3 well-separated Gaussian blobs in 4 dimensions: class `k` is centred at `3 · e_k`.
    static func blobs(users: Int, seed: UInt64) -> (embeddings: [[Float]], labels: [Int]) {
        var generator = SplitMix64(seed: seed)
        var embeddings: [[Float]] = []
        var labels: [Int] = []
        for user in 0..<users {
            let label = user % 3
            var row = (0..<4).map { _ in Float(generator.nextGaussian()) * 0.5 }
            row[label] += 3
            embeddings.append(row)
            labels.append(label)
        }
        return (embeddings, labels)
    }

    @Test func singleLabelProbeSeparatesBlobsAndReportsCounts() {
        let (embeddings, labels) = Self.blobs(users: 300, seed: 1)
        let train = (0..<30).map(Int32.init)
        let validation = (30..<60).map(Int32.init)
        let test = (100..<300).map(Int32.init)
        let result = LinearProbeEvaluation.singleLabel(
            embeddings: embeddings, classes: 3, train: train, trainLabels: train.map { labels[Int($0)] },
            validation: validation, validationLabels: validation.map { labels[Int($0)] }, test: test,
            testLabels: test.map { labels[Int($0)] })
        #expect(result.labelledCount == 30 && result.validationCount == 30)
        #expect(result.summary.testCount == 200)
        #expect((result.summary.accuracy ?? 0) > 0.95)
        #expect(result.selection.chosenOnValidation && result.selection.validationScores.count == 5)
        #expect(result.summary.rocAUC == nil)  // multi-class: no ROC-AUC
        #expect(abs((result.summary.majorityAccuracy ?? 0) - 1.0 / 3) < 0.02)
    }

    @Test func tooFewValidationLabelsUseTheDefaultStrength() {
        let (embeddings, labels) = Self.blobs(users: 60, seed: 2)
        let result = LinearProbeEvaluation.singleLabel(
            embeddings: embeddings, classes: 3, train: (0..<12).map(Int32.init),
            trainLabels: Array(labels[0..<12]), validation: [12, 13], validationLabels: [labels[12], labels[13]],
            test: (20..<60).map(Int32.init), testLabels: Array(labels[20..<60]),
            settings: LinearProbeEvaluation.Settings(defaultL2: 0.5))
        #expect(!result.selection.chosenOnValidation && result.selection.l2 == 0.5)
        #expect((result.summary.accuracy ?? 0) > 0.9)
    }

    @Test func multiLabelProbeScoresMacroAUC() {
        let (embeddings, labels) = Self.blobs(users: 240, seed: 3)
        // Two label columns: "is class 0", "is class 0 or 1"; the third column is constant and is skipped.
        let rows = labels.map { [$0 == 0, $0 <= 1, false] }
        let train = (0..<60).map(Int32.init)
        let validation = (60..<100).map(Int32.init)
        let test = (100..<240).map(Int32.init)
        let result = LinearProbeEvaluation.multiLabel(
            embeddings: embeddings, train: train, trainLabels: train.map { rows[Int($0)] }, validation: validation,
            validationLabels: validation.map { rows[Int($0)] }, test: test, testLabels: test.map { rows[Int($0)] })
        #expect(result.summary.accuracy == nil)
        #expect(result.summary.rocAUCColumns == 2)
        #expect((result.summary.rocAUC ?? 0) > 0.95)
        #expect(result.labelledCount == 60)
    }
}
