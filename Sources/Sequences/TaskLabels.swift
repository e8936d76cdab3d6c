/// Labels of one task for every user of a `PreparedDataset`, with class counts and majority-class accuracy per
/// split.
///
/// Single-label tasks: `labels[u]` is the class index or -1 (no label). Multi-label (`future_categories`):
/// `multiHot` is `[userCount, classCount]` row-major 0/1, and `labels[u]` is the user's rarest positive
/// category (the stratum used by `LabelSampler`) or -1 when the user has none.
public struct TaskLabels: Sendable {
    /// The task.
    public var task: TaskKind
    /// Class names, `[classCount]`.
    public var classNames: [String]
    /// `[userCount]` class index (or stratum) per user, -1 when unlabelled.
    public var labels: [Int32]
    /// `[userCount · classCount]` for multi-label tasks, empty otherwise.
    public var multiHot: [UInt8]
    /// Per split: users with a label in each class (multi-label: users positive for each class).
    public var classCounts: [UserSplit: [Int]]
    /// Per split: the number of labelled users.
    public var labelledCounts: [UserSplit: Int]
    /// Per split: accuracy of always predicting the train split's majority class (multi-label: the mean over
    /// classes of the accuracy of predicting each class's train-majority value).
    public var majorityAccuracy: [UserSplit: Double]
    /// The train split's majority class (single-label tasks).
    public var majorityClass: Int

    /// Number of classes.
    public var classCount: Int { classNames.count }
    /// Whether users carry several labels.
    public var isMultiLabel: Bool { task.isMultiLabel }

    /// The labelled users among `users`.
    public func labelled(_ users: [Int32]) -> [Int32] { users.filter { labels[Int($0)] >= 0 } }

    /// Computes counts and majority accuracies for `labels` (and `multiHot`) under `splits`.
    public init(task: TaskKind, classNames: [String], labels: [Int32], multiHot: [UInt8] = [], splits: [UserSplit]) {
        self.task = task
        self.classNames = classNames
        self.labels = labels
        self.multiHot = multiHot
        let classCount = classNames.count
        var counts: [UserSplit: [Int]] = [:]
        var labelled: [UserSplit: Int] = [:]
        for split in UserSplit.allCases {
            counts[split] = [Int](repeating: 0, count: classCount)
            labelled[split] = 0
        }
        for (user, label) in labels.enumerated() where label >= 0 {
            let split = splits[user]
            labelled[split]! += 1
            if multiHot.isEmpty {
                counts[split]![Int(label)] += 1
            } else {
                for k in 0..<classCount where multiHot[user * classCount + k] != 0 { counts[split]![k] += 1 }
            }
        }
        classCounts = counts
        labelledCounts = labelled
        let trainCounts = counts[.train]!
        majorityClass =
            trainCounts.indices.max { trainCounts[$0] != trainCounts[$1] ? trainCounts[$0] < trainCounts[$1] : $0 > $1 }
            ?? 0
        var accuracy: [UserSplit: Double] = [:]
        for split in UserSplit.allCases {
            let n = labelled[split]!
            guard n > 0 else {
                accuracy[split] = 0
                continue
            }
            if multiHot.isEmpty {
                accuracy[split] = Double(counts[split]![majorityClass]) / Double(n)
            } else {
                let trainN = max(labelled[.train]!, 1)
                var total = 0.0
                for k in 0..<classCount {
                    let positive = Double(counts[split]![k]) / Double(n)
                    total += 2 * trainCounts[k] > trainN ? positive : 1 - positive
                }
                accuracy[split] = classCount > 0 ? total / Double(classCount) : 0
            }
        }
        majorityAccuracy = accuracy
    }
}

extension PreparedDataset {
    /// Builds the labels of `task` (PROTOCOL.md section 2).
    /// - Throws: `DatasetRequestError` when the dataset's metadata cannot support the task.
    public func labels(for task: TaskKind) throws -> TaskLabels {
        if let reason = unsupportedReason(task) {
            throw DatasetRequestError(
                "task '\(task.rawValue)' is not available for dataset '\(name)': \(reason)"
                    + " (supported: \(supportedTasks.map(\.rawValue).joined(separator: ", ")))")
        }
        var labels = [Int32](repeating: -1, count: userCount)
        switch task {
        case .nextCategory:
            for user in 0..<userCount {
                for item in future(of: user) where vocabulary.primary[Int(item)] >= 0 {
                    labels[user] = vocabulary.primary[Int(item)]
                    break
                }
            }
            return TaskLabels(task: task, classNames: vocabulary.names, labels: labels, splits: splits)
        case .futureTopCategory:
            var counts = [Int](repeating: 0, count: vocabulary.count)
            for user in 0..<userCount {
                for k in counts.indices { counts[k] = 0 }
                for item in future(of: user) {
                    for entry in vocabulary.itemEntries[Int(item)] { counts[Int(entry)] += 1 }
                }
                var best = -1
                for k in counts.indices where counts[k] > 0 {
                    if best < 0 || counts[k] > counts[best]
                        || (counts[k] == counts[best] && vocabulary.isRarer(k, than: best))
                    {
                        best = k
                    }
                }
                labels[user] = Int32(best)
            }
            return TaskLabels(task: task, classNames: vocabulary.names, labels: labels, splits: splits)
        case .futureCategories:
            let classCount = vocabulary.count
            var multiHot = [UInt8](repeating: 0, count: userCount * classCount)
            for user in 0..<userCount {
                for item in future(of: user) {
                    for entry in vocabulary.itemEntries[Int(item)] { multiHot[user * classCount + Int(entry)] = 1 }
                }
                var stratum = -1
                for k in 0..<classCount where multiHot[user * classCount + k] != 0 {
                    if stratum < 0 || vocabulary.isRarer(k, than: stratum) { stratum = k }
                }
                labels[user] = Int32(stratum)
            }
            return TaskLabels(
                task: task, classNames: vocabulary.names, labels: labels, multiHot: multiHot, splits: splits)
        case .nextRatingHigh:
            for user in 0..<userCount {
                labels[user] = ratings[futureRange(of: user).lowerBound] >= 4 ? 1 : 0
            }
            return TaskLabels(task: task, classNames: ["low", "high"], labels: labels, splits: splits)
        case .gender, .ageGroup, .occupation:
            let attribute = (task == .gender ? gender : task == .ageGroup ? ageGroup : occupation)!
            return TaskLabels(task: task, classNames: attribute.names, labels: attribute.values, splits: splits)
        }
    }
}
