import Randomness

/// The stratified label-subset sampler (PROTOCOL.md section 5).
///
/// For label fraction `f` and `C` classes, among the `N` labelled users of a split:
/// `n = min(N, max(round(f · N_train), 2 · C))`, where `N_train` is the split's labelled count (train users for
/// the train subset, validation users for the validation subset). Classes get `n · N_k / N` by proportional
/// allocation with largest remainders (ties: lower class index); then, while `n ≥ C`, every class that has
/// users gets at least one, taken from the class with the largest allocation. Users within a class are drawn
/// by a seeded shuffle: the stream is derived from (seed, split, fraction), so a seed and fraction fix the
/// subset for every method.
public enum LabelSampler {
    /// The labelled count for `fraction` of `available` users with `classCount` classes.
    public static func targetCount(fraction: Double, available: Int, classCount: Int) -> Int {
        min(available, max(Int((fraction * Double(available)).rounded()), 2 * classCount))
    }

    /// Per-class allocation of `n` among classes with `counts[k]` users (see the type's documentation).
    public static func allocate(_ n: Int, counts: [Int]) -> [Int] {
        let total = counts.reduce(0, +)
        guard total > 0, n > 0 else { return counts.map { _ in 0 } }
        let n = min(n, total)
        var allocation = counts.map { n * $0 / total }
        var remainders = counts.indices.map { (class: $0, remainder: n * counts[$0] % total) }
        remainders.sort { $0.remainder != $1.remainder ? $0.remainder > $1.remainder : $0.class < $1.class }
        var left = n - allocation.reduce(0, +)
        for entry in remainders where left > 0 {
            if allocation[entry.class] < counts[entry.class] {
                allocation[entry.class] += 1
                left -= 1
            }
        }
        let present = counts.filter { $0 > 0 }.count
        if n >= present {
            for k in counts.indices where counts[k] > 0 && allocation[k] == 0 {
                guard
                    let donor = allocation.indices.filter({ allocation[$0] > 1 })
                        .max(by: { allocation[$0] != allocation[$1] ? allocation[$0] < allocation[$1] : $0 > $1 })
                else { break }
                allocation[donor] -= 1
                allocation[k] = 1
            }
        }
        return allocation
    }

    /// The labelled subset of `split` for `fraction` and `seed`, as increasing user indices.
    public static func sample(
        _ labels: TaskLabels, splits: [UserSplit], split: UserSplit, fraction: Double,
        seed: UInt64
    ) -> [Int32] {
        var byClass = [[Int32]](repeating: [], count: labels.classCount)
        for (user, label) in labels.labels.enumerated() where label >= 0 && splits[user] == split {
            byClass[Int(label)].append(Int32(user))
        }
        let available = byClass.reduce(0) { $0 + $1.count }
        let n = targetCount(fraction: fraction, available: available, classCount: labels.classCount)
        let allocation = allocate(n, counts: byClass.map(\.count))
        let stream = SplitMix64(seed: seed, stream: "labels-\(split)").child(fraction.bitPattern)
        var chosen: [Int32] = []
        for k in byClass.indices where allocation[k] > 0 {
            var members = byClass[k]
            var generator = stream.child(UInt64(k))
            members.seededShuffle(using: &generator)
            chosen += members.prefix(allocation[k])
        }
        return chosen.sorted()
    }
}

extension PreparedDataset {
    /// The labelled train and validation subsets for `fraction` under `seed` (see `LabelSampler`).
    public func labelSubsets(
        _ labels: TaskLabels, fraction: Double, seed: UInt64
    ) -> (train: [Int32], validation: [Int32]) {
        (
            LabelSampler.sample(labels, splits: splits, split: .train, fraction: fraction, seed: seed),
            LabelSampler.sample(labels, splits: splits, split: .validation, fraction: fraction, seed: seed)
        )
    }
}
