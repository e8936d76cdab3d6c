import Learning
import Sequences

/// A tiny synthetic world shared by the training tests (built once per process).
enum TrainingFixtures {
    /// The synthetic world (`tiny` preset: 300 users, 400 items, 12 categories).
    static let world = SyntheticWorld(config: SyntheticConfig.preset("tiny", seed: 3)!)

    /// The prepared dataset, encoder window 20 for speed.
    static let data: PreparedDataset = {
        try! PreparedDataset(world.dataset(name: "tiny"), config: Preprocessing(maxLength: 20, seed: 5))
    }()

    /// A small Transformer: d 32, 1 block, 2 heads, ff 64, window 20.
    static var encoder: EncoderConfig {
        EncoderConfig(kind: .transformer, itemCount: data.itemCount, dimension: 32, blocks: 1, heads: 2,
                      feedForward: 64, dropout: 0.1, maxLength: 20)
    }

    /// A fast configuration of `method`: batch 64, projector 64-64.
    static func config(_ method: PretrainMethod, epochs: Int, encoder: EncoderConfig = encoder) -> PretrainConfig {
        PretrainConfig(method: method, encoder: encoder, epochs: epochs, batchSize: 64, warmupFraction: 0.1,
                       projector: [64, 64])
    }

    /// The planted label of prepared user `u`: its strongest synthetic taste category.
    static func plantedLabel(_ user: Int32) -> Int {
        world.user(Int(data.sourceUsers[Int(user)])).favourites[0]
    }

    /// The number of planted classes.
    static var plantedClasses: Int { world.config.categories }

    /// Fine-tuning on the planted label: every train and validation user labelled, the test users to predict.
    static var plantedFineTuneTask: FineTuneTask {
        FineTuneTask(
            trainUsers: data.trainUsers, trainTargets: .classes(data.trainUsers.map(plantedLabel), count: plantedClasses),
            validationUsers: data.validationUsers,
            validationTargets: .classes(data.validationUsers.map(plantedLabel), count: plantedClasses),
            testUsers: data.testUsers)
    }
}
