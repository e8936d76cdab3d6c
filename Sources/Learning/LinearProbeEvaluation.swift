/// The `linear_probe` protocol on ready-made embeddings (PROTOCOL.md section 5), pure.
///
/// Inputs are one embedding per user (`embeddings[u]`, `[userCount][d]`, e.g. an encoder's output or
/// ``BagOfItems`` features) and the user indices of the labelled train subset, the subsampled validation labels
/// and the test users. The probe standardises with the labelled subset's statistics, picks its L2 strength on
/// validation (accuracy, or macro ROC-AUC for multi-label tasks; the default strength with fewer than
/// `minimumValidationLabels` validation labels) and scores the test users.
public enum LinearProbeEvaluation {
    /// The probe's settings (the spec's `linear_probe` section).
    public struct Settings: Sendable, Equatable, Codable {
        /// The L2 strengths tried.
        public var l2Grid: [Double]
        /// The strength used with too few validation labels.
        public var defaultL2: Double
        /// The fewest validation labels with which the grid is searched.
        public var minimumValidationLabels: Int
        /// The optimiser's settings.
        public var options: LBFGSOptions

        /// PROTOCOL.md's defaults: grid `{1e-4, …, 1}`, default `1e-2`, at least 20 validation labels; the
        /// optimiser stops by ``LBFGSOptions/probe``.
        public init(
            l2Grid: [Double] = LogisticRegression.defaultL2Grid, defaultL2: Double = LogisticRegression.defaultL2,
            minimumValidationLabels: Int = LogisticRegression.minimumValidationLabels,
            options: LBFGSOptions = .probe
        ) {
            self.l2Grid = l2Grid
            self.defaultL2 = defaultL2
            self.minimumValidationLabels = minimumValidationLabels
            self.options = options
        }
    }

    /// What one evaluation yields.
    public struct Result: Sendable, Equatable, Codable {
        /// The test metrics; `majorityAccuracy` is the labelled train subset's majority class on test.
        public var summary: Metrics.Summary
        /// The labelled train count `n` (the label-efficiency curve's x axis).
        public var labelledCount: Int
        /// The number of validation labels the L2 strength was chosen with.
        public var validationCount: Int
        /// How the L2 strength was chosen.
        public var selection: LogisticRegression.L2Selection
        /// Single-label tasks: the predicted class of each test user (the most probable, the first on ties), in
        /// the order of `test`; empty for multi-label tasks.
        public var testPredictions: [Int] = []
    }

    /// Gathers the rows of `users` from `embeddings` as a `[users.count, d]` matrix.
    /// Precondition: every row has `d` entries.
    public static func matrix(_ embeddings: [[Float]], users: [Int32], width d: Int) -> FeatureMatrix {
        var values = [Double](repeating: 0, count: users.count * d)
        for (row, user) in users.enumerated() {
            let embedding = embeddings[Int(user)]
            precondition(
                embedding.count == d,
                "LinearProbeEvaluation: user \(user) has \(embedding.count) values, expected \(d)")
            for j in 0..<d { values[row * d + j] = Double(embedding[j]) }
        }
        return FeatureMatrix(rows: users.count, columns: d, values: values)
    }

    /// A single-label task: multinomial probe over `classes` classes, scored by ``Metrics/summarize``.
    /// `trainLabels[i]` is the class of `train[i]`, likewise for validation and test.
    public static func singleLabel(
        embeddings: [[Float]], classes: Int,
        train: [Int32], trainLabels: [Int], validation: [Int32], validationLabels: [Int],
        test: [Int32], testLabels: [Int], settings: Settings = Settings()
    ) -> Result {
        precondition(train.count == trainLabels.count && validation.count == validationLabels.count)
        precondition(test.count == testLabels.count)
        let d = embeddings.first?.count ?? 0
        let probe = LogisticRegression.Probe.fit(
            train: matrix(embeddings, users: train, width: d), labels: trainLabels, classes: classes,
            validation: matrix(embeddings, users: validation, width: d), validationLabels: validationLabels,
            grid: settings.l2Grid, fallback: settings.defaultL2, minimumValidation: settings.minimumValidationLabels,
            options: settings.options)
        let probabilities = probe.probabilities(matrix(embeddings, users: test, width: d))
        let summary = Metrics.summarize(truth: testLabels, probabilities: probabilities, majorityReference: trainLabels)
        return Result(
            summary: summary, labelledCount: train.count, validationCount: validation.count,
            selection: probe.selection, testPredictions: probabilities.map(Metrics.argmax))
    }

    /// A multi-label task: one binary probe per label column (one-vs-rest, shared L2 strength), scored by
    /// macro ROC-AUC over the columns with both classes. `trainLabels[i]` is `[L]` for `train[i]`.
    public static func multiLabel(
        embeddings: [[Float]],
        train: [Int32], trainLabels: [[Bool]], validation: [Int32], validationLabels: [[Bool]],
        test: [Int32], testLabels: [[Bool]], settings: Settings = Settings()
    ) -> Result {
        precondition(train.count == trainLabels.count && validation.count == validationLabels.count)
        precondition(test.count == testLabels.count)
        let d = embeddings.first?.count ?? 0
        let probe = LogisticRegression.MultiLabelProbe.fit(
            train: matrix(embeddings, users: train, width: d), labels: trainLabels,
            validation: matrix(embeddings, users: validation, width: d), validationLabels: validationLabels,
            grid: settings.l2Grid, fallback: settings.defaultL2, minimumValidation: settings.minimumValidationLabels,
            options: settings.options)
        let scores = probe.decision(matrix(embeddings, users: test, width: d))
        let summary = Metrics.summarizeMultiLabel(truth: testLabels, scores: scores, majorityReference: trainLabels)
        return Result(
            summary: summary, labelledCount: train.count, validationCount: validation.count,
            selection: probe.selection)
    }
}
