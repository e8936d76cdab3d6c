extension LogisticRegression {
    /// The L2 grid of the linear-probe protocol: `{1e-4, 1e-3, 1e-2, 1e-1, 1}`.
    public static let defaultL2Grid: [Double] = [1e-4, 1e-3, 1e-2, 1e-1, 1]
    /// The L2 strength used when there are too few validation labels to choose: `1e-2`.
    public static let defaultL2: Double = 1e-2
    /// The fewest validation labels with which the L2 strength is chosen on validation: 20.
    public static let minimumValidationLabels = 20

    /// How a probe's L2 strength was chosen.
    public struct L2Selection: Sendable, Equatable, Codable {
        /// The chosen strength.
        public var l2: Double
        /// The validation score per grid entry (accuracy, or macro ROC-AUC for multi-label), in grid order;
        /// empty when the default was used.
        public var validationScores: [Double]
        /// Whether the strength was chosen on validation (false: too few validation labels, default used).
        public var chosenOnValidation: Bool
    }

    /// Picks the entry of `grid` with the best score (ties to the larger L2, the simpler model), or `fallback`
    /// when `validationCount < minimum` or the grid is empty.
    static func selectL2(
        grid: [Double], validationCount: Int, minimum: Int, fallback: Double, score: (Double) -> Double
    ) -> L2Selection {
        guard validationCount >= minimum, !grid.isEmpty else {
            return L2Selection(l2: fallback, validationScores: [], chosenOnValidation: false)
        }
        let scores = grid.map(score)
        var best = 0
        for index in 1..<grid.count {
            if scores[index] > scores[best] || (scores[index] == scores[best] && grid[index] > grid[best]) {
                best = index
            }
        }
        return L2Selection(l2: grid[best], validationScores: scores, chosenOnValidation: true)
    }

    /// Fits one model per distinct strength of `grid`, from the largest strength down, each warm-started from the
    /// previous one (`fit(l2, previous)`): a strongly regularised problem converges fast and its solution is a good
    /// start for the next, weaker one. Returns the models by strength.
    static func fitGrid<Model>(_ grid: [Double], fit: (_ l2: Double, _ previous: Model?) -> Model) -> [Double: Model] {
        var models: [Double: Model] = [:]
        var previous: Model?
        for l2 in Set(grid).sorted(by: >) {
            let model = fit(l2, previous)
            models[l2] = model
            previous = model
        }
        return models
    }

    /// The probes' shared procedure: standardise on `train`, fit the grid from the largest L2 down with warm starts
    /// (only when there are at least `minimum` validation labels), pick the L2 by `score` on the standardised
    /// validation features, and return the model of that L2 (fitted cold when the grid was not searched).
    static func selectAndFit<Model>(
        train: FeatureMatrix, validation: FeatureMatrix, validationCount: Int,
        grid: [Double], fallback: Double, minimum: Int,
        fit: (_ design: DesignMatrix, _ l2: Double, _ previous: Model?) -> Model,
        score: (_ model: Model, _ standardisedValidation: FeatureMatrix) -> Double
    ) -> (standardizer: Standardizer, model: Model, selection: L2Selection) {
        let standardizer = Standardizer(fitting: train)
        let design = DesignMatrix(standardizer.transform(train))
        let xValidation = standardizer.transform(validation)
        let searched = validationCount >= minimum && !grid.isEmpty
        let models: [Double: Model] = searched ? fitGrid(grid) { l2, previous in fit(design, l2, previous) } : [:]
        let selection = selectL2(grid: grid, validationCount: validationCount, minimum: minimum, fallback: fallback) {
            l2 in score(models[l2]!, xValidation)
        }
        let model = models[selection.l2] ?? fit(design, selection.l2, nil)
        return (standardizer, model, selection)
    }

    /// A linear probe: a ``Standardizer`` fitted on the labelled training examples, then multinomial logistic
    /// regression with its L2 strength chosen from a grid by validation accuracy.
    public struct Probe: Sendable, Equatable, Codable {
        /// The standardisation fitted on the labelled training subset.
        public var standardizer: Standardizer
        /// The model trained on the standardised training subset with the chosen L2.
        public var model: LogisticRegression
        /// How the L2 strength was chosen.
        public var selection: L2Selection

        /// Fits the probe. `train: [n, d]` with `labels: [n]` in `0..<classes`; `validation: [m, d]` with
        /// `validationLabels: [m]`. With `m < minimumValidation` (default 20) the L2 strength is `fallback`
        /// (default 1e-2); otherwise the grid entry with the best validation accuracy, the grid being fitted from
        /// the largest strength down with warm starts (``fitGrid(_:fit:)``) on one standardised copy of `train`.
        public static func fit(
            train: FeatureMatrix, labels: [Int], classes: Int,
            validation: FeatureMatrix, validationLabels: [Int],
            grid: [Double] = LogisticRegression.defaultL2Grid, fallback: Double = LogisticRegression.defaultL2,
            minimumValidation: Int = LogisticRegression.minimumValidationLabels,
            options: LBFGSOptions = LBFGSOptions()
        ) -> Probe {
            let fitted = selectAndFit(
                train: train, validation: validation, validationCount: validationLabels.count, grid: grid,
                fallback: fallback, minimum: minimumValidation,
                fit: { design, l2, previous in
                    LogisticRegression.fit(
                        design: design, labels: labels, classes: classes, l2: l2, options: options, start: previous)
                },
                score: { model, xValidation in
                    Metrics.accuracy(truth: validationLabels, predicted: model.predict(xValidation)) ?? 0
                })
            return Probe(standardizer: fitted.standardizer, model: fitted.model, selection: fitted.selection)
        }

        /// The predicted classes for raw (unstandardised) features: `[n, d] → [n]`.
        public func predict(_ x: FeatureMatrix) -> [Int] { model.predict(standardizer.transform(x)) }

        /// The class probabilities for raw features: `[n, d] → [n][C]`.
        public func probabilities(_ x: FeatureMatrix) -> [[Double]] {
            model.probabilities(standardizer.transform(x))
        }
    }

    /// A multi-label linear probe: a ``Standardizer`` on the labelled subset, then one binary probe per label
    /// column sharing one L2 strength, chosen on validation macro ROC-AUC.
    public struct MultiLabelProbe: Sendable, Equatable, Codable {
        /// The standardisation fitted on the labelled training subset.
        public var standardizer: Standardizer
        /// One binary model per label column.
        public var model: OneVsRest
        /// How the L2 strength was chosen.
        public var selection: L2Selection

        /// Fits the probe on `train: [n, d]`, `labels: [n][L]`, choosing L2 on `validation: [m, d]` and
        /// `validationLabels: [m][L]` (with `m < minimumValidation`, default 20: `fallback`, default 1e-2). The grid is
        /// fitted from the largest strength down with warm starts, all columns together per strength.
        public static func fit(
            train: FeatureMatrix, labels: [[Bool]],
            validation: FeatureMatrix, validationLabels: [[Bool]],
            grid: [Double] = LogisticRegression.defaultL2Grid, fallback: Double = LogisticRegression.defaultL2,
            minimumValidation: Int = LogisticRegression.minimumValidationLabels,
            options: LBFGSOptions = LBFGSOptions()
        ) -> MultiLabelProbe {
            let fitted = selectAndFit(
                train: train, validation: validation, validationCount: validationLabels.count, grid: grid,
                fallback: fallback, minimum: minimumValidation,
                fit: { design, l2, previous in
                    OneVsRest.fit(design: design, labels: labels, l2: l2, options: options, start: previous)
                },
                score: { model, xValidation in
                    Metrics.macroROCAUC(truth: validationLabels, scores: model.decision(xValidation)).auc ?? 0
                })
            return MultiLabelProbe(standardizer: fitted.standardizer, model: fitted.model, selection: fitted.selection)
        }

        /// The scores per example and label column for raw features: `[n, d] → [n][L]`.
        public func decision(_ x: FeatureMatrix) -> [[Double]] { model.decision(standardizer.transform(x)) }
    }
}
