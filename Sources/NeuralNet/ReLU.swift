import Tensors

/// Rectified linear unit, elementwise: `y = max(x, 0)`; backward `∂x = ∂y ⊙ [x > 0]`. Any shape.
public final class ReLU {
    private var output = Tensor(zeros: [0])

    /// A ReLU (no parameters).
    public init() {}

    /// `max(x, 0)` elementwise.
    public func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { p in
                for i in p.indices { p[i] = Swift.max(px[i], 0) }
            }
        }
        output = y
        return y
    }

    /// `∂y ⊙ [y > 0]`.
    public func backward(_ dy: Tensor) -> Tensor {
        var dx = Tensor(uninitialized: dy.shape)
        dy.withUnsafeBufferPointer { g in
            dx.withUnsafeMutableBufferPointer { p in
                output.withUnsafeBufferPointer { y in
                    for i in p.indices { p[i] = y[i] > 0 ? g[i] : 0 }
                }
            }
        }
        return dx
    }
}
