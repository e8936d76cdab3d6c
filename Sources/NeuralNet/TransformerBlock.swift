import Randomness
import Tensors

/// Pre-norm Transformer encoder block over packed tokens `[N, d]`:
/// `h = x + Dropout(MHSA(LN₁(x)))`, `y = h + Dropout(W₂·Dropout(GELU(W₁·LN₂(h) + b₁)) + b₂)`.
///
/// Backward: `∂h = ∂y + LN₂ᵀ(W₁ᵀ(GELU′ ⊙ …))`, `∂x = ∂h + LN₁ᵀ(MHSAᵀ(Dropoutᵀ(∂h)))` (each sub-layer's own
/// backward). Dropout applies to both residual branches and after the GELU (as PyTorch's encoder layer does);
/// the attention probabilities are dropped with their own probability `attentionDropout` (default 0, where
/// PyTorch uses the one dropout everywhere). The GELU and its dropout run fused in one pass.
public final class TransformerBlock: ParameterOwner {
    /// Norm before attention.
    public let attentionNorm: LayerNorm
    /// Self-attention.
    public let attention: MultiHeadSelfAttention
    /// Norm before the feed-forward network.
    public let feedForwardNorm: LayerNorm
    /// First feed-forward layer `d → ff`.
    public let feedForwardIn: Linear
    /// Second feed-forward layer `ff → d`.
    public let feedForwardOut: Linear
    private let activation = GELU()
    private let attentionOutputDropout: Dropout
    private let hiddenDropout: Float
    private let outputDropout: Dropout

    /// A block named `name` with width `dimension`, `heads` heads, feed-forward width `feedForward`, dropout
    /// `dropout` on the residual and feed-forward branches and `attentionDropout` on the attention probabilities.
    public init(dimension: Int, heads: Int, feedForward: Int, dropout: Float, attentionDropout: Float = 0,
                name: String, generator: inout Xoshiro256StarStar) {
        attentionNorm = LayerNorm(dimension, name: scoped(name, "norm1"))
        attention = MultiHeadSelfAttention(dimension: dimension, heads: heads, attentionDropout: attentionDropout,
                                           name: scoped(name, "attention"), generator: &generator)
        feedForwardNorm = LayerNorm(dimension, name: scoped(name, "norm2"))
        feedForwardIn = Linear(dimension, feedForward, name: scoped(name, "ff1"), generator: &generator)
        feedForwardOut = Linear(feedForward, dimension, name: scoped(name, "ff2"), generator: &generator)
        attentionOutputDropout = Dropout(dropout)
        hiddenDropout = dropout
        outputDropout = Dropout(dropout)
    }

    /// Every parameter, in a fixed order.
    public var parameters: [Parameter] {
        attentionNorm.parameters + attention.parameters + feedForwardNorm.parameters
            + feedForwardIn.parameters + feedForwardOut.parameters
    }

    /// The block on packed tokens `[N, d]` → `[N, d]`.
    public func forward(_ x: Tensor, layout: SequenceLayout, training: Bool,
                        generator: inout Xoshiro256StarStar) -> Tensor {
        var h = attention.forward(attentionNorm.forward(x), layout: layout, training: training,
                                  generator: &generator)
        h = attentionOutputDropout.forward(h, training: training, generator: &generator)
        h += x
        let f = activation.forward(feedForwardIn.forward(feedForwardNorm.forward(h)), dropout: hiddenDropout,
                                   training: training, generator: &generator)
        var y = outputDropout.forward(feedForwardOut.forward(f), training: training, generator: &generator)
        y += h
        return y
    }

    /// Given `∂y` `[N, d]`, accumulates parameter gradients and returns `∂x`.
    public func backward(_ dy: Tensor) -> Tensor {
        var g = outputDropout.backward(dy)
        g = feedForwardOut.backward(g)
        g = feedForwardIn.backward(activation.backward(g))  // GELU's backward includes the fused dropout
        var dh = feedForwardNorm.backward(g)
        dh += dy
        var dx = attentionNorm.backward(attention.backward(attentionOutputDropout.backward(dh)))
        dx += dh
        return dx
    }
}
