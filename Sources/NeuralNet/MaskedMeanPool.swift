import Tensors

/// Masked mean over each sequence's valid tokens: `u_b = (1/L_b)·Σ_{t<L_b} x_{b,t}`, packed `[N, d]` → `[B, d]`
/// (a sequence with no valid token gives zeros). Backward: `∂x_{b,t} = ∂u_b / L_b`.
public final class MaskedMeanPool {
    private var layout = SequenceLayout(lengths: [])

    /// A pooling layer (no parameters).
    public init() {}

    /// Mean of each sequence's packed rows.
    public func forward(_ x: Tensor, layout: SequenceLayout) -> Tensor {
        precondition(x.rows == layout.tokenCount, "MaskedMeanPool: \(x.rows) rows for \(layout.tokenCount) tokens")
        self.layout = layout
        let d = x.columns
        var y = Tensor(zeros: [layout.batchSize, d])
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                for b in 0..<layout.batchSize where layout.lengths[b] > 0 {
                    let out = py.baseAddress! + b * d
                    for t in layout.offsets[b]..<layout.offsets[b + 1] {
                        Kernels.add(px.baseAddress! + t * d, into: out, count: d)
                    }
                    Kernels.scale(out, by: 1 / Float(layout.lengths[b]), count: d)
                }
            }
        }
        return y
    }

    /// Spreads `∂u` `[B, d]` back over the valid tokens: `[N, d]`.
    public func backward(_ dy: Tensor) -> Tensor {
        let d = dy.columns
        var dx = Tensor(uninitialized: [layout.tokenCount, d])
        dy.withUnsafeBufferPointer { pg in
            dx.withUnsafeMutableBufferPointer { pd in
                for b in 0..<layout.batchSize where layout.lengths[b] > 0 {
                    let inv = 1 / Float(layout.lengths[b])
                    let g = pg.baseAddress! + b * d
                    for t in layout.offsets[b]..<layout.offsets[b + 1] {
                        let out = pd.baseAddress! + t * d
                        for c in 0..<d { out[c] = g[c] * inv }
                    }
                }
            }
        }
        return dx
    }
}
