import Foundation
import NeuralNet
import Randomness
import Sequences
import Tensors

/// Settings of the `fine_tune` protocol (PROTOCOL.md section 5); defaults match the experiment spec's.
public struct FineTuneConfig: Sendable, Equatable, Codable {
    /// Maximum epochs over the labelled users.
    public var epochs: Int = 50
    /// AdamW learning rate (constant) for encoder and head.
    public var learningRate: Float = 1e-4
    /// AdamW's decoupled weight decay.
    public var weightDecay: Float = 1e-6
    /// Stop after this many epochs without a better validation score.
    public var patience: Int = 5
    /// Labelled users per step.
    public var batchSize: Int = 64
    /// Global gradient-norm clip, or nil for none.
    public var gradientClip: Float? = 1.0
    /// Learning rates to choose from on the validation labels (one full fine-tuning per rate, each with early
    /// stopping); empty (default): `learningRate` alone.
    public var learningRateGrid: [Float] = []
    /// Probe-then-fine-tune: the head starts from a linear probe fitted with these settings on the pretrained
    /// encoder's embeddings of the labelled users (L2 chosen on the validation labels); nil (default): the head
    /// starts at zero.
    public var probeInitialization: LinearProbeEvaluation.Settings? = nil
    /// The optimiser: AdamW (default) or lazy AdamW, which updates and clips the item embedding only in the rows a
    /// step touched, so a step costs O(rows touched) instead of O(vocabulary) (see `Adam`'s lazy variant).
    public var optimizer: PretrainOptimizer = .adamW

    /// A configuration with the defaults unless given.
    public init(epochs: Int = 50, learningRate: Float = 1e-4, weightDecay: Float = 1e-6, patience: Int = 5,
                batchSize: Int = 64, gradientClip: Float? = 1.0, learningRateGrid: [Float] = [],
                probeInitialization: LinearProbeEvaluation.Settings? = nil, optimizer: PretrainOptimizer = .adamW) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.weightDecay = weightDecay
        self.patience = patience
        self.batchSize = batchSize
        self.gradientClip = gradientClip
        self.learningRateGrid = learningRateGrid
        self.probeInitialization = probeInitialization
        self.optimizer = optimizer
    }

    /// The learning rates tried: the grid, or `learningRate` alone.
    public var learningRates: [Float] { learningRateGrid.isEmpty ? [learningRate] : learningRateGrid }
}

/// Labels of a fine-tuning split: one class per user, or a multi-hot row per user (`future_categories`).
public enum FineTuneTargets: Sendable, Equatable {
    /// Class indices in `0..<count`, one per user.
    case classes([Int], count: Int)
    /// `[users][L]` multi-hot rows.
    case multiHot([[Bool]])

    /// Number of users labelled.
    public var count: Int {
        switch self {
        case .classes(let labels, _): labels.count
        case .multiHot(let rows): rows.count
        }
    }
}

/// The users and labels of one fine-tuning job: plain arrays of user indices into the prepared dataset.
public struct FineTuneTask: Sendable, Equatable {
    /// The labelled train users.
    public var trainUsers: [Int32]
    /// Their labels (same order).
    public var trainTargets: FineTuneTargets
    /// The validation users used for early stopping (may be empty: then all epochs run).
    public var validationUsers: [Int32]
    /// Their labels, of the same kind as `trainTargets`.
    public var validationTargets: FineTuneTargets
    /// The users to predict.
    public var testUsers: [Int32]

    /// A task from its parts.
    public init(trainUsers: [Int32], trainTargets: FineTuneTargets, validationUsers: [Int32],
                validationTargets: FineTuneTargets, testUsers: [Int32]) {
        self.trainUsers = trainUsers
        self.trainTargets = trainTargets
        self.validationUsers = validationUsers
        self.validationTargets = validationTargets
        self.testUsers = testUsers
    }
}

