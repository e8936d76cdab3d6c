import Learning
import Sequences
import Testing

/// An error the cancellation hook throws in tests.
struct Cancelled: Error, Equatable {}

@Suite("Pretrainer")
struct PretrainerTests {
    let data = TrainingFixtures.data

    @Test(arguments: [PretrainMethod.barlowTwins, .contrastive, .dualEncoder])
    func lossFalls(method: PretrainMethod) throws {
        let result = try Pretrainer.train(data: data, config: TrainingFixtures.config(method, epochs: 10), seed: 1)
        let first = try #require(result.history.first?.values["loss"])
        let last = try #require(result.metrics["loss"])
        #expect(result.history.count == 10)
        #expect(result.steps == 10 * (data.trainUsers.count / 64))
        #expect(last < 0.9 * first, "\(method): loss \(first) → \(last)")
        if method == .barlowTwins {
            let on = try #require(result.metrics["on_diagonal"])
            let off = try #require(result.metrics["off_diagonal"])
            #expect(abs(on + off - last) < 1e-3 * last)
        }
        if method == .dualEncoder {
            let recall = try #require(result.metrics["recall_at_10"])
            #expect((0...1).contains(recall))
        }
    }

    @Test func noneIsTheSeededInitialEncoderWithoutSteps() throws {
        let config = TrainingFixtures.config(.none, epochs: 10)
        var progress: [Double] = []
        let result = try Pretrainer.train(data: data, config: config, seed: 4,
                                          callbacks: PretrainCallbacks(onProgress: { progress.append($0) }))
        #expect(result.steps == 0 && result.history.isEmpty && result.metrics.isEmpty)
        #expect(progress == [1])
        let fresh = try EncoderFactory.make(config.encoder, seed: 4)
        #expect(result.checkpoint == EncoderFactory.checkpointBytes(of: fresh))
        let other = try EncoderFactory.make(config.encoder, seed: 5)
        #expect(result.checkpoint != EncoderFactory.checkpointBytes(of: other))
    }

    @Test func sameSeedGivesIdenticalResultsAndAnotherSeedDoesNot() throws {
        let config = TrainingFixtures.config(.barlowTwins, epochs: 3)
        let a = try Pretrainer.train(data: data, config: config, seed: 7)
        let b = try Pretrainer.train(data: data, config: config, seed: 7)
        let c = try Pretrainer.train(data: data, config: config, seed: 8)
        #expect(a.history == b.history)
        #expect(a.checkpoint == b.checkpoint)
        #expect(a.metrics != c.metrics)
        #expect(a.checkpoint != c.checkpoint)
    }

    @Test(arguments: [PretrainMethod.barlowTwins, .contrastive, .dualEncoder])
    func resumingFromACheckpointMatchesTheUninterruptedRun(method: PretrainMethod) throws {
        let config = TrainingFixtures.config(method, epochs: 4)
        var states: [TrainingState] = []
        var epochs: [Int] = []
        let full = try Pretrainer.train(
            data: data, config: config, seed: 3,
            callbacks: PretrainCallbacks(checkpointEvery: 2, onEpoch: { epochs.append($0.epoch) },
                                         onCheckpoint: { states.append($0) }))
        #expect(epochs == [1, 2, 3, 4])
        #expect(states.map(\.epoch) == [2])  // none after the last epoch
        let saved = try #require(states.first)
        let reread = try TrainingState(bytes: saved.bytes)
        #expect(reread == saved)
        var resumedEpochs: [Int] = []
        let resumed = try Pretrainer.train(data: data, config: config, seed: 3, resume: reread,
                                           callbacks: PretrainCallbacks(onEpoch: { resumedEpochs.append($0.epoch) }))
        #expect(resumedEpochs == [3, 4])
        #expect(resumed.steps == full.steps)
        #expect(resumed.checkpoint == full.checkpoint)
        #expect(resumed.metrics == full.metrics)
    }

