import RealModule
import Tensors

/// Loss functions: each returns the scalar loss and the gradient with respect to its inputs.
public enum Losses {
    /// Barlow Twins loss of two projections `z₁`, `z₂` `[B, f]` of the same batch.
    ///
    /// Each is standardised over the batch (`ẑ = (z − μ)/√(σ² + ε)`, biased σ²), `C = ẑ₁ᵀ ẑ₂ / B` `[f, f]`,
    /// `L = Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij²`. Backward: `∂C_ii = −2(1 − C_ii)`, `∂C_ij = 2λ C_ij`,
    /// `∂ẑ₁ = ẑ₂ ∂Cᵀ / B`, `∂ẑ₂ = ẑ₁ ∂C / B`, then through the standardisation.
    /// - Returns: the loss, its on-diagonal and (λ-weighted) off-diagonal parts, and `∂z₁`, `∂z₂`.
    public static func barlowTwins(_ z1: Tensor, _ z2: Tensor, lambda: Float, epsilon: Float = 1e-5)
        -> (loss: Float, onDiagonal: Float, offDiagonal: Float, gradient1: Tensor, gradient2: Tensor) {
        precondition(z1.shape == z2.shape && z1.rank == 2, "Losses.barlowTwins: shapes \(z1.shape), \(z2.shape)")
        let (b, f) = (z1.rows, z1.columns)
        let s1 = Standardization.forward(z1, groups: 1, epsilon: epsilon)
        let s2 = Standardization.forward(z2, groups: 1, epsilon: epsilon)
        var c = Tensor.matmul(s1.normalised, .transposed, s2.normalised, .none)
        c.scale(by: 1 / Float(b))
        var on: Double = 0
        var off: Double = 0
        var dc = Tensor(uninitialized: [f, f])
        c.withUnsafeBufferPointer { pc in
            dc.withUnsafeMutableBufferPointer { pd in
                for i in 0..<f {
                    for j in 0..<f {
                        let v = pc[i * f + j]
                        if i == j {
                            on += Double(1 - v) * Double(1 - v)
                            pd[i * f + j] = -2 * (1 - v)
                        } else {
                            off += Double(v) * Double(v)
                            pd[i * f + j] = 2 * lambda * v
                        }
                    }
                }
            }
        }
        var dh1 = Tensor(uninitialized: [b, f])
        var dh2 = Tensor(uninitialized: [b, f])
        Tensor.matmul(s2.normalised, .none, dc, .transposed, alpha: 1 / Float(b), into: &dh1)
        Tensor.matmul(s1.normalised, .none, dc, .none, alpha: 1 / Float(b), into: &dh2)
        let g1 = Standardization.backward(dh1, normalised: s1.normalised, inverseStd: s1.inverseStd, groups: 1)
        let g2 = Standardization.backward(dh2, normalised: s2.normalised, inverseStd: s2.inverseStd, groups: 1)
        let offWeighted = Float(Double(lambda) * off)
        return (Float(on) + offWeighted, Float(on), offWeighted, g1, g2)
    }

    /// InfoNCE / in-batch softmax over cosine similarities: `S_ij = cos(a_i, b_j)/τ`, `[B, B]`,
    /// `L = −(1/B) Σ_i log softmax_j(S_i·)_i` (row i's positive is column i). `symmetric` averages it with the
    /// same loss over the columns (b → a).
    /// Backward: `∂S = (softmax(S) − I)/B` (per direction), `∂â = ∂S b̂/τ`, `∂b̂ = ∂Sᵀ â/τ`,
    /// `∂a = (∂â − â(â·∂â))/‖a‖`.
    /// - Returns: the loss and `∂a`, `∂b` (both `[B, f]`).
    public static func infoNCE(_ a: Tensor, _ b: Tensor, temperature: Float, symmetric: Bool = false)
        -> (loss: Float, gradientA: Tensor, gradientB: Tensor) {
        precondition(a.rank == 2 && b.rank == 2 && a.columns == b.columns,
                     "Losses.infoNCE: shapes \(a.shape), \(b.shape)")
        precondition(a.rows == b.rows, "Losses.infoNCE: \(a.rows) anchors for \(b.rows) positives")
        let n = a.rows
        let (an, anorm) = normaliseRows(a)
        let (bn, bnorm) = normaliseRows(b)
        var s = Tensor.matmul(an, .none, bn, .transposed)
        s.scale(by: 1 / temperature)
        var (loss, ds) = crossEntropyRowsToDiagonal(s)
        if symmetric {
            let (lossT, dsT) = crossEntropyRowsToDiagonal(s.transposed())
            loss = (loss + lossT) / 2
            ds.addScaled(dsT.transposed(), by: 1)
            ds.scale(by: 0.5)
        }
        var dan = Tensor(uninitialized: [n, a.columns])
        var dbn = Tensor(uninitialized: [n, a.columns])
        Tensor.matmul(ds, .none, bn, .none, alpha: 1 / temperature, into: &dan)
        Tensor.matmul(ds, .transposed, an, .none, alpha: 1 / temperature, into: &dbn)
        return (loss, normaliseRowsBackward(dan, normalised: an, norms: anorm),
                normaliseRowsBackward(dbn, normalised: bn, norms: bnorm))
    }

