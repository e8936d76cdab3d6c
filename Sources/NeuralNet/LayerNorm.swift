import RealModule
import Tensors

/// Layer normalisation over the last axis: `y = γ ⊙ (x − μ)/√(σ² + ε) + β` per row, `[n, d]` → `[n, d]`.
///
/// `μ`, `σ²` are the row's mean and biased variance. Backward with `x̂ = (x − μ)·r`, `r = 1/√(σ² + ε)`,
/// `g = ∂y ⊙ γ`: `∂x = r·(g − mean(g) − x̂·mean(g ⊙ x̂))`, `∂γ += Σ_rows ∂y ⊙ x̂`, `∂β += Σ_rows ∂y`.
public final class LayerNorm: ParameterOwner {
    /// Scale `γ` `[d]`, starts at 1.
    public let gain: Parameter
    /// Shift `β` `[d]`, starts at 0.
    public let shift: Parameter
    /// Variance floor ε.
    public let epsilon: Float
    private var normalised = Tensor(zeros: [0, 0])
    private var inverseStd: [Float] = []

    /// A layer norm over width `dimension`, parameters `name.weight` and `name.bias`.
    public init(_ dimension: Int, epsilon: Float = 1e-5, name: String) {
        gain = Parameter(name: scoped(name, "weight"), value: Tensor(shape: [dimension], repeating: 1), decays: false)
        shift = Parameter(name: scoped(name, "bias"), value: Tensor(zeros: [dimension]), decays: false)
        self.epsilon = epsilon
    }

    /// Every parameter: γ then β.
    public var parameters: [Parameter] { [gain, shift] }

    /// Normalises each row of the matrix view `[n, d]`.
    public func forward(_ x: Tensor) -> Tensor {
        let d = gain.value.count
        precondition(x.columns == d, "LayerNorm(\(gain.name)): width \(x.columns), expected \(d)")
        let n = x.count / d
        var xhat = Tensor(uninitialized: [n, d])
        var y = Tensor(uninitialized: [n, d])
        var rstd = [Float](repeating: 0, count: n)
        let eps = epsilon
        x.withUnsafeBufferPointer { px in
            gain.value.withUnsafeBufferPointer { pg in
                shift.value.withUnsafeBufferPointer { pb in
                    xhat.withUnsafeMutableBufferPointer { ph in
                        y.withUnsafeMutableBufferPointer { py in
                            rstd.withUnsafeMutableBufferPointer { pr in
                                let pointers = UncheckedSendable((px.baseAddress!, pg.baseAddress!, pb.baseAddress!,
                                                                  ph.baseAddress!, py.baseAddress!, pr.baseAddress!))
                                Parallel.forEachChunk(n, minimumChunk: 64) { rows in
                                    let (px, pg, pb, ph, py, pr) = pointers.value
                                    for r in rows {
                                        let row = px + r * d
                                        let mean = Kernels.sum(row, count: d) / Float(d)
                                        var variance: Float = 0
                                        for c in 0..<d {
                                            let centred = row[c] - mean
                                            variance = Relaxed.multiplyAdd(centred, centred, variance)
                                        }
                                        let inv = 1 / (variance / Float(d) + eps).squareRoot()
                                        pr[r] = inv
                                        let h = ph + r * d
                                        let o = py + r * d
                                        for c in 0..<d {
                                            let v = (row[c] - mean) * inv
                                            h[c] = v
                                            o[c] = v * pg[c] + pb[c]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        normalised = xhat
        inverseStd = rstd
        return y
    }

    /// Given `∂y` `[n, d]`, accumulates `∂γ`, `∂β` and returns `∂x`.
    public func backward(_ dy: Tensor) -> Tensor {
        let d = gain.value.count
        let n = normalised.rows
        precondition(dy.count == n * d, "LayerNorm(\(gain.name)).backward: bad ∂y shape \(dy.shape)")
        var dx = Tensor(uninitialized: [n, d])
        dy.withUnsafeBufferPointer { pdy in
            normalised.withUnsafeBufferPointer { ph in
                gain.grad.withUnsafeMutableBufferPointer { dg in
                    shift.grad.withUnsafeMutableBufferPointer { db in
                        for r in 0..<n {
                            let g = pdy.baseAddress! + r * d
                            let h = ph.baseAddress! + r * d
                            for c in 0..<d {
                                dg[c] = Relaxed.multiplyAdd(g[c], h[c], dg[c])
                                db[c] += g[c]
                            }
                        }
                    }
                }
                gain.value.withUnsafeBufferPointer { pg in
                    inverseStd.withUnsafeBufferPointer { pr in
                        dx.withUnsafeMutableBufferPointer { pdx in
                            let pointers = UncheckedSendable((pdy.baseAddress!, ph.baseAddress!, pg.baseAddress!,
                                                              pr.baseAddress!, pdx.baseAddress!))
                            Parallel.forEachChunk(n, minimumChunk: 64) { rows in
                                let (pdy, ph, pg, pr, pdx) = pointers.value
                                for r in rows {
                                    let g = pdy + r * d
                                    let h = ph + r * d
                                    let o = pdx + r * d
                                    var meanG: Float = 0
                                    var meanGH: Float = 0
                                    for c in 0..<d {
                                        let gc = g[c] * pg[c]
                                        meanG = Relaxed.sum(meanG, gc)
                                        meanGH = Relaxed.multiplyAdd(gc, h[c], meanGH)
                                    }
                                    meanG /= Float(d)
                                    meanGH /= Float(d)
                                    let inv = pr[r]
                                    for c in 0..<d { o[c] = inv * (g[c] * pg[c] - meanG - h[c] * meanGH) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
