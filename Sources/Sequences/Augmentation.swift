import Randomness

/// Sequence augmentations for the self-supervised views (PROTOCOL.md section 4). Pure and seeded.
///
/// Each view draws one augmentation uniformly from the enabled set:
/// - `crop`: keep a random contiguous `max(1, floor(cropRate · L))` items;
/// - `mask`: replace `floor(maskRate · L)` distinct random positions by the mask token;
/// - `reorder`: shuffle a random contiguous `floor(reorderRate · L)` items.
/// A rate of nil disables that augmentation.
public struct Augmentations: Sendable, Hashable, Codable {
    /// The three augmentations.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Contiguous crop.
        case crop
        /// Random masking.
        case mask
        /// Local shuffle.
        case reorder
    }

    /// Fraction kept by `crop` (default 0.6), nil when disabled.
    public var cropRate: Double?
    /// Fraction masked by `mask` (default 0.3), nil when disabled.
    public var maskRate: Double?
    /// Fraction shuffled by `reorder` (default 0.3), nil when disabled.
    public var reorderRate: Double?

    /// The protocol's defaults: crop 0.6, mask 0.3, reorder 0.3.
    public init(cropRate: Double? = 0.6, maskRate: Double? = 0.3, reorderRate: Double? = 0.3) {
        self.cropRate = cropRate
        self.maskRate = maskRate
        self.reorderRate = reorderRate
    }

    /// The enabled augmentations in the order crop, mask, reorder.
    public var enabled: [Kind] {
        var kinds: [Kind] = []
        if cropRate != nil { kinds.append(.crop) }
        if maskRate != nil { kinds.append(.mask) }
        if reorderRate != nil { kinds.append(.reorder) }
        return kinds
    }

    /// One augmented view of `sequence`: one enabled augmentation drawn uniformly, then applied. With none
    /// enabled the sequence is returned unchanged.
    public func view<C: Collection>(of sequence: C, maskToken: Int32, using generator: inout SplitMix64) -> [Int32]
    where C.Element == Int32 {
        let kinds = enabled
        guard !kinds.isEmpty else { return Array(sequence) }
        return apply(
            kinds[generator.nextInt(below: kinds.count)], to: sequence, maskToken: maskToken, using: &generator)
    }

    /// Applies one augmentation.
    public func apply<C: Collection>(
        _ kind: Kind, to sequence: C, maskToken: Int32,
        using generator: inout SplitMix64
    ) -> [Int32] where C.Element == Int32 {
        var items = Array(sequence)
        let length = items.count
        guard length > 0 else { return items }
        switch kind {
        case .crop:
            let keep = max(1, Int((cropRate ?? 0.6) * Double(length)))
            let start = generator.nextInt(below: length - keep + 1)
            return Array(items[start..<start + keep])
        case .mask:
            let count = min(length, Int((maskRate ?? 0.3) * Double(length)))
            var positions = Array(0..<length)
            for i in 0..<count {
                let j = i + generator.nextInt(below: length - i)
                positions.swapAt(i, j)
                items[positions[i]] = maskToken
            }
            return items
        case .reorder:
            let span = Int((reorderRate ?? 0.3) * Double(length))
            guard span > 1 else { return items }
            let start = generator.nextInt(below: length - span + 1)
            items[start..<start + span].seededShuffle(using: &generator)
            return items
        }
    }
}
