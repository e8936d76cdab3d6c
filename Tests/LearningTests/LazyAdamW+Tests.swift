import Learning
import Sequences
import Testing

@Suite("Lazy AdamW")
struct LazyAdamWTests {
    let data = TrainingFixtures.data

    /// Linear-probe test accuracy on the planted label (12 classes) of the encoder in `checkpoint`.
    func probeAccuracy(_ checkpoint: [UInt8]) throws -> Double {
        let embedder = try UserEmbedder(config: TrainingFixtures.encoder, checkpoint: checkpoint)
        let embeddings = embedder.embed(data: data, users: (0..<data.userCount).map { Int32($0) }, batchSize: 64)
        let label = TrainingFixtures.plantedLabel
        let result = LinearProbeEvaluation.singleLabel(
            embeddings: embeddings, classes: TrainingFixtures.plantedClasses, train: data.trainUsers,
            trainLabels: data.trainUsers.map(label), validation: data.validationUsers,
            validationLabels: data.validationUsers.map(label), test: data.testUsers,
            testLabels: data.testUsers.map(label))
        return try #require(result.summary.accuracy)
    }

    /// On the tiny synthetic world, lazy AdamW (embedding rows touched by a step only) trains as well as AdamW:
    /// its loss falls by the same bar as in `lossFalls` and ends within 10% of dense AdamW's, and the linear-probe
    /// accuracy of its encoder on the planted label is within 0.1 of dense AdamW's. The two runs do differ
    /// (lazily, rows a step did not see are not moved).
    @Test(arguments: [PretrainMethod.barlowTwins, .dualEncoder])
    func lazyAdamWTrainsToTheSameQualityAsAdamW(method: PretrainMethod) throws {
        let dense = TrainingFixtures.config(method, epochs: 10)
        var lazy = dense
        lazy.optimizer = .lazyAdamW
        let a = try Pretrainer.train(data: data, config: dense, seed: 1)
        let b = try Pretrainer.train(data: data, config: lazy, seed: 1)
        let first = try #require(b.history.first?.values["loss"])
        let denseLoss = try #require(a.metrics["loss"])
        let lazyLoss = try #require(b.metrics["loss"])
        let (denseAccuracy, lazyAccuracy) = (try probeAccuracy(a.checkpoint), try probeAccuracy(b.checkpoint))
        print("\(method.rawValue): loss adamw \(denseLoss), lazy_adamw \(lazyLoss) (first epoch \(first)); "
              + "probe accuracy adamw \(denseAccuracy), lazy_adamw \(lazyAccuracy)")
        #expect(lazyLoss < 0.9 * first)
        #expect(abs(lazyLoss - denseLoss) <= 0.1 * denseLoss)
        #expect(abs(lazyAccuracy - denseAccuracy) <= 0.1)
        #expect(a.checkpoint != b.checkpoint)
    }

    /// Fine-tuning with lazy AdamW (`fine_tune.optimizer`) on the planted label (12 classes) beats the majority
    /// class as dense AdamW does, within 0.1 of its test accuracy, and differs from it (rows a step did not see are
    /// not moved, and the clipping norm counts touched rows only).
    @Test func lazyAdamWFineTunesToTheSameQualityAsAdamW() throws {
        let start = try Pretrainer.train(data: data, config: TrainingFixtures.config(.none, epochs: 1), seed: 2)
        let label = TrainingFixtures.plantedLabel
        let task = TrainingFixtures.plantedFineTuneTask
        let dense = FineTuneConfig(epochs: 30, learningRate: 1e-3, patience: 8, batchSize: 32)
        var lazy = dense
        lazy.optimizer = .lazyAdamW
        func accuracy(_ config: FineTuneConfig) throws -> (Double, Double, FineTuneResult) {
            let result = try FineTuner.train(data: data, encoder: TrainingFixtures.encoder, checkpoint: start.checkpoint,
                                             task: task, config: config, seed: 1)
            let summary = Metrics.summarize(truth: data.testUsers.map(label), probabilities: result.testProbabilities,
                                            majorityReference: data.trainUsers.map(label))
            return (try #require(summary.accuracy), try #require(summary.majorityAccuracy), result)
        }
        let (denseAccuracy, majority, denseResult) = try accuracy(dense)
        let (lazyAccuracy, _, lazyResult) = try accuracy(lazy)
        print("fine-tune planted task: accuracy adamw \(denseAccuracy), lazy_adamw \(lazyAccuracy), majority \(majority)")
        #expect(lazyAccuracy > majority + 0.05)
        #expect(abs(lazyAccuracy - denseAccuracy) <= 0.1)
        #expect(lazyResult.testProbabilities != denseResult.testProbabilities)
    }
}
