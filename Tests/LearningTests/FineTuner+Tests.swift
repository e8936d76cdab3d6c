import Learning
import Sequences
import Testing

@Suite("FineTuner")
struct FineTunerTests {
    let data = TrainingFixtures.data

    /// Fine-tuning the random encoder on the planted label (12 classes) must beat the majority class.
    @Test func fineTuneBeatsChanceOnThePlantedTask() throws {
        let encoder = TrainingFixtures.encoder
        let start = try Pretrainer.train(data: data, config: TrainingFixtures.config(.none, epochs: 1), seed: 2)
        let label = TrainingFixtures.plantedLabel
        let task = TrainingFixtures.plantedFineTuneTask
        let config = FineTuneConfig(epochs: 30, learningRate: 1e-3, patience: 8, batchSize: 32)
        let result = try FineTuner.train(data: data, encoder: encoder, checkpoint: start.checkpoint, task: task,
                                         config: config, seed: 1)
        let truth = data.testUsers.map(label)
        let summary = Metrics.summarize(truth: truth, probabilities: result.testProbabilities,
                                        majorityReference: data.trainUsers.map(label))
        let accuracy = try #require(summary.accuracy)
        let majority = try #require(summary.majorityAccuracy)
        print("fine-tune planted task: accuracy \(accuracy), majority \(majority), best epoch \(result.bestEpoch) "
              + "of \(result.epochsRun)")
        #expect(accuracy > majority + 0.05)
        #expect(result.trainLosses.last! < result.trainLosses.first!)
        #expect(result.validationScores[result.bestEpoch - 1] == result.validationScores.max())
        #expect(result.testProbabilities.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-9 })
    }

    /// Multi-label fine-tuning on the planted taste categories (multi-hot: a user's top three) scores above 0.5
    /// macro ROC-AUC and is reproducible.
    @Test func multiLabelFineTuneRanksAboveChanceAndIsDeterministic() throws {
        let encoder = TrainingFixtures.encoder
        let start = try Pretrainer.train(data: data, config: TrainingFixtures.config(.none, epochs: 1), seed: 2)
        let classes = TrainingFixtures.plantedClasses
        func row(_ user: Int32) -> [Bool] {
            let top = Set(TrainingFixtures.world.user(Int(data.sourceUsers[Int(user)])).favourites.prefix(3))
            return (0..<classes).map { top.contains($0) }
        }
        let task = FineTuneTask(
            trainUsers: data.trainUsers, trainTargets: .multiHot(data.trainUsers.map(row)),
            validationUsers: data.validationUsers, validationTargets: .multiHot(data.validationUsers.map(row)),
            testUsers: data.testUsers)
        let config = FineTuneConfig(epochs: 10, learningRate: 1e-3, patience: 4, batchSize: 32)
        let result = try FineTuner.train(data: data, encoder: encoder, checkpoint: start.checkpoint, task: task,
                                         config: config, seed: 1)
        let again = try FineTuner.train(data: data, encoder: encoder, checkpoint: start.checkpoint, task: task,
                                        config: config, seed: 1)
        #expect(result == again)
        let summary = Metrics.summarizeMultiLabel(truth: data.testUsers.map(row), scores: result.testProbabilities)
        let auc = try #require(summary.rocAUC)
        print("fine-tune planted multi-label: macro ROC-AUC \(auc)")
        #expect(auc > 0.6)
    }

    @Test func mismatchedLabelsAreRejected() throws {
        let start = try Pretrainer.train(data: data, config: TrainingFixtures.config(.none, epochs: 1), seed: 2)
        let task = FineTuneTask(
            trainUsers: [0, 1, 2], trainTargets: .classes([0, 1], count: 2), validationUsers: [],
            validationTargets: .classes([], count: 2), testUsers: [3])
        #expect(throws: EncoderError.self) {
            try FineTuner.train(data: data, encoder: TrainingFixtures.encoder, checkpoint: start.checkpoint,
                                task: task, seed: 1)
        }
        let outOfRange = FineTuneTask(
            trainUsers: [0, 1], trainTargets: .classes([0, 2], count: 2), validationUsers: [],
            validationTargets: .classes([], count: 2), testUsers: [3])
        #expect(throws: EncoderError.self) {
            try FineTuner.train(data: data, encoder: TrainingFixtures.encoder, checkpoint: start.checkpoint,
                                task: outOfRange, seed: 1)
        }
    }
}
