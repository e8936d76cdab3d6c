import Tensors

/// Rectified linear unit, elementwise: `y = max(x, 0)`; backward `∂x = ∂y ⊙ [x > 0]`. Any shape. Both passes
/// split large tensors across `Parallel.workerCount` workers (elementwise: the result does not depend on it).
public final class ReLU {
    private var output = Tensor(zeros: [0])

    /// A ReLU (no parameters).
    public init() {}

    /// `max(x, 0)` elementwise.
    public func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { p in
                let pointers = UncheckedSendable((px.baseAddress!, p.baseAddress!))
                Parallel.forEachChunk(p.count, minimumChunk: 16_384) { range in
                    let (x, y) = pointers.value
                    for i in range { y[i] = Swift.max(x[i], 0) }
                }
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
                    let pointers = UncheckedSendable((g.baseAddress!, p.baseAddress!, y.baseAddress!))
                    Parallel.forEachChunk(p.count, minimumChunk: 16_384) { range in
                        let (g, dx, y) = pointers.value
                        for i in range { dx[i] = y[i] > 0 ? g[i] : 0 }
                    }
                }
            }
        }
        return dx
    }
}
