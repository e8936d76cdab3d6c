import NeuralNet

/// Which user-sequence encoder to build (PROTOCOL.md section 3).
public enum EncoderKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// Item + position embeddings, pre-norm Transformer blocks, final LayerNorm, masked mean.
    case transformer
    /// Masked mean of item embeddings, then `Linear d → d` (fast ablation).
    case meanPool = "mean_pool"
}

/// Everything needed to rebuild an encoder's architecture; stored beside its checkpoint bytes.
///
/// `vocabulary = itemCount + 2` (padding id 0, items `1...itemCount`, mask token `itemCount + 1`).
public struct EncoderConfig: Sendable, Equatable, Codable {
    /// Transformer or mean-pool.
    public var kind: EncoderKind
    /// Embedding rows: the prepared dataset's item count + 2.
    public var vocabulary: Int
    /// Width d of the user embedding.
    public var dimension: Int
    /// Transformer blocks (ignored by `mean_pool`).
    public var blocks: Int
    /// Attention heads per block (ignored by `mean_pool`).
    public var heads: Int
    /// Feed-forward width (ignored by `mean_pool`).
    public var feedForward: Int
    /// Dropout probability (ignored by `mean_pool`).
    public var dropout: Float
    /// Longest input: the encoder sees the last `maxLength` history items.
    public var maxLength: Int

    /// A configuration with the protocol's defaults (d 64, 2 blocks, 2 heads, ff 256, dropout 0.1, length 50).
    public init(kind: EncoderKind = .transformer, vocabulary: Int, dimension: Int = 64, blocks: Int = 2,
                heads: Int = 2, feedForward: Int = 256, dropout: Float = 0.1, maxLength: Int = 50) {
        self.kind = kind
        self.vocabulary = vocabulary
        self.dimension = dimension
        self.blocks = blocks
        self.heads = heads
        self.feedForward = feedForward
        self.dropout = dropout
        self.maxLength = maxLength
    }

    /// The protocol configuration for a prepared dataset with `itemCount` items: vocabulary `itemCount + 2`.
    public init(kind: EncoderKind = .transformer, itemCount: Int, dimension: Int = 64, blocks: Int = 2,
                heads: Int = 2, feedForward: Int = 256, dropout: Float = 0.1, maxLength: Int = 50) {
        self.init(kind: kind, vocabulary: itemCount + 2, dimension: dimension, blocks: blocks, heads: heads,
                  feedForward: feedForward, dropout: dropout, maxLength: maxLength)
    }

    /// The `TransformerEncoderConfig` this describes.
    public var transformer: TransformerEncoderConfig {
        TransformerEncoderConfig(vocabulary: vocabulary, dimension: dimension, blocks: blocks, heads: heads,
                                 feedForward: feedForward, maxLength: maxLength, dropout: dropout)
    }
}