    @Test func resumingWithAnotherSeedIsRefused() throws {
        let config = TrainingFixtures.config(.barlowTwins, epochs: 2)
        var states: [TrainingState] = []
        _ = try Pretrainer.train(data: data, config: config, seed: 3,
                                 callbacks: PretrainCallbacks(checkpointEvery: 1, onCheckpoint: { states.append($0) }))
        let state = try #require(states.first)
        #expect(throws: EncoderError.self) {
            try Pretrainer.train(data: data, config: config, seed: 4, resume: state)
        }
    }

    @Test func cancellationStopsTrainingPromptly() throws {
        var checks = 0
        var epochsSeen = 0
        let callbacks = PretrainCallbacks(
            cancellationInterval: 1, onEpoch: { _ in epochsSeen += 1 },
            checkCancellation: {
                checks += 1
                if checks == 3 { throw Cancelled() }
            })
        #expect(throws: Cancelled.self) {
            try Pretrainer.train(data: data, config: TrainingFixtures.config(.barlowTwins, epochs: 50), seed: 1,
                                 callbacks: callbacks)
        }
        #expect(checks == 3)
        #expect(epochsSeen == 0)
    }

    @Test func progressRisesToOneAndEpochMetricsArriveInOrder() throws {
        var progress: [Double] = []
        var epochs: [EpochMetrics] = []
        let callbacks = PretrainCallbacks(cancellationInterval: 1, onEpoch: { epochs.append($0) },
                                          onProgress: { progress.append($0) })
        let result = try Pretrainer.train(data: data, config: TrainingFixtures.config(.contrastive, epochs: 3), seed: 1,
                                          callbacks: callbacks)
        #expect(epochs == result.history)
        #expect(epochs.map(\.step) == [1, 2, 3].map { $0 * result.stepsPerEpoch })
        #expect(progress.last == 1)
        #expect(progress.count > 3)  // also within epochs, at the cancellation checks
        #expect(zip(progress, progress.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func aDivergingRunStopsWithAClearError() throws {
        var config = TrainingFixtures.config(.barlowTwins, epochs: 3)
        config.learningRate = 1e9
        config.gradientClip = nil
        config.warmupFraction = 0
        #expect {
            try Pretrainer.train(data: data, config: config, seed: 1)
        } throws: { error in
            (error as? EncoderError)?.message.contains("diverged") == true
        }
    }

    @Test func invalidSettingsNameTheField() throws {
        var config = TrainingFixtures.config(.barlowTwins, epochs: 1)
        config.encoder.heads = 3
        #expect {
            try Pretrainer.train(data: data, config: config, seed: 1)
        } throws: { error in
            (error as? EncoderError)?.message.contains("encoder.heads") == true
        }
        config = TrainingFixtures.config(.barlowTwins, epochs: 1)
        config.encoder.maxLength = 10
        #expect {
            try Pretrainer.train(data: data, config: config, seed: 1)
        } throws: { error in
            (error as? EncoderError)?.message.contains("max_length") == true
        }
    }

    /// The planted task: each user's strongest synthetic taste category (12 classes). Barlow Twins embeddings must
    /// beat the random `none` encoder under the linear probe, averaged over two seeds.
    @Test func barlowTwinsBeatsTheRandomEncoderWithALinearProbe() throws {
        let world = SyntheticWorld(
            config: SyntheticConfig(users: 1000, items: 500, categories: 12, meanLength: 30, seed: 11))
        let data = try PreparedDataset(world.dataset(), config: Preprocessing(maxLength: 20, seed: 5))
        func label(_ user: Int32) -> Int { world.user(Int(data.sourceUsers[Int(user)])).favourites[0] }
        let encoder = EncoderConfig(itemCount: data.itemCount, dimension: 32, blocks: 1, heads: 2, feedForward: 64,
                                    maxLength: 20)
        func probeAccuracy(_ method: PretrainMethod, seed: UInt64) throws -> Double {
            let config = PretrainConfig(method: method, encoder: encoder, epochs: 15, batchSize: 128,
                                        warmupFraction: 0.1, projector: [64, 64])
            let result = try Pretrainer.train(data: data, config: config, seed: seed)
            let embedder = try UserEmbedder(config: result.encoder, checkpoint: result.checkpoint)
            let probe = LogisticRegression.Probe.fit(
                train: FeatureMatrix(embedder.embed(data: data, users: data.trainUsers)),
                labels: data.trainUsers.map(label), classes: 12,
                validation: FeatureMatrix(embedder.embed(data: data, users: data.validationUsers)),
                validationLabels: data.validationUsers.map(label))
            let predicted = probe.predict(FeatureMatrix(embedder.embed(data: data, users: data.testUsers)))
            return try #require(Metrics.accuracy(truth: data.testUsers.map(label), predicted: predicted))
        }
        let seeds: [UInt64] = [1, 2]
        let barlow = try seeds.map { try probeAccuracy(.barlowTwins, seed: $0) }.reduce(0, +) / 2
        let none = try seeds.map { try probeAccuracy(.none, seed: $0) }.reduce(0, +) / 2
        print("planted task, linear probe accuracy: barlow_twins \(barlow), none \(none)")
        #expect(barlow > none + 0.07)
    }
}
