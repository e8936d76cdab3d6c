/// A padded batch of item-id sequences: `ids` `[batchSize, length]` row-major, Int32 ids, 0 = padding at the
/// end of each row, plus each row's valid length.
public struct TokenBatch: Sendable, Equatable {
    /// Padded ids `[batchSize, length]`.
    public let ids: [Int32]
    /// Rows.
    public let batchSize: Int
    /// Padded length (columns).
    public let length: Int
    /// Packing layout derived from the valid lengths.
    public let layout: SequenceLayout

    /// A batch with explicit valid lengths (each `0...length`). Precondition: `ids.count == batchSize·length`.
    public init(ids: [Int32], batchSize: Int, length: Int, lengths: [Int]) {
        precondition(ids.count == batchSize * length, "TokenBatch: \(ids.count) ids for \(batchSize)×\(length)")
        precondition(lengths.count == batchSize, "TokenBatch: \(lengths.count) lengths for \(batchSize) rows")
        precondition(lengths.allSatisfy { (0...length).contains($0) }, "TokenBatch: a length exceeds \(length)")
        self.ids = ids
        self.batchSize = batchSize
        self.length = length
        self.layout = SequenceLayout(lengths: lengths)
    }

    /// A batch whose valid lengths are the number of leading non-zero ids of each row.
    public init(ids: [Int32], batchSize: Int, length: Int) {
        var lengths = [Int](repeating: 0, count: batchSize)
        for b in 0..<batchSize {
            var n = 0
            while n < length && ids[b * length + n] != 0 { n += 1 }
            lengths[b] = n
        }
        self.init(ids: ids, batchSize: batchSize, length: length, lengths: lengths)
    }

    /// A batch from variable-length sequences, padded with 0 to `length` (longer sequences keep their last
    /// `length` items).
    public init(sequences: [[Int32]], length: Int) {
        var ids = [Int32](repeating: 0, count: sequences.count * length)
        var lengths: [Int] = []
        for (b, sequence) in sequences.enumerated() {
            let tail = sequence.suffix(length)
            for (t, id) in tail.enumerated() { ids[b * length + t] = id }
            lengths.append(tail.count)
        }
        self.init(ids: ids, batchSize: sequences.count, length: length, lengths: lengths)
    }

    /// Ids of the valid tokens in packed order, `[tokenCount]`.
    public var packedIDs: [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(layout.tokenCount)
        for b in 0..<batchSize { out.append(contentsOf: ids[(b * length)..<(b * length + layout.lengths[b])]) }
        return out
    }

    /// Positions (0-based time steps) of the valid tokens in packed order, `[tokenCount]`.
    public var packedPositions: [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(layout.tokenCount)
        for length in layout.lengths { for t in 0..<length { out.append(Int32(t)) } }
        return out
    }

    /// Stacks batches of the same padded length row-wise (e.g. two augmented views into one batch of 2B).
    public static func concatenate(_ parts: [TokenBatch]) -> TokenBatch {
        precondition(!parts.isEmpty && parts.allSatisfy { $0.length == parts[0].length },
                     "TokenBatch.concatenate: padded lengths differ")
        return TokenBatch(ids: parts.flatMap(\.ids), batchSize: parts.reduce(0) { $0 + $1.batchSize },
                          length: parts[0].length, lengths: parts.flatMap(\.layout.lengths))
    }
}
