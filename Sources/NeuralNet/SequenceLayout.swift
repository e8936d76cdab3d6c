/// Where each sequence's valid tokens sit when a padded batch is packed: sequence `b` owns packed rows
/// `offsets[b] ..< offsets[b + 1]`, `offsets[b + 1] − offsets[b] == lengths[b]`.
///
/// This is the key-padding mask in compact form: padding is at the end of each row of the padded batch, and
/// packed activations `[tokenCount, features]` hold only the valid positions, so no work is spent on padding.
public struct SequenceLayout: Sendable, Equatable {
    /// Valid length of each sequence.
    public let lengths: [Int]
    /// Prefix sums of `lengths`, `batchSize + 1` entries starting at 0.
    public let offsets: [Int]

    /// A layout for sequences of the given valid lengths.
    public init(lengths: [Int]) {
        precondition(lengths.allSatisfy { $0 >= 0 }, "SequenceLayout: negative length")
        self.lengths = lengths
        var offsets = [0]
        offsets.reserveCapacity(lengths.count + 1)
        for length in lengths { offsets.append(offsets.last! + length) }
        self.offsets = offsets
    }

    /// The number of sequences.
    public var batchSize: Int { lengths.count }
    /// The number of valid tokens in all sequences, `Σ lengths`.
    public var tokenCount: Int { offsets.last! }
    /// The longest valid length.
    public var maxLength: Int { lengths.max() ?? 0 }
}
