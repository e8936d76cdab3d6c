import Randomness

/// A padded index batch: `items` is `[batchSize, length]` row-major `Int32`, right-padded with 0, and
/// `lengths[b]` the number of valid items of row `b` (always ≥ 1 for a non-empty sequence).
public struct PaddedBatch: Sendable, Hashable {
    /// `[batchSize · length]` item ids, row-major.
    public var items: [Int32]
    /// `[batchSize]` valid lengths.
    public var lengths: [Int32]
    /// Number of rows.
    public var batchSize: Int
    /// Row length (the configured maximum length).
    public var length: Int

    /// Pads `sequences`, keeping each one's last `length` items.
    public init<S: Collection>(_ sequences: [S], length: Int) where S.Element == Int32 {
        precondition(length > 0)
        batchSize = sequences.count
        self.length = length
        var items = [Int32](repeating: PreparedDataset.paddingToken, count: sequences.count * length)
        var lengths = [Int32](repeating: 0, count: sequences.count)
        for (row, sequence) in sequences.enumerated() {
            let kept = sequence.suffix(length)
            var column = 0
            for item in kept {
                items[row * length + column] = item
                column += 1
            }
            lengths[row] = Int32(column)
        }
        self.items = items
        self.lengths = lengths
    }

    /// Row `b`'s valid items.
    public func row(_ b: Int) -> ArraySlice<Int32> { items[b * length..<b * length + Int(lengths[b])] }
}

/// Two augmented views of the same users' histories (Barlow Twins, contrastive learning).
public struct TwoViewBatch: Sendable, Hashable {
    /// The users, `[batchSize]`.
    public var users: [Int32]
    /// First view, `[batchSize, length]`.
    public var first: PaddedBatch
    /// Second view, `[batchSize, length]`.
    public var second: PaddedBatch
}

/// (prefix, next item) pairs for the dual encoder: `prefixes` holds each prefix's last `length` items.
public struct NextItemBatch: Sendable, Hashable {
    /// The users, `[batchSize]`.
    public var users: [Int32]
    /// Prefixes, `[batchSize, length]`.
    public var prefixes: PaddedBatch
    /// `[batchSize]` the item that follows each prefix.
    public var targets: [Int32]
}

extension PreparedDataset {
    /// The encoder's input for `users`: each history's last `config.maxLength` items, no augmentation.
    public func historyBatch(users: [Int32]) -> PaddedBatch {
        PaddedBatch(users.map { encoderHistory(of: Int($0)) }, length: config.maxLength)
    }

    /// Two independently augmented views of each user's (truncated) history.
    public func twoViewBatch(
        users: [Int32], augmentations: Augmentations,
        using generator: inout SplitMix64
    ) -> TwoViewBatch {
        var first: [[Int32]] = []
        var second: [[Int32]] = []
        first.reserveCapacity(users.count)
        second.reserveCapacity(users.count)
        for user in users {
            let history = encoderHistory(of: Int(user))
            first.append(augmentations.view(of: history, maskToken: maskToken, using: &generator))
            second.append(augmentations.view(of: history, maskToken: maskToken, using: &generator))
        }
        return TwoViewBatch(
            users: users, first: PaddedBatch(first, length: config.maxLength),
            second: PaddedBatch(second, length: config.maxLength))
    }

    /// Every (user, position) whose history prefix `history[..<position]` predicts `history[position]`,
    /// `position ≥ 1`, over `users`' histories: the dual encoder's training examples.
    public func nextItemExamples(users: [Int32]) -> [(user: Int32, position: Int32)] {
        var examples: [(user: Int32, position: Int32)] = []
        for user in users where historyLengths[Int(user)] > 1 {
            for position in 1..<historyLengths[Int(user)] { examples.append((user, position)) }
        }
        return examples
    }

    /// The batch of (prefix, next item) for `examples` (from `nextItemExamples`).
    public func nextItemBatch(_ examples: some Collection<(user: Int32, position: Int32)>) -> NextItemBatch {
        var prefixes: [ArraySlice<Int32>] = []
        var targets: [Int32] = []
        var users: [Int32] = []
        for example in examples {
            let start = offsets[Int(example.user)]
            let end = start + Int(example.position)
            prefixes.append(items[max(start, end - config.maxLength)..<end])
            targets.append(items[end])
            users.append(example.user)
        }
        return NextItemBatch(users: users, prefixes: PaddedBatch(prefixes, length: config.maxLength), targets: targets)
    }
}

/// An epoch's batches of indices into some list: shuffled by a seeded stream, cut into `batchSize` pieces
/// (the last one may be smaller unless `dropLast`).
public struct EpochBatches: Sequence, Sendable {
    /// The shuffled order.
    public let order: [Int]
    /// Batch size.
    public let batchSize: Int
    /// Whether a final partial batch is dropped.
    public let dropLast: Bool

    /// Shuffles `0..<count` with `generator`.
    public init(count: Int, batchSize: Int, dropLast: Bool = false, using generator: inout SplitMix64) {
        precondition(batchSize > 0)
        var order = Array(0..<count)
        order.seededShuffle(using: &generator)
        self.order = order
        self.batchSize = batchSize
        self.dropLast = dropLast
    }

    /// Iterates the batches as slices of `order`.
    public func makeIterator() -> AnyIterator<ArraySlice<Int>> {
        var start = 0
        let order = order
        let batchSize = batchSize
        let dropLast = dropLast
        return AnyIterator {
            guard start < order.count else { return nil }
            let end = Swift.min(start + batchSize, order.count)
            if dropLast && end - start < batchSize { return nil }
            defer { start = end }
            return order[start..<end]
        }
    }
}
