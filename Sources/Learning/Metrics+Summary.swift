extension Metrics {
    /// Every metric of one evaluation (PROTOCOL.md section 5), as stored with each result.
    public struct Summary: Sendable, Equatable, Codable {
        /// Accuracy; `nil` for multi-label tasks.
        public var accuracy: Double?
        /// Balanced accuracy; `nil` for multi-label tasks.
        public var balancedAccuracy: Double?
        /// Macro-F1; `nil` for multi-label tasks.
        public var macroF1: Double?
        /// ROC-AUC for binary tasks, macro ROC-AUC for multi-label tasks; `nil` otherwise or when undefined.
        public var rocAUC: Double?
        /// For multi-label tasks: how many label columns had both classes and entered the macro ROC-AUC.
        public var rocAUCColumns: Int?
        /// The accuracy of predicting the majority class of the reference labels (multi-class and binary), or for
        /// multi-label tasks the mean over columns of the majority value's share.
        public var majorityAccuracy: Double?
        /// The number of test examples scored.
        public var testCount: Int

        enum CodingKeys: String, CodingKey {
            case accuracy
            case balancedAccuracy = "balanced_accuracy"
            case macroF1 = "macro_f1"
            case rocAUC = "roc_auc"
            case rocAUCColumns = "roc_auc_columns"
            case majorityAccuracy = "majority_accuracy"
            case testCount = "test_count"
        }
    }

    /// The index of the largest value, the smaller index on ties (0 for an empty row): a prediction from class
    /// probabilities.
    public static func argmax(_ row: [Double]) -> Int {
        var best = 0
        for k in row.indices where row[k] > row[best] { best = k }
        return best
    }

    /// Scores a single-label task. `probabilities[i]` are the class probabilities of example `i` (`[n][C]`);
    /// predictions are their argmax (ties to the smaller class). ROC-AUC is computed when `C == 2`, from the
    /// probability of class 1. The majority class is taken from `majorityReference` (the labelled training
    /// subset) when given, else from `truth`.
    public static func summarize(
        truth: [Int], probabilities: [[Double]], majorityReference: [Int]? = nil
    ) -> Summary {
        precondition(truth.count == probabilities.count, "summarize: truth and probabilities differ in length")
        let predicted = probabilities.map(argmax)
        let classes = probabilities.first?.count ?? 0
        let auc = classes == 2 ? rocAUC(labels: truth.map { $0 == 1 }, scores: probabilities.map { $0[1] }) : nil
        return Summary(
            accuracy: accuracy(truth: truth, predicted: predicted),
            balancedAccuracy: balancedAccuracy(truth: truth, predicted: predicted),
            macroF1: macroF1(truth: truth, predicted: predicted), rocAUC: auc, rocAUCColumns: nil,
            majorityAccuracy: majorityClassAccuracy(truth: truth, reference: majorityReference),
            testCount: truth.count)
    }

    /// Scores a multi-label task: `truth[i][c]` and `scores[i][c]` (`[n][L]`) give macro ROC-AUC over the columns
    /// with both classes, and the mean majority share per column (from `majorityReference` when given).
    public static func summarizeMultiLabel(
        truth: [[Bool]], scores: [[Double]], majorityReference: [[Bool]]? = nil
    ) -> Summary {
        let result = macroROCAUC(truth: truth, scores: scores)
        let columns = truth.first?.count ?? 0
        var majority: Double?
        if columns > 0 && !truth.isEmpty {
            var total = 0.0
            for column in 0..<columns {
                let reference = (majorityReference ?? truth).map { $0[column] ? 1 : 0 }
                total += majorityClassAccuracy(truth: truth.map { $0[column] ? 1 : 0 }, reference: reference) ?? 0
            }
            majority = total / Double(columns)
        }
        return Summary(
            accuracy: nil, balancedAccuracy: nil, macroF1: nil, rocAUC: result.auc, rocAUCColumns: result.columnsUsed,
            majorityAccuracy: majority, testCount: truth.count)
    }
}