/// What fine-tuning returns: test probabilities from the epoch with the best validation score.
public struct FineTuneResult: Sendable, Equatable {
    /// `[testUsers][C]`: softmax probabilities (single label) or per-class sigmoids (multi-label); feed
    /// `Metrics.summarize` or `Metrics.summarizeMultiLabel`.
    public var testProbabilities: [[Double]]
    /// Validation accuracy (macro ROC-AUC for multi-label) after each epoch run; ties are broken by the lower
    /// validation cross-entropy when picking the best epoch.
    public var validationScores: [Double]
    /// Mean training loss of each epoch run.
    public var trainLosses: [Double]
    /// The 1-based epoch whose parameters produced `testProbabilities`.
    public var bestEpoch: Int
    /// Epochs run before stopping.
    public var epochsRun: Int
    /// The learning rate of the chosen run (the only one without a grid).
    public var learningRate: Float = 0
    /// With a grid: the best validation score of each learning rate, in grid order; empty otherwise.
    public var learningRateScores: [Double] = []
    /// Probe-then-fine-tune: the L2 strength of the probe the head started from; nil for a zero head.
    public var probeL2: Double? = nil
}

/// Fine-tunes a pretrained encoder end to end with a linear head `d → C` (over the embedding standardised with
/// the labelled users' statistics, weights starting at zero; see `FineTuneHead`): cross-entropy (single label) or
/// binary cross-entropy with logits over multi-hot rows, AdamW, early stopping on the validation score with
/// `patience`, then predicts the test users with the best epoch's parameters. Pure and deterministic for a
/// seed: batches from `(seed, "fine-tune-data").child(epoch)`, dropout from `(seed, "fine-tune-dropout")`,
/// head from `(seed, "fine-tune-head")`.
///
/// With a learning-rate grid, each rate runs the whole procedure from the pretrained encoder with the same seed
/// (the same batches and dropout masks: the rates are compared paired); the rate whose best epoch has the highest
/// validation score wins (ties: the lower validation loss, then the earlier grid entry), and its test
/// probabilities are returned. Without validation labels only the first rate runs. With probe initialisation the
/// head's standardisation and weights are those of a linear probe fitted once on the pretrained encoder's
/// (eval-mode) embeddings, so epoch 0 predicts exactly as the probe does.
public enum FineTuner {
    /// Runs the fine-tuning job.
    /// - Parameters:
    ///   - data: the prepared dataset (histories are the encoder's input).
    ///   - encoder: the architecture of `checkpoint`.
    ///   - checkpoint: the pretrained encoder's bytes (`PretrainResult.checkpoint`).
    ///   - task: labelled users and the users to predict.
    ///   - checkCancellation: called before every epoch; its error stops the job.
    /// - Throws: `EncoderError` for bad bytes, settings or labels, or an encoder window shorter than the
    ///   dataset's; what `checkCancellation` throws.
    public static func train(data: PreparedDataset, encoder encoderConfig: EncoderConfig, checkpoint: [UInt8],
                             task: FineTuneTask, config: FineTuneConfig = FineTuneConfig(), seed: UInt64,
                             checkCancellation: () throws -> Void = {}) throws -> FineTuneResult {
        let rates = config.learningRates
        guard config.epochs >= 1, config.batchSize >= 1, config.patience >= 1, rates.allSatisfy({ $0 > 0 }) else {
            throw EncoderError("fine_tune: epochs, batch_size and patience must be ≥ 1 and every lr > 0, got epochs "
                               + "\(config.epochs), batch_size \(config.batchSize), patience \(config.patience), "
                               + "lr \(rates.map { "\($0)" }.joined(separator: ", "))")
        }
        let classes = try validate(task)
        guard encoderConfig.maxLength >= data.config.maxLength else {
            throw EncoderError("fine_tune: encoder max_length \(encoderConfig.maxLength) is shorter than the dataset's "
                               + "max_length \(data.config.maxLength)")
        }
        let start = try config.probeInitialization.map { settings in
            try probeStart(data: data, encoder: encoderConfig, checkpoint: checkpoint, task: task, classes: classes,
                           settings: settings)
        }
        let tried = task.validationUsers.isEmpty ? [rates[0]] : rates
        var best: Run?
        var scores: [Double] = []
        for rate in tried {
            let run = try train(data: data, encoder: encoderConfig, checkpoint: checkpoint, task: task,
                                classes: classes, config: config, learningRate: rate, start: start, seed: seed,
                                checkCancellation: checkCancellation)
            scores.append(run.score)
            if let current = best,
                !(run.score > current.score || (run.score == current.score && run.loss < current.loss)) {
                continue
            }
            best = run
        }
        var result = best!.result
        result.learningRateScores = config.learningRateGrid.isEmpty ? [] : scores
        result.probeL2 = start?.l2
        return result
    }

