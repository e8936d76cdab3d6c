import Randomness
import Tensors

/// Hyper-parameters of `TransformerEncoder` (defaults: PROTOCOL section 3).
public struct TransformerEncoderConfig: Sendable, Equatable, Codable {
    /// Item vocabulary size including padding id 0 (and the mask token, if used).
    public var vocabulary: Int
    /// Model width d.
    public var dimension: Int = 64
    /// Number of Transformer blocks.
    public var blocks: Int = 2
    /// Attention heads per block.
    public var heads: Int = 2
    /// Feed-forward width.
    public var feedForward: Int = 256
    /// Number of learned positions (longest sequence).
    public var maxLength: Int = 50
    /// Dropout probability on the input, the residual branches and the feed-forward hidden layer.
    public var dropout: Float = 0.1
    /// Dropout probability on the attention probabilities (0: none, as before this setting existed).
    public var attentionDropout: Float = 0

    /// A configuration with the protocol's defaults for everything but the vocabulary.
    public init(vocabulary: Int, dimension: Int = 64, blocks: Int = 2, heads: Int = 2, feedForward: Int = 256,
                maxLength: Int = 50, dropout: Float = 0.1, attentionDropout: Float = 0) {
        self.vocabulary = vocabulary
        self.dimension = dimension
        self.blocks = blocks
        self.heads = heads
        self.feedForward = feedForward
        self.maxLength = maxLength
        self.dropout = dropout
        self.attentionDropout = attentionDropout
    }

    enum CodingKeys: String, CodingKey {
        case vocabulary, dimension, blocks, heads, feedForward, maxLength, dropout, attentionDropout
    }

    /// Decodes a configuration; `attentionDropout` is 0 when absent (configurations written before it existed).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(vocabulary: try container.decode(Int.self, forKey: .vocabulary),
                  dimension: try container.decode(Int.self, forKey: .dimension),
                  blocks: try container.decode(Int.self, forKey: .blocks),
                  heads: try container.decode(Int.self, forKey: .heads),
                  feedForward: try container.decode(Int.self, forKey: .feedForward),
                  maxLength: try container.decode(Int.self, forKey: .maxLength),
                  dropout: try container.decode(Float.self, forKey: .dropout),
                  attentionDropout: try container.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0)
    }
}

/// The PROTOCOL section 3 encoder: item embedding + learned position embedding, dropout, `blocks` pre-norm
/// Transformer blocks with key-padding mask, final LayerNorm, masked mean over valid positions.
///
/// `[B, T]` ids → `x₀ = E_item[id] + E_pos[t]` (valid tokens only, packed `[N, d]`) → blocks → LN →
/// masked mean → `[B, d]`. Item and position tables start N(0, 0.02²) (item padding row 0 zero),
/// linear layers Xavier/Glorot. Parameter names: `item_embedding.weight`, `position_embedding.weight`,
/// `blocks.{i}.…`, `final_norm.…`.
public final class TransformerEncoder: SequenceEncoder {
    /// The configuration it was built from.
    public let config: TransformerEncoderConfig
    /// Item table `[vocabulary, d]`; shareable with an item tower.
    public let itemEmbedding: Embedding
    /// Position table `[maxLength, d]`.
    public let positionEmbedding: Embedding
    /// The blocks.
    public let blocks: [TransformerBlock]
    /// Final norm.
    public let finalNorm: LayerNorm
    private let inputDropout: Dropout
    private let pool = MaskedMeanPool()

    /// A freshly initialised encoder; parameter values come from `generator`.
    public init(_ config: TransformerEncoderConfig, generator: inout Xoshiro256StarStar) {
        self.config = config
        itemEmbedding = Embedding(vocabulary: config.vocabulary, dimension: config.dimension, paddingIndex: 0,
                                  name: "item_embedding", generator: &generator)
        positionEmbedding = Embedding(vocabulary: config.maxLength, dimension: config.dimension, paddingIndex: nil,
                                      name: "position_embedding", generator: &generator)
        blocks = (0..<config.blocks).map { i in
            TransformerBlock(dimension: config.dimension, heads: config.heads, feedForward: config.feedForward,
                             dropout: config.dropout, attentionDropout: config.attentionDropout,
                             name: "blocks.\(i)", generator: &generator)
        }
        finalNorm = LayerNorm(config.dimension, name: "final_norm")
        inputDropout = Dropout(config.dropout)
    }

    /// Width d.
    public var outputDimension: Int { config.dimension }

    /// Every parameter: embeddings, blocks in order, final norm.
    public var parameters: [Parameter] {
        itemEmbedding.parameters + positionEmbedding.parameters + blocks.flatMap(\.parameters) + finalNorm.parameters
    }

    /// Encodes `batch` (padded length at most `maxLength`) → `[B, d]`.
    public func forward(_ batch: TokenBatch, training: Bool, generator: inout Xoshiro256StarStar) -> Tensor {
        precondition(batch.layout.maxLength <= config.maxLength,
                     "TransformerEncoder: sequence length \(batch.layout.maxLength) exceeds maxLength "
                        + "\(config.maxLength)")
        var x = itemEmbedding.forward(batch.packedIDs)
        x += positionEmbedding.forward(batch.packedPositions)
        x = inputDropout.forward(x, training: training, generator: &generator)
        for block in blocks { x = block.forward(x, layout: batch.layout, training: training, generator: &generator) }
        return pool.forward(finalNorm.forward(x), layout: batch.layout)
    }

    /// Given `∂u` `[B, d]`, accumulates all parameter gradients.
    public func backward(_ dy: Tensor) {
        var g = finalNorm.backward(pool.backward(dy))
        for block in blocks.reversed() { g = block.backward(g) }
        g = inputDropout.backward(g)
        itemEmbedding.backward(g)
        positionEmbedding.backward(g)
    }
}
