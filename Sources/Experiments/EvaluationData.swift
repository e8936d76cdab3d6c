import Sequences

/// The users and labels one evaluation uses (PROTOCOL.md section 5), for a prepared dataset, a task, a label
/// fraction and the experiment seed.
///
/// - Train: the stratified labelled subset of the labelled train users, `n = max(round(f · N_train), 2 · C)`
///   (at most `N_train`), drawn by `LabelSampler` from the stream (seed, "labels-train", fraction).
/// - Validation: the labelled validation users subsampled the same way (stream "labels-validation").
/// - Test: every labelled test user.
///
/// "Labelled" follows `TaskLabels`: a user whose future has no vocabulary category has no label for the
/// category tasks. The subsets depend only on (dataset, task, fraction, seed), never on the method, so every
/// method of a seed is evaluated on the same users. Single-label tasks fill the `…Labels` arrays (class indices);
/// the multi-label `future_categories` fills the `…MultiLabels` arrays (`[users][classCount]`) and leaves the
/// others empty.
public struct EvaluationData: Sendable, Equatable {
    /// The task.
    public var task: TaskKind
    /// The label fraction `f` in `(0, 1]`.
    public var fraction: Double
    /// The seed the subsets were drawn with (the experiment seed).
    public var seed: UInt64
    /// Class names (multi-label: the label columns), `[classCount]`.
    public var classNames: [String]
    /// Labelled train users, in increasing order, `[n]`.
    public var trainUsers: [Int32]
    /// Subsampled validation users, in increasing order.
    public var validationUsers: [Int32]
    /// Labelled test users, in increasing order.
    public var testUsers: [Int32]
    /// Class of each train user (single-label tasks), `[n]`.
    public var trainLabels: [Int]
    /// Class of each validation user (single-label tasks).
    public var validationLabels: [Int]
    /// Class of each test user (single-label tasks).
    public var testLabels: [Int]
    /// Label row of each train user (multi-label tasks), `[n][classCount]`.
    public var trainMultiLabels: [[Bool]]
    /// Label row of each validation user (multi-label tasks).
    public var validationMultiLabels: [[Bool]]
    /// Label row of each test user (multi-label tasks).
    public var testMultiLabels: [[Bool]]
    /// The labelled train users available before subsampling, `N_train`.
    public var availableTrainCount: Int
    /// Accuracy on the test users of always predicting the whole train split's majority class (multi-label: the
    /// mean over columns of predicting each column's train-majority value), from `TaskLabels`.
    public var majorityAccuracy: Double

    /// Number of classes (label columns for multi-label tasks).
    public var classCount: Int { classNames.count }
    /// The labelled count `n` actually used (the curve's x axis).
    public var labelledCount: Int { trainUsers.count }
    /// Whether the task is multi-label.
    public var isMultiLabel: Bool { task.isMultiLabel }

    /// The subsets of `labels` (computed on `dataset`) for `fraction` and `seed` (default the dataset's seed,
    /// which ``DatasetRequest`` sets to the experiment seed).
    /// - Throws: `DatasetRequestError` when the fraction is outside `(0, 1]`, or when no train or test user has a
    ///   label.
    public init(dataset: PreparedDataset, labels: TaskLabels, fraction: Double, seed: UInt64? = nil) throws {
        guard fraction > 0 && fraction <= 1 else {
            throw DatasetRequestError("label fraction \(fraction) is outside (0, 1]")
        }
        precondition(labels.labels.count == dataset.userCount, "EvaluationData: labels of another dataset")
        let seed = seed ?? dataset.config.seed
        let subsets = dataset.labelSubsets(labels, fraction: fraction, seed: seed)
        let test = labels.labelled(dataset.testUsers)
        guard !subsets.train.isEmpty else {
            throw DatasetRequestError(
                "task '\(labels.task.rawValue)' on dataset '\(dataset.name)': no train user has a label")
        }
        guard !test.isEmpty else {
            throw DatasetRequestError(
                "task '\(labels.task.rawValue)' on dataset '\(dataset.name)': no test user has a label")
        }
        task = labels.task
        self.fraction = fraction
        self.seed = seed
        classNames = labels.classNames
        trainUsers = subsets.train
        validationUsers = subsets.validation
        testUsers = test
        availableTrainCount = labels.labelledCounts[.train] ?? 0
        majorityAccuracy = labels.majorityAccuracy[.test] ?? 0
        if labels.isMultiLabel {
            let width = labels.classCount
            func rows(_ users: [Int32]) -> [[Bool]] {
                users.map { user in (0..<width).map { labels.multiHot[Int(user) * width + $0] != 0 } }
            }
            trainMultiLabels = rows(trainUsers)
            validationMultiLabels = rows(validationUsers)
            testMultiLabels = rows(testUsers)
            trainLabels = []
            validationLabels = []
            testLabels = []
        } else {
            func classes(_ users: [Int32]) -> [Int] { users.map { Int(labels.labels[Int($0)]) } }
            trainLabels = classes(trainUsers)
            validationLabels = classes(validationUsers)
            testLabels = classes(testUsers)
            trainMultiLabels = []
            validationMultiLabels = []
            testMultiLabels = []
        }
    }

    /// Computes the labels of `task` and the subsets (see ``init(dataset:labels:fraction:seed:)``).
    /// - Throws: `DatasetRequestError` when the dataset does not support the task or has no labels.
    public init(dataset: PreparedDataset, task: TaskKind, fraction: Double, seed: UInt64? = nil) throws {
        try self.init(dataset: dataset, labels: dataset.labels(for: task), fraction: fraction, seed: seed)
    }

    /// The subsets for an `evaluate` job, with the dataset and labels from `cache`.
    /// - Throws: ``ExperimentSpecError`` at `task` for an unknown task name, and what the cache throws.
    public init(
        payload: EvaluatePayload, request: DatasetRequest, cache: DatasetCache = .shared,
        loader: any DatasetSourceLoader = LocalDatasetSource()
    ) throws {
        guard let task = TaskKind(rawValue: payload.task) else {
            throw ExperimentSpecError(path: "task", message: "unknown task \"\(payload.task)\"")
        }
        let request = request.withSeed(UInt64(payload.seed))
        try self.init(
            dataset: cache.prepared(request, from: loader), labels: cache.labels(request, task: task, from: loader), fraction: payload.fraction,
            seed: UInt64(payload.seed))
    }
}