    /// One fine-tuning run's result with its best validation score and loss (for choosing a learning rate).
    private struct Run {
        var result: FineTuneResult
        var score: Double
        var loss: Double
    }

    /// A head fitted as a linear probe: the standardisation, weights `[d, C]` and bias `[C]`, and the probe's L2.
    struct ProbeStart {
        var means: [Float]
        var inverseScales: [Float]
        var weights: [Float]
        var bias: [Float]
        var l2: Double
    }

    /// Fits the linear probe of `settings` on the pretrained encoder's eval-mode embeddings of the train users
    /// (L2 chosen on the validation users) and returns it as head parameters: `W[j, c] = w_c[j]`, `b[c] = b_c`.
    static func probeStart(data: PreparedDataset, encoder encoderConfig: EncoderConfig, checkpoint: [UInt8],
                           task: FineTuneTask, classes: Int,
                           settings: LinearProbeEvaluation.Settings) throws -> ProbeStart {
        let encoder = try EncoderFactory.restore(encoderConfig, checkpoint: checkpoint)
        func features(_ users: [Int32]) -> FeatureMatrix {
            let matrix = UserEmbedder.encode(encoder, data: data, users: users)
            return FeatureMatrix(rows: matrix.rows, columns: encoder.outputDimension,
                                 values: matrix.storage.map(Double.init))
        }
        let (train, validation) = (features(task.trainUsers), features(task.validationUsers))
        let d = encoder.outputDimension
        var weights = [Float](repeating: 0, count: d * classes)
        var bias = [Float](repeating: 0, count: classes)
        let standardizer: Standardizer
        let l2: Double
        switch (task.trainTargets, task.validationTargets) {
        case (.classes(let labels, _), .classes(let validationLabels, _)):
            let probe = LogisticRegression.Probe.fit(
                train: train, labels: labels, classes: classes, validation: validation,
                validationLabels: validationLabels, grid: settings.l2Grid, fallback: settings.defaultL2,
                minimumValidation: settings.minimumValidationLabels, options: settings.options)
            for c in 0..<classes {
                for j in 0..<d { weights[j * classes + c] = Float(probe.model.weights[c * d + j]) }
                bias[c] = Float(probe.model.bias[c])
            }
            (standardizer, l2) = (probe.standardizer, probe.selection.l2)
        case (.multiHot(let rows), .multiHot(let validationRows)):
            let probe = LogisticRegression.MultiLabelProbe.fit(
                train: train, labels: rows, validation: validation, validationLabels: validationRows,
                grid: settings.l2Grid, fallback: settings.defaultL2,
                minimumValidation: settings.minimumValidationLabels, options: settings.options)
            for (c, model) in probe.model.models.enumerated() {
                for j in 0..<d { weights[j * classes + c] = Float(model.weights[j]) }
                bias[c] = Float(model.bias)
            }
            (standardizer, l2) = (probe.standardizer, probe.selection.l2)
        default:
            throw EncoderError("fine_tune: train and validation labels are of different kinds (classes vs multi-hot)")
        }
        return ProbeStart(means: standardizer.means.map(Float.init),
                          inverseScales: standardizer.scales.map { Float(1 / $0) }, weights: weights, bias: bias,
                          l2: l2)
    }

