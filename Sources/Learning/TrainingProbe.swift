import NeuralNet
import Randomness
import Sequences
import Tensors

/// The fast linear probe of `eval_every`: scores an encoder during pretraining on a fixed labelled subset, so a
/// curve of score against epoch shows whether training has converged. Pure.
///
/// The subset is drawn once from the stream `(seed, "eval-every")`, apart from every training stream (so
/// pretraining runs exactly as without it): up to ``maximumUsers`` labelled train users to fit on and up to
/// ``maximumUsers`` labelled validation users to score on (uniformly, then in increasing order). The probe is the
/// linear probe of PROTOCOL.md section 5 (standardised on the fitting users) with one fixed L2 strength, no grid:
/// multinomial for single-label tasks, scored by accuracy; one-vs-rest for the multi-label task, scored by macro
/// ROC-AUC. The encoder runs in evaluation mode (no dropout, no randomness).
public struct TrainingProbe: Sendable {
    /// The most users of each part: 1,000.
    public static let maximumUsers = 1000

    /// The task.
    public let task: TaskKind
    /// The users the probe is fitted on (labelled train users), increasing.
    public let fitUsers: [Int32]
    /// The users it is scored on (labelled validation users), increasing.
    public let scoreUsers: [Int32]
    /// The L2 strength.
    public let l2: Double
    private let labels: TaskLabels

    /// The probe of `task` on `data` for the run with `seed`, fitted with L2 `l2`; nil when the dataset has no
    /// labelled train or validation user for the task.
    /// - Throws: `DatasetError` when the dataset does not support the task.
    public init?(data: PreparedDataset, task: TaskKind, seed: UInt64, l2: Double,
                 maximumUsers: Int = TrainingProbe.maximumUsers) throws {
        let labels = try data.labels(for: task)
        var generator = SplitMix64(seed: seed, stream: "eval-every")
        func draw(_ users: [Int32]) -> [Int32] {
            var shuffled = labels.labelled(users)
            shuffled.seededShuffle(using: &generator)
            return Array(shuffled.prefix(maximumUsers)).sorted()
        }
        let fit = draw(data.trainUsers)
        let score = draw(data.validationUsers)
        guard fit.count >= 2, !score.isEmpty else { return nil }
        self.task = task
        self.labels = labels
        fitUsers = fit
        scoreUsers = score
        self.l2 = l2
    }

    /// The metric's name: `probe_accuracy`, or `probe_roc_auc` for the multi-label task.
    public var metricName: String { labels.isMultiLabel ? "probe_roc_auc" : "probe_accuracy" }

    /// The encoder's score: `[metricName: value]` (empty when the fitting users have a single class).
    public func score(_ encoder: any SequenceEncoder, data: PreparedDataset) -> [String: Double] {
        func features(_ users: [Int32]) -> FeatureMatrix {
            let matrix = UserEmbedder.encode(encoder, data: data, users: users)
            return FeatureMatrix(rows: users.count, columns: encoder.outputDimension,
                                 values: matrix.storage.map(Double.init))
        }
        let (train, test) = (features(fitUsers), features(scoreUsers))
        if labels.isMultiLabel {
            let width = labels.classCount
            func rows(_ users: [Int32]) -> [[Bool]] {
                users.map { user in (0..<width).map { labels.multiHot[Int(user) * width + $0] != 0 } }
            }
            let probe = LogisticRegression.MultiLabelProbe.fit(
                train: train, labels: rows(fitUsers), validation: FeatureMatrix(rows: 0, columns: train.columns,
                                                                              values: []),
                validationLabels: [], grid: [], fallback: l2, minimumValidation: 1, options: .probe)
            guard let auc = Metrics.macroROCAUC(truth: rows(scoreUsers), scores: probe.decision(test)).auc else {
                return [:]
            }
            return [metricName: auc]
        }
        let fitLabels = fitUsers.map { Int(labels.labels[Int($0)]) }
        guard Set(fitLabels).count >= 2 else { return [:] }
        let probe = LogisticRegression.Probe.fit(
            train: train, labels: fitLabels, classes: labels.classCount,
            validation: FeatureMatrix(rows: 0, columns: train.columns, values: []), validationLabels: [], grid: [],
            fallback: l2, minimumValidation: 1, options: .probe)
        let truth = scoreUsers.map { Int(labels.labels[Int($0)]) }
        return [metricName: Metrics.accuracy(truth: truth, predicted: probe.predict(test)) ?? 0]
    }
}
