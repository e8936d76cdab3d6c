import Randomness
import Tensors

/// Fully connected layer: `y = x·W + b`, `x` `[n, in]` → `y` `[n, out]`, `W` `[in, out]`, `b` `[out]`.
///
/// Backward: `∂W += xᵀ·∂y`, `∂b += Σ_rows ∂y`, `∂x = ∂y·Wᵀ`. `W` starts Xavier/Glorot uniform, `b` zero.
/// Caches its last input for backward (one forward per backward).
public final class Linear: ParameterOwner {
    /// Weight `[in, out]`.
    public let weight: Parameter
    /// Bias `[out]`, or nil for a bias-free layer.
    public let bias: Parameter?
    /// Input width.
    public let inFeatures: Int
    /// Output width.
    public let outFeatures: Int
    private var input = Tensor(zeros: [0, 0])

    /// A layer named `name` (parameters `name.weight`, `name.bias`).
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, name: String,
                generator: inout Xoshiro256StarStar) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        weight = Parameter(name: scoped(name, "weight"),
                           value: .xavierUniform(shape: [inFeatures, outFeatures], fanIn: inFeatures,
                                                 fanOut: outFeatures, using: &generator))
        self.bias = bias ? Parameter(name: scoped(name, "bias"), value: Tensor(zeros: [outFeatures]),
                                     decays: false) : nil
    }

    /// Every parameter: weight, then bias.
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// `y = x·W + b` for the matrix view of `x` (`[n, in]`, or `[batch, time, in]` flattened).
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.columns == inFeatures,
                     "Linear(\(weight.name)): input width \(x.columns), expected \(inFeatures)")
        input = x
        var y = Tensor(uninitialized: [x.count / inFeatures, outFeatures])
        if let bias {
            // Every row starts as the bias (GEMM then adds x·W); rows are split across the workers.
            let width = outFeatures
            bias.value.withUnsafeBufferPointer { b in
                y.withUnsafeMutableBufferPointer { out in
                    let pointers = UncheckedSendable((b.baseAddress!, out.baseAddress!))
                    Parallel.forEachChunk(out.count / width, minimumChunk: 256) { rows in
                        let (b, out) = pointers.value
                        for r in rows { (out + r * width).update(from: b, count: width) }
                    }
                }
            }
            Tensor.matmul(x.matrixView, .none, weight.value, .none, beta: 1, into: &y)
        } else {
            Tensor.matmul(x.matrixView, .none, weight.value, .none, into: &y)
        }
        return y
    }

    /// Given `∂y` `[n, out]`, accumulates `∂W`, `∂b` and returns `∂x` `[n, in]`.
    public func backward(_ dy: Tensor) -> Tensor {
        let x = input.matrixView
        let g = dy.matrixView
        precondition(g.rows == x.rows && g.columns == outFeatures, "Linear(\(weight.name)).backward: bad ∂y shape")
        Tensor.matmul(x, .transposed, g, .none, beta: 1, into: &weight.grad)
        if let bias {
            // Column sums in fixed row blocks (partial sums added in block order: reproducible, parallel).
            let blockRows = 1024
            let blocks = (g.rows + blockRows - 1) / blockRows
            let width = outFeatures
            var partial = [Float](repeating: 0, count: blocks * width)
            g.withUnsafeBufferPointer { pg in
                partial.withUnsafeMutableBufferPointer { pp in
                    let pointers = UncheckedSendable((pg.baseAddress!, pp.baseAddress!))
                    Parallel.forEachChunk(blocks) { range in
                        let (pg, pp) = pointers.value
                        for block in range {
                            let first = block * blockRows
                            Kernels.accumulateColumnSums(pg + first * width, rows: Swift.min(blockRows, g.rows - first),
                                                         columns: width, into: pp + block * width)
                        }
                    }
                }
            }
            bias.grad.withUnsafeMutableBufferPointer { pb in
                partial.withUnsafeBufferPointer { pp in
                    for block in 0..<blocks {
                        Kernels.add(pp.baseAddress! + block * width, into: pb.baseAddress!, count: width)
                    }
                }
            }
        }
        var dx = Tensor(uninitialized: [x.rows, inFeatures])
        Tensor.matmul(g, .none, weight.value, .transposed, into: &dx)
        return dx
    }
}