    /// One fine-tuning run at `learningRate` from the pretrained encoder (and the probe's head, when given).
    private static func train(data: PreparedDataset, encoder encoderConfig: EncoderConfig, checkpoint: [UInt8],
                              task: FineTuneTask, classes: Int, config: FineTuneConfig, learningRate: Float,
                              start: ProbeStart?, seed: UInt64,
                              checkCancellation: () throws -> Void) throws -> Run {
        let encoder = try EncoderFactory.restore(encoderConfig, checkpoint: checkpoint)
        var headGenerator = Xoshiro256StarStar(seed: seed).derived("fine-tune-head")
        let head: FineTuneHead
        if let start {
            head = FineTuneHead(means: start.means, inverseStd: start.inverseScales, weights: start.weights,
                                bias: start.bias, classes: classes, generator: &headGenerator)
        } else {
            let reference = UserEmbedder.encode(encoder, data: data, users: task.trainUsers)
            head = FineTuneHead(reference: reference, classes: classes, generator: &headGenerator)
        }
        let parameters = encoder.parameters + head.parameters
        let lazy = config.optimizer == .lazyAdamW
        let optimizer = Adam.adamW(parameters: parameters, learningRate: learningRate,
                                   weightDecay: config.weightDecay, lazy: lazy)
        let dataRoot = SplitMix64(seed: seed, stream: "fine-tune-data")
        var dropout = Xoshiro256StarStar(seed: seed).derived("fine-tune-dropout")

        var best = -Double.infinity
        var bestLoss = Double.infinity
        var bestEpoch = 0
        var bestValues = parameters.map(\.value)
        var sinceBest = 0
        var scores: [Double] = []
        var losses: [Double] = []
        for epoch in 0..<config.epochs {
            try checkCancellation()
            var generator = dataRoot.child(UInt64(epoch))
            var lossSum = 0.0
            var steps = 0
            for slice in EpochBatches(count: task.trainUsers.count, batchSize: config.batchSize, using: &generator) {
                let rows = Array(slice)
                Parameter.zeroGrads(parameters)
                let batch = data.historyBatch(users: rows.map { task.trainUsers[$0] })
                let logits = head.forward(encoder.forward(batch.tokenBatch, training: true, generator: &dropout))
                let (loss, gradient) = lossAndGradient(logits: logits, targets: task.trainTargets, rows: rows)
                encoder.backward(head.backward(gradient))
                if let clip = config.gradientClip { clipGradientNorm(parameters, maxNorm: clip, sparseRows: lazy) }
                optimizer.step()
                lossSum += Double(loss)
                steps += 1
            }
            losses.append(lossSum / Double(max(steps, 1)))
            let score: Double
            let validationLoss: Double
            if task.validationUsers.isEmpty {
                (score, validationLoss) = (Double(epoch), 0)  // no validation labels: the last epoch wins
            } else {
                let probabilities = predict(encoder: encoder, head: head, data: data, users: task.validationUsers,
                                            multiLabel: isMultiLabel(task.trainTargets))
                score = validationScore(probabilities, targets: task.validationTargets)
                validationLoss = crossEntropy(probabilities, targets: task.validationTargets)
            }
            scores.append(score)
            // Better: a higher score, or the same score with a lower validation loss (moves through plateaus of
            // accuracy, which is coarse with few validation labels).
            if score > best || (score == best && validationLoss < bestLoss) {
                best = score
                bestLoss = validationLoss
                bestEpoch = epoch + 1
                bestValues = parameters.map(\.value)
                sinceBest = 0
            } else {
                sinceBest += 1
                if sinceBest >= config.patience { break }
            }
        }
        for (parameter, value) in zip(parameters, bestValues) { parameter.value = value }
        let test = predict(encoder: encoder, head: head, data: data, users: task.testUsers,
                           multiLabel: isMultiLabel(task.trainTargets))
        let result = FineTuneResult(testProbabilities: test, validationScores: scores, trainLosses: losses,
                                    bestEpoch: bestEpoch, epochsRun: scores.count, learningRate: learningRate)
        return Run(result: result, score: best, loss: bestLoss)
    }

