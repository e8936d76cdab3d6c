/// Classification metrics on plain arrays: accuracy, balanced accuracy, macro-F1, ROC-AUC (binary, with ties
/// by average ranks), macro ROC-AUC over multi-label columns, and the majority-class accuracy.
///
/// Class labels are `Int`s; `truth` and `predicted` have one entry per example. Every function returns `nil`
/// where the metric is undefined (no examples, a single class for ROC-AUC).
public enum Metrics {
    /// Accuracy `#{i : predictedᵢ = truthᵢ} / n`.
    public static func accuracy(truth: [Int], predicted: [Int]) -> Double? {
        precondition(truth.count == predicted.count, "accuracy: truth and predicted differ in length")
        guard !truth.isEmpty else { return nil }
        let correct = zip(truth, predicted).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
        return Double(correct) / Double(truth.count)
    }

    /// Balanced accuracy: the mean over the classes present in `truth` of the recall `TP_c / (TP_c + FN_c)`.
    public static func balancedAccuracy(truth: [Int], predicted: [Int]) -> Double? {
        precondition(truth.count == predicted.count, "balancedAccuracy: truth and predicted differ in length")
        guard !truth.isEmpty else { return nil }
        var support: [Int: Int] = [:]
        var hits: [Int: Int] = [:]
        for (t, p) in zip(truth, predicted) {
            support[t, default: 0] += 1
            if t == p { hits[t, default: 0] += 1 }
        }
        let recalls = support.keys.sorted().map { Double(hits[$0] ?? 0) / Double(support[$0]!) }
        return recalls.reduce(0, +) / Double(recalls.count)
    }

    /// Macro-F1: the unweighted mean over every class present in `truth` or `predicted` of
    /// `F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c)`.
    public static func macroF1(truth: [Int], predicted: [Int]) -> Double? {
        precondition(truth.count == predicted.count, "macroF1: truth and predicted differ in length")
        guard !truth.isEmpty else { return nil }
        var truePositives: [Int: Int] = [:]
        var falsePositives: [Int: Int] = [:]
        var falseNegatives: [Int: Int] = [:]
        for (t, p) in zip(truth, predicted) {
            if t == p {
                truePositives[t, default: 0] += 1
            } else {
                falsePositives[p, default: 0] += 1
                falseNegatives[t, default: 0] += 1
            }
        }
        let classes = Set(truth).union(predicted).sorted()
        let scores = classes.map { c -> Double in
            let tp = Double(truePositives[c] ?? 0)
            let denominator = 2 * tp + Double(falsePositives[c] ?? 0) + Double(falseNegatives[c] ?? 0)
            return denominator == 0 ? 0 : 2 * tp / denominator
        }
        return scores.reduce(0, +) / Double(scores.count)
    }

    /// Binary ROC-AUC by the rank-sum (Mann–Whitney U) formula with average ranks for tied scores:
    /// `AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋)`, where `R₊` is the sum of the positives' ranks (1-based).
    /// - Returns: `nil` when `labels` holds only one class.
    public static func rocAUC(labels: [Bool], scores: [Double]) -> Double? {
        precondition(labels.count == scores.count, "rocAUC: labels and scores differ in length")
        let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var positiveRankSum = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && scores[order[end + 1]] == scores[order[start]] { end += 1 }
            // Positions start...end (0-based) share the average 1-based rank.
            let averageRank = Double(start + end) / 2 + 1
            for position in start...end where labels[order[position]] { positiveRankSum += averageRank }
            start = end + 1
        }
        let p = Double(positives)
        return (positiveRankSum - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// Macro ROC-AUC over the columns of a multi-label problem: `truth[i][c]` says whether example `i` carries
    /// label `c`, `scores[i][c]` is the score for it. Columns whose truth holds one class only are skipped.
    /// - Returns: the mean AUC over the columns used (`nil` when none could be used) and their number.
    public static func macroROCAUC(truth: [[Bool]], scores: [[Double]]) -> (auc: Double?, columnsUsed: Int) {
        precondition(truth.count == scores.count, "macroROCAUC: truth and scores differ in length")
        guard let columns = truth.first?.count else { return (nil, 0) }
        var total = 0.0
        var used = 0
        for column in 0..<columns {
            let labels = truth.map { $0[column] }
            let columnScores = scores.map { $0[column] }
            if let auc = rocAUC(labels: labels, scores: columnScores) {
                total += auc
                used += 1
            }
        }
        return (used == 0 ? nil : total / Double(used), used)
    }

    /// The most frequent class of `labels`, ties to the smallest class id; `nil` for no labels.
    public static func majorityClass(_ labels: [Int]) -> Int? {
        var counts: [Int: Int] = [:]
        for label in labels { counts[label, default: 0] += 1 }
        return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key
    }

    /// The accuracy of always predicting the majority class: the class is taken from `reference` (for example the
    /// labelled training subset) when given, else from `truth` itself, and scored on `truth`.
    public static func majorityClassAccuracy(truth: [Int], reference: [Int]? = nil) -> Double? {
        guard !truth.isEmpty, let majority = majorityClass(reference ?? truth) else { return nil }
        return Double(truth.reduce(0) { $0 + ($1 == majority ? 1 : 0) }) / Double(truth.count)
    }
}
