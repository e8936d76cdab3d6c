import RealModule
import Tensors

/// Column standardisation over rows, per group of consecutive rows: the affine-free core of BatchNorm and of
/// the Barlow Twins loss.
///
/// Forward, per group of `m` rows and column `c`: `x̂ = (x − μ_c)·r_c`, `r_c = 1/√(σ²_c + ε)` (biased σ²).
/// Backward: `∂x = r_c·(∂x̂ − mean_rows(∂x̂) − x̂·mean_rows(∂x̂ ⊙ x̂))`.
public enum Standardization {
    /// Standardises `x` `[groups·m, f]` per group; returns `x̂`, and per group the column means, biased
    /// variances and inverse standard deviations (each `[groups·f]`).
    public static func forward(_ x: Tensor, groups: Int, epsilon: Float)
        -> (normalised: Tensor, mean: [Float], variance: [Float], inverseStd: [Float]) {
        let f = x.columns
        let n = x.rows
        precondition(groups > 0 && n % groups == 0, "Standardization: \(n) rows do not split into \(groups) groups")
        let m = n / groups
        var mean = [Float](repeating: 0, count: groups * f)
        var variance = [Float](repeating: 0, count: groups * f)
        var inverseStd = [Float](repeating: 0, count: groups * f)
        var xhat = Tensor(uninitialized: [n, f])
        x.withUnsafeBufferPointer { px in
            xhat.withUnsafeMutableBufferPointer { ph in
                for g in 0..<groups {
                    let mu = UnsafeMutablePointer<Float>.allocate(capacity: f)
                    let va = UnsafeMutablePointer<Float>.allocate(capacity: f)
                    defer { mu.deallocate(); va.deallocate() }
                    mu.initialize(repeating: 0, count: f)
                    va.initialize(repeating: 0, count: f)
                    for r in (g * m)..<((g + 1) * m) { Kernels.add(px.baseAddress! + r * f, into: mu, count: f) }
                    for c in 0..<f { mu[c] /= Float(m) }
                    for r in (g * m)..<((g + 1) * m) {
                        let row = px.baseAddress! + r * f
                        for c in 0..<f {
                            let centred = row[c] - mu[c]
                            va[c] = Relaxed.multiplyAdd(centred, centred, va[c])
                        }
                    }
                    for c in 0..<f {
                        va[c] /= Float(m)
                        mean[g * f + c] = mu[c]
                        variance[g * f + c] = va[c]
                        let inv = 1 / (va[c] + epsilon).squareRoot()
                        inverseStd[g * f + c] = inv
                        mu[c] = mu[c]
                        va[c] = inv
                    }
                    for r in (g * m)..<((g + 1) * m) {
                        let row = px.baseAddress! + r * f
                        let out = ph.baseAddress! + r * f
                        for c in 0..<f { out[c] = (row[c] - mu[c]) * va[c] }
                    }
                }
            }
        }
        return (xhat, mean, variance, inverseStd)
    }

    /// Backward of `forward`: given `∂x̂` `[groups·m, f]`, `x̂` and the per-group inverse standard deviations,
    /// returns `∂x`.
    public static func backward(_ dxhat: Tensor, normalised xhat: Tensor, inverseStd: [Float], groups: Int) -> Tensor {
        let f = xhat.columns
        let n = xhat.rows
        let m = n / groups
        var dx = Tensor(uninitialized: [n, f])
        dxhat.withUnsafeBufferPointer { pg in
            xhat.withUnsafeBufferPointer { ph in
                dx.withUnsafeMutableBufferPointer { pd in
                    let meanG = UnsafeMutablePointer<Float>.allocate(capacity: f)
                    let meanGH = UnsafeMutablePointer<Float>.allocate(capacity: f)
                    defer { meanG.deallocate(); meanGH.deallocate() }
                    for g in 0..<groups {
                        meanG.initialize(repeating: 0, count: f)
                        meanGH.initialize(repeating: 0, count: f)
                        for r in (g * m)..<((g + 1) * m) {
                            let gr = pg.baseAddress! + r * f
                            let hr = ph.baseAddress! + r * f
                            for c in 0..<f {
                                meanG[c] += gr[c]
                                meanGH[c] = Relaxed.multiplyAdd(gr[c], hr[c], meanGH[c])
                            }
                        }
                        let scale = 1 / Float(m)
                        for r in (g * m)..<((g + 1) * m) {
                            let gr = pg.baseAddress! + r * f
                            let hr = ph.baseAddress! + r * f
                            let out = pd.baseAddress! + r * f
                            for c in 0..<f {
                                out[c] = inverseStd[g * f + c] * (gr[c] - meanG[c] * scale - hr[c] * meanGH[c] * scale)
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
