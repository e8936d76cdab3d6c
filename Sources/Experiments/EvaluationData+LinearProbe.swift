import Learning

extension LinearProbeEvaluation.Settings {
    /// The settings of a spec's `linear_probe` section (with the optimiser's defaults).
    public init(_ spec: LinearProbeSpec) {
        self.init(l2Grid: spec.l2Grid, defaultL2: spec.defaultL2, minimumValidationLabels: spec.minValidationLabels)
    }
}

extension EvaluationData {
    /// Fits the linear probe on `embeddings` (`[userCount][d]`, one row per user of the prepared dataset, e.g. an
    /// encoder's output or `BagOfItems` features) and scores the test users: a multinomial `Probe` for
    /// single-label tasks, a one-vs-rest `MultiLabelProbe` for `future_categories`. Pure.
    ///
    /// The result's `summary.majorityAccuracy` is ``majorityAccuracy`` (the whole train split's majority class on
    /// the test users), so it does not move with the label fraction.
    public func linearProbe(
        embeddings: [[Float]], settings: LinearProbeEvaluation.Settings = LinearProbeEvaluation.Settings()
    ) -> LinearProbeEvaluation.Result {
        var result =
            isMultiLabel
            ? LinearProbeEvaluation.multiLabel(
                embeddings: embeddings, train: trainUsers, trainLabels: trainMultiLabels, validation: validationUsers,
                validationLabels: validationMultiLabels, test: testUsers, testLabels: testMultiLabels,
                settings: settings)
            : LinearProbeEvaluation.singleLabel(
                embeddings: embeddings, classes: classCount, train: trainUsers, trainLabels: trainLabels,
                validation: validationUsers, validationLabels: validationLabels, test: testUsers,
                testLabels: testLabels, settings: settings)
        result.summary.majorityAccuracy = majorityAccuracy
        return result
    }
}

extension EvaluationData {
    /// The subsets as a fine-tuning task: train and validation users with their targets (class indices, or
    /// multi-hot rows for a multi-label task) and the test users.
    public var fineTuneTask: FineTuneTask {
        FineTuneTask(
            trainUsers: trainUsers,
            trainTargets: isMultiLabel ? .multiHot(trainMultiLabels) : .classes(trainLabels, count: classCount),
            validationUsers: validationUsers,
            validationTargets: isMultiLabel ? .multiHot(validationMultiLabels)
                : .classes(validationLabels, count: classCount),
            testUsers: testUsers)
    }
}
