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
    /// Dropout probability on the input, residual and feed-forward branches (ignored by `mean_pool`).
    public var dropout: Float
    /// Dropout probability on the attention probabilities (ignored by `mean_pool`); 0 for none.
    public var attentionDropout: Float = 0
    /// Longest input: the encoder sees the last `maxLength` history items.
    public var maxLength: Int

    /// A configuration with the protocol's defaults (d 64, 2 blocks, 2 heads, ff 256, dropout 0.1, length 50).
    public init(kind: EncoderKind = .transformer, vocabulary: Int, dimension: Int = 64, blocks: Int = 2,
                heads: Int = 2, feedForward: Int = 256, dropout: Float = 0.1, attentionDropout: Float = 0,
                maxLength: Int = 50) {
        self.kind = kind
        self.vocabulary = vocabulary
        self.dimension = dimension
        self.blocks = blocks
        self.heads = heads
        self.feedForward = feedForward
        self.dropout = dropout
        self.attentionDropout = attentionDropout
        self.maxLength = maxLength
    }

    /// The protocol configuration for a prepared dataset with `itemCount` items: vocabulary `itemCount + 2`.
    public init(kind: EncoderKind = .transformer, itemCount: Int, dimension: Int = 64, blocks: Int = 2,
                heads: Int = 2, feedForward: Int = 256, dropout: Float = 0.1, attentionDropout: Float = 0,
                maxLength: Int = 50) {
        self.init(kind: kind, vocabulary: itemCount + 2, dimension: dimension, blocks: blocks, heads: heads,
                  feedForward: feedForward, dropout: dropout, attentionDropout: attentionDropout,
                  maxLength: maxLength)
    }

    enum CodingKeys: String, CodingKey {
        case kind, vocabulary, dimension, blocks, heads, feedForward, dropout, attentionDropout, maxLength
    }

    /// Decodes a configuration; `attentionDropout` is 0 when absent (checkpoints stored before it existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(kind: try container.decode(EncoderKind.self, forKey: .kind),
                  vocabulary: try container.decode(Int.self, forKey: .vocabulary),
                  dimension: try container.decode(Int.self, forKey: .dimension),
                  blocks: try container.decode(Int.self, forKey: .blocks),
                  heads: try container.decode(Int.self, forKey: .heads),
                  feedForward: try container.decode(Int.self, forKey: .feedForward),
                  dropout: try container.decode(Float.self, forKey: .dropout),
                  attentionDropout: try container.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0,
                  maxLength: try container.decode(Int.self, forKey: .maxLength))
    }

    /// The `TransformerEncoderConfig` this describes.
    public var transformer: TransformerEncoderConfig {
        TransformerEncoderConfig(vocabulary: vocabulary, dimension: dimension, blocks: blocks, heads: heads,
                                 feedForward: feedForward, maxLength: maxLength, dropout: dropout,
                                 attentionDropout: attentionDropout)
    }
}
