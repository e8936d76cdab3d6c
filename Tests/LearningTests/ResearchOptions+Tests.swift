import Learning
import NeuralNet
import Sequences
import Testing

/// Fine-tuning's learning-rate grid and probe start, and the `eval_every` probe during pretraining.
@Suite("Research options (Learning)")
struct LearningResearchOptionsTests {
    let data = TrainingFixtures.data

    func plantedTask() -> FineTuneTask {
        let label = TrainingFixtures.plantedLabel
        let classes = TrainingFixtures.plantedClasses
        return FineTuneTask(
            trainUsers: data.trainUsers, trainTargets: .classes(data.trainUsers.map(label), count: classes),
            validationUsers: data.validationUsers,
            validationTargets: .classes(data.validationUsers.map(label), count: classes),
            testUsers: data.testUsers)
    }

    /// The grid runs each rate as the single-rate run would and keeps the one with the best validation score.
    @Test func learningRateGridPicksTheBestValidationScore() throws {
        let start = try Pretrainer.train(data: data, config: TrainingFixtures.config(.none, epochs: 1), seed: 2)
        let task = plantedTask()
        let rates: [Float] = [1e-6, 1e-3]
        let grid = try FineTuner.train(
            data: data, encoder: TrainingFixtures.encoder, checkpoint: start.checkpoint, task: task,
            config: FineTuneConfig(epochs: 6, patience: 3, batchSize: 32, learningRateGrid: rates), seed: 1)
        let singles = try rates.map { rate in
            try FineTuner.train(data: data, encoder: TrainingFixtures.encoder, checkpoint: start.checkpoint,
                                task: task, config: FineTuneConfig(epochs: 6, learningRate: rate, patience: 3,
                                                                   batchSize: 32), seed: 1)
        }
        let bestScores = singles.map { $0.validationScores.max()! }
        print("fine-tune lr grid: validation \(bestScores), chose lr \(grid.learningRate)")
        #expect(grid.learningRateScores == bestScores)
        let winner = bestScores[1] > bestScores[0] ? 1 : (bestScores[1] < bestScores[0] ? 0 : -1)
        if winner >= 0 {
            #expect(grid.learningRate == rates[winner])
            var expected = singles[winner]
            expected.learningRateScores = bestScores
            #expect(grid == expected)
        }
        // The default (no grid) runs lr alone and records it.
        #expect(singles[0].learningRate == 1e-6 && singles[0].learningRateScores.isEmpty && singles[0].probeL2 == nil)
    }

    /// Probe-then-fine-tune: with a learning rate too small to move anything, the fine-tuned predictions are the
    /// linear probe's (the head starts from the fitted probe with its standardisation).
    @Test func probeStartPredictsAsTheProbe() throws {
        let start = try Pretrainer.train(data: data, config: TrainingFixtures.config(.none, epochs: 1), seed: 2)
        let task = plantedTask()
        let settings = LinearProbeEvaluation.Settings()
        let result = try FineTuner.train(
            data: data, encoder: TrainingFixtures.encoder, checkpoint: start.checkpoint, task: task,
            config: FineTuneConfig(epochs: 1, learningRate: 1e-12, patience: 1, batchSize: 32,
                                   probeInitialization: settings), seed: 1)
        let embeddings = try UserEmbedder(config: TrainingFixtures.encoder, checkpoint: start.checkpoint)
            .embed(data: data, users: (0..<data.userCount).map { Int32($0) })
        let label = TrainingFixtures.plantedLabel
        let probe = LinearProbeEvaluation.singleLabel(
            embeddings: embeddings, classes: TrainingFixtures.plantedClasses, train: task.trainUsers,
            trainLabels: task.trainUsers.map(label), validation: task.validationUsers,
            validationLabels: task.validationUsers.map(label), test: task.testUsers,
            testLabels: task.testUsers.map(label), settings: settings)
        #expect(result.probeL2 == probe.selection.l2)
        let predicted = result.testProbabilities.map(Metrics.argmax)
        let agreement = zip(predicted, probe.testPredictions).filter { $0 == $1 }.count
        print("probe start: \(agreement) of \(predicted.count) test predictions equal the probe's")
        #expect(Double(agreement) >= 0.98 * Double(predicted.count))
        let zeroHead = try FineTuner.train(
            data: data, encoder: TrainingFixtures.encoder, checkpoint: start.checkpoint, task: task,
            config: FineTuneConfig(epochs: 1, learningRate: 1e-12, patience: 1, batchSize: 32), seed: 1)
        // A zero head predicts (nearly) uniformly; the probe's head does not.
        func meanTop(_ rows: [[Double]]) -> Double { rows.map { $0.max()! }.reduce(0, +) / Double(rows.count) }
        #expect(meanTop(zeroHead.testProbabilities) < 1.0 / Double(TrainingFixtures.plantedClasses) + 0.01)
        #expect(meanTop(result.testProbabilities) > meanTop(zeroHead.testProbabilities) + 0.02)
    }

    /// The `eval_every` hook scores the encoder before training and every N epochs, and leaves training unchanged.
    @Test func evaluationHookLeavesPretrainingUnchanged() throws {
        let config = TrainingFixtures.config(.barlowTwins, epochs: 3)
        let plain = try Pretrainer.train(data: data, config: config, seed: 4)
        let probe = try #require(try TrainingProbe(data: data, task: .nextCategory, seed: 0, l2: 1e-2))
        #expect(probe.fitUsers.count <= TrainingProbe.maximumUsers && probe.fitUsers == probe.fitUsers.sorted())
        #expect(Set(probe.fitUsers).isSubset(of: Set(data.trainUsers)))
        #expect(Set(probe.scoreUsers).isSubset(of: Set(data.validationUsers)))
        var seen: [EpochMetrics] = []
        var callbacks = PretrainCallbacks(onEpoch: { seen.append($0) })
        callbacks.evaluateEvery = 2
        callbacks.evaluate = { encoder in probe.score(encoder, data: data) }
        let probed = try Pretrainer.train(data: data, config: config, seed: 4, callbacks: callbacks)
        #expect(probed.checkpoint == plain.checkpoint)
        #expect(probed.history.map { $0.values["loss"] } == plain.history.map { $0.values["loss"] })
        let scored = seen.filter { $0.values[probe.metricName] != nil }.map(\.epoch)
        #expect(scored == [0, 2])
        let scores = seen.compactMap { $0.values[probe.metricName] }
        print("eval_every probe: \(scores)")
        #expect(scores.allSatisfy { (0...1).contains($0) })
        // The same encoder scores the same (the probe has no randomness).
        let encoder = try EncoderFactory.restore(TrainingFixtures.encoder, checkpoint: plain.checkpoint)
        #expect(probe.score(encoder, data: data) == probe.score(encoder, data: data))
    }
}
