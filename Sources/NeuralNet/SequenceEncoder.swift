import Randomness
import Tensors

/// A user-sequence encoder: padded id batch `[B, T]` (+ lengths) → user embeddings `[B, d]`, with backward.
///
/// Contract: one `forward` per `backward`; `backward` accumulates into the parameters' gradients. To encode
/// two augmented views in one pass, stack them with `TokenBatch.concatenate`.
public protocol SequenceEncoder: ParameterOwner {
    /// Width d of the user embedding.
    var outputDimension: Int { get }
    /// Encodes `batch` → `[batch.batchSize, d]`; `training` enables dropout, which draws from `generator`.
    func forward(_ batch: TokenBatch, training: Bool, generator: inout Xoshiro256StarStar) -> Tensor
    /// Given `∂u` `[B, d]`, accumulates every parameter gradient of the last forward.
    func backward(_ dy: Tensor)
}