    /// The class count after checking that the targets agree with the users.
    static func validate(_ task: FineTuneTask) throws(EncoderError) -> Int {
        guard task.trainUsers.count == task.trainTargets.count, !task.trainUsers.isEmpty else {
            throw EncoderError("fine_tune: \(task.trainUsers.count) train users with \(task.trainTargets.count) "
                               + "labels, expected the same non-zero number")
        }
        guard task.validationUsers.count == task.validationTargets.count else {
            throw EncoderError("fine_tune: \(task.validationUsers.count) validation users with "
                               + "\(task.validationTargets.count) labels, expected the same number")
        }
        switch (task.trainTargets, task.validationTargets) {
        case (.classes(let labels, let count), .classes(let validation, let validationCount)):
            guard count >= 2, validationCount == count else {
                throw EncoderError("fine_tune: class count \(count) (validation \(validationCount)), expected ≥ 2 "
                                   + "and equal")
            }
            if let bad = (labels + validation).first(where: { !(0..<count).contains($0) }) {
                throw EncoderError("fine_tune: label \(bad) outside 0..<\(count)")
            }
            return count
        case (.multiHot(let rows), .multiHot(let validation)):
            let width = rows.first?.count ?? 0
            guard width >= 1, (rows + validation).allSatisfy({ $0.count == width }) else {
                throw EncoderError("fine_tune: multi-hot rows of unequal or zero width (first \(width))")
            }
            return width
        default:
            throw EncoderError("fine_tune: train and validation labels are of different kinds (classes vs multi-hot)")
        }
    }

    static func isMultiLabel(_ targets: FineTuneTargets) -> Bool {
        if case .multiHot = targets { return true }
        return false
    }

    /// Loss and `∂logits` of `logits` `[b, C]` against `targets` at `rows`.
    static func lossAndGradient(logits: Tensor, targets: FineTuneTargets, rows: [Int]) -> (Float, Tensor) {
        switch targets {
        case .classes(let labels, _):
            let result = Losses.softmaxCrossEntropy(logits, labels: rows.map { labels[$0] })
            return (result.loss, result.gradient)
        case .multiHot(let multiHot):
            let flat = rows.flatMap { multiHot[$0].map { $0 ? Float(1) : 0 } }
            let targets = Tensor(shape: logits.shape, storage: flat)
            let result = Losses.binaryCrossEntropyWithLogits(logits, targets: targets)
            return (result.loss, result.gradient)
        }
    }

    /// Eval-mode probabilities `[users][C]`: softmax rows, or element-wise sigmoids when `multiLabel`.
    static func predict(encoder: any SequenceEncoder, head: FineTuneHead, data: PreparedDataset, users: [Int32],
                        multiLabel: Bool) -> [[Double]] {
        guard !users.isEmpty else { return [] }
        let logits = head.forward(UserEmbedder.encode(encoder, data: data, users: users))
        let c = logits.columns
        return (0..<users.count).map { r in
            let row = (0..<c).map { Double(logits.storage[r * c + $0]) }
            if multiLabel { return row.map { 1 / (1 + Foundation.exp(-$0)) } }
            let top = row.max()!
            let exps = row.map { Foundation.exp($0 - top) }
            let sum = exps.reduce(0, +)
            return exps.map { $0 / sum }
        }
    }

    /// Mean cross-entropy of `probabilities` against `targets` (per-class binary for multi-hot), probabilities
    /// floored at 1e-12.
    static func crossEntropy(_ probabilities: [[Double]], targets: FineTuneTargets) -> Double {
        guard !probabilities.isEmpty else { return 0 }
        var total = 0.0
        switch targets {
        case .classes(let labels, _):
            for (row, label) in zip(probabilities, labels) { total -= Foundation.log(max(row[label], 1e-12)) }
        case .multiHot(let rows):
            for (row, truth) in zip(probabilities, rows) {
                for (p, y) in zip(row, truth) { total -= Foundation.log(max(y ? p : 1 - p, 1e-12)) / Double(row.count) }
            }
        }
        return total / Double(probabilities.count)
    }

    /// Accuracy of the argmax (single label) or macro ROC-AUC (multi-label; 0.5 when undefined).
    static func validationScore(_ probabilities: [[Double]], targets: FineTuneTargets) -> Double {
        switch targets {
        case .classes(let labels, _):
            let predicted = probabilities.map { row -> Int in
                var best = 0
                for k in row.indices where row[k] > row[best] { best = k }
                return best
            }
            return Metrics.accuracy(truth: labels, predicted: predicted) ?? 0
        case .multiHot(let rows):
            return Metrics.macroROCAUC(truth: rows, scores: probabilities).auc ?? 0.5
        }
    }
}
