import Randomness
import Tensors

/// The light `mean_pool` encoder: masked mean of item embeddings, then `Linear d → d`:
/// `u_b = W·mean_{t<L_b} E[id_{b,t}] + b`, `[B, T]` → `[B, d]`. Parameter names `item_embedding.weight`,
/// `projection.weight`, `projection.bias`.
public final class MeanPoolEncoder: SequenceEncoder {
    /// Item table `[vocabulary, d]`.
    public let itemEmbedding: Embedding
    /// Output layer `d → d`.
    public let projection: Linear
    private let pool = MaskedMeanPool()

    /// A freshly initialised encoder (embedding N(0, 0.02²), padding row zero; Xavier linear).
    public init(vocabulary: Int, dimension: Int, generator: inout Xoshiro256StarStar) {
        itemEmbedding = Embedding(vocabulary: vocabulary, dimension: dimension, paddingIndex: 0,
                                  name: "item_embedding", generator: &generator)
        projection = Linear(dimension, dimension, name: "projection", generator: &generator)
    }

    /// Width d.
    public var outputDimension: Int { projection.outFeatures }

    /// Every parameter: embedding, projection.
    public var parameters: [Parameter] { itemEmbedding.parameters + projection.parameters }

    /// Encodes `batch` → `[B, d]` (no randomness used).
    public func forward(_ batch: TokenBatch, training: Bool, generator: inout Xoshiro256StarStar) -> Tensor {
        projection.forward(pool.forward(itemEmbedding.forward(batch.packedIDs), layout: batch.layout))
    }

    /// Given `∂u` `[B, d]`, accumulates all parameter gradients.
    public func backward(_ dy: Tensor) {
        itemEmbedding.backward(pool.backward(projection.backward(dy)))
    }
}