    /// Mean softmax cross-entropy: `L = −(1/n) Σ_i log softmax(x_i)_{y_i}`, logits `[n, C]`, labels in `0..<C`.
    /// Backward `∂x = (softmax(x) − onehot(y))/n`.
    public static func softmaxCrossEntropy(_ logits: Tensor, labels: [Int]) -> (loss: Float, gradient: Tensor) {
        let (n, classes) = (logits.rows, logits.columns)
        precondition(labels.count == n, "Losses.softmaxCrossEntropy: \(labels.count) labels for \(n) rows")
        var grad = logits.matrixView
        var total: Double = 0
        grad.withUnsafeMutableBufferPointer { p in
            for r in 0..<n {
                let row = p.baseAddress! + r * classes
                let label = labels[r]
                precondition((0..<classes).contains(label),
                             "Losses.softmaxCrossEntropy: label \(label) outside 0..<\(classes)")
                var maxValue = row[0]
                for c in 1..<classes where row[c] > maxValue { maxValue = row[c] }
                var sum: Double = 0
                for c in 0..<classes { sum += Double.exp(Double(row[c] - maxValue)) }
                total += Double.log(sum) - Double(row[label] - maxValue)
                for c in 0..<classes { row[c] = Float(Double.exp(Double(row[c] - maxValue)) / sum) / Float(n) }
                row[label] -= 1 / Float(n)
            }
        }
        return (Float(total / Double(n)), grad)
    }

    /// Mean binary cross-entropy with logits: `L = (1/n) Σ max(x, 0) − x·y + log(1 + e^{−|x|})`, targets in
    /// `[0, 1]`, any shape (n = element count). Backward `∂x = (σ(x) − y)/n`.
    public static func binaryCrossEntropyWithLogits(_ logits: Tensor, targets: Tensor)
        -> (loss: Float, gradient: Tensor) {
        precondition(logits.count == targets.count, "Losses.binaryCrossEntropyWithLogits: counts differ")
        let n = logits.count
        var grad = logits
        var total: Double = 0
        grad.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                let x = Double(p[i])
                let y = Double(targets.storage[i])
                total += Swift.max(x, 0) - x * y + Double.log(1 + Double.exp(-abs(x)))
                let sigmoid = x >= 0 ? 1 / (1 + Double.exp(-x)) : Double.exp(x) / (1 + Double.exp(x))
                p[i] = Float((sigmoid - y) / Double(n))
            }
        }
        return (Float(total / Double(n)), grad)
    }

    /// Cross-entropy of each row of `s` `[B, B]` with its diagonal as target; returns the mean loss and `∂s`.
    static func crossEntropyRowsToDiagonal(_ s: Tensor) -> (Float, Tensor) {
        softmaxCrossEntropy(s, labels: Array(0..<s.rows))
    }

    /// Rows scaled to unit L2 norm (norm floored at 1e-12), and the original norms.
    static func normaliseRows(_ x: Tensor) -> (Tensor, [Float]) {
        let f = x.columns
        var out = x.matrixView
        var norms = [Float](repeating: 0, count: x.rows)
        out.withUnsafeMutableBufferPointer { p in
            for r in 0..<x.rows {
                let row = p.baseAddress! + r * f
                let norm = Swift.max(Kernels.sumOfSquares(row, count: f).squareRoot(), 1e-12)
                norms[r] = norm
                Kernels.scale(row, by: 1 / norm, count: f)
            }
        }
        return (out, norms)
    }

    /// Backward of `normaliseRows`: `∂x = (∂u − u(u·∂u))/‖x‖`.
    static func normaliseRowsBackward(_ du: Tensor, normalised u: Tensor, norms: [Float]) -> Tensor {
        let f = u.columns
        var dx = du
        dx.withUnsafeMutableBufferPointer { p in
            u.withUnsafeBufferPointer { pu in
                for r in 0..<u.rows {
                    let g = p.baseAddress! + r * f
                    let ur = pu.baseAddress! + r * f
                    let inner = Kernels.dot(ur, g, count: f)
                    let inv = 1 / norms[r]
                    for c in 0..<f { g[c] = (g[c] - ur[c] * inner) * inv }
                }
            }
        }
        return dx
    }
}
