import Learning
import Sequences
import Testing

/// Budgets in steps or examples: exact, deterministic, and the epoch budget unchanged.
@Suite("Pretrainer budgets")
struct PretrainerBudgetTests {
    let data = TrainingFixtures.data

    @Test(arguments: [PretrainMethod.barlowTwins, .dualEncoder])
    func aStepBudgetStopsAfterExactlyThatManyStepsMidEpoch(method: PretrainMethod) throws {
        let perEpoch = data.trainUsers.count / 64
        var config = TrainingFixtures.config(method, epochs: 100)
        config.stepBudget = perEpoch + perEpoch / 2 + 1  // one and a half epochs and a step
        var epochs: [EpochMetrics] = []
        let result = try Pretrainer.train(data: data, config: config, seed: 3,
                                          callbacks: PretrainCallbacks(onEpoch: { epochs.append($0) }))
        #expect(result.steps == perEpoch + perEpoch / 2 + 1)
        #expect(result.examples == result.steps * 64)
        #expect(result.epochs == 2)
        #expect(epochs.map(\.step) == [perEpoch, result.steps])
        let again = try Pretrainer.train(data: data, config: config, seed: 3)
        #expect(again.checkpoint == result.checkpoint && again.history == result.history)
    }

    @Test func anExampleBudgetRoundsUpToWholeBatches() throws {
        var config = TrainingFixtures.config(.contrastive, epochs: 100)
        config.exampleBudget = 64 * 5 + 1
        let result = try Pretrainer.train(data: data, config: config, seed: 2)
        #expect(result.steps == 6)
        #expect(result.examples == 6 * 64)
        #expect(config.totalSteps(stepsPerEpoch: 10, batch: 64) == 6)
    }

    @Test func withoutABudgetEpochsDecideAsBefore() throws {
        let config = TrainingFixtures.config(.barlowTwins, epochs: 2)
        let perEpoch = data.trainUsers.count / 64
        let result = try Pretrainer.train(data: data, config: config, seed: 5)
        #expect(result.steps == 2 * perEpoch && result.epochs == 2 && result.history.count == 2)
        var budgeted = config
        budgeted.stepBudget = 2 * perEpoch  // the same steps as a budget: the same schedule and parameters
        #expect(try Pretrainer.train(data: data, config: budgeted, seed: 5).checkpoint == result.checkpoint)
    }
}
