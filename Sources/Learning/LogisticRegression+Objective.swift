import Foundation
import Tensors

/// A design matrix `X: [n, d]` kept twice, as given (`Double`) and as a Float32 tensor for GEMMs, so every fit of an
/// L2 grid (and every column of a one-vs-rest probe) shares one copy.
struct DesignMatrix {
    /// `X` as a `[n, d]` Float32 tensor.
    let x: Tensor
    /// `X` as given, for the exact `Double` evaluations.
    let exact: FeatureMatrix
    /// The number of examples `n`.
    var rows: Int { exact.rows }
    /// The number of features `d`.
    var columns: Int { exact.columns }

    /// Keeps `matrix` and its Float32 copy.
    init(_ matrix: FeatureMatrix) {
        x = Tensor(shape: [matrix.rows, matrix.columns], storage: matrix.values.map(Float.init))
        exact = matrix
    }
}

/// The two products of a linear model with `K` outputs (`K` classes or `K` label columns) over `X: [n, d]`:
/// `Z = X Wᵀ` (`[n, d]·[d, K] → [n, K]`) and `∂J/∂W = (1/n) Rᵀ X + λ W` (`[K, n]·[n, d] → [K, d]`) for residuals `R`.
///
/// Fast mode runs both as Float32 GEMMs (`Tensor.matmul`, deterministic for a fixed `Parallel.workerCount`); exact
/// mode runs them as `Double` loops. Either way `logits` and `residuals` are `Double` `[n, K]` row-major, and
/// every buffer is allocated once.
struct LinearProducts {
    let design: DesignMatrix
    /// The number of outputs `K`.
    let outputs: Int
    /// `X Wᵀ` without the bias, `[n, K]`, written by ``forward(_:exact:)``.
    var logits: [Double]
    /// `R`, `[n, K]`, written by the caller before ``backward(_:l2:into:exact:)``.
    var residuals: [Double]
    private var weights: Tensor
    private var logitTensor: Tensor
    private var residualTensor: Tensor
    private var gradientTensor: Tensor

    /// Allocates the buffers for `design` and `outputs` outputs.
    init(design: DesignMatrix, outputs: Int) {
        self.design = design
        self.outputs = outputs
        let n = design.rows
        let d = design.columns
        logits = [Double](repeating: 0, count: n * outputs)
        residuals = [Double](repeating: 0, count: n * outputs)
        weights = Tensor(zeros: [outputs, d])
        logitTensor = Tensor(zeros: [n, outputs])
        residualTensor = Tensor(zeros: [n, outputs])
        gradientTensor = Tensor(zeros: [outputs, d])
    }

    /// `logits ← X Wᵀ` for `W = θ[0 ..< K·d]` (row-major `[K, d]`).
    mutating func forward(_ theta: [Double], exact: Bool) {
        let n = design.rows
        let d = design.columns
        let k = outputs
        if exact {
            design.exact.values.withUnsafeBufferPointer { x in
                theta.withUnsafeBufferPointer { w in
                    logits.withUnsafeMutableBufferPointer { z in
                        for i in 0..<n {
                            for c in 0..<k {
                                var sum = 0.0
                                for j in 0..<d { sum += w[c * d + j] * x[i * d + j] }
                                z[i * k + c] = sum
                            }
                        }
                    }
                }
            }
            return
        }
        theta.withUnsafeBufferPointer { t in
            weights.withUnsafeMutableBufferPointer { w in
                for index in 0..<(k * d) { w[index] = Float(t[index]) }
            }
        }
        Tensor.matmul(design.x, .none, weights, .transposed, into: &logitTensor)
        logitTensor.withUnsafeBufferPointer { z in
            logits.withUnsafeMutableBufferPointer { out in
                for index in 0..<(n * k) { out[index] = Double(z[index]) }
            }
        }
    }

    /// `gradient[0 ..< K·d] ← (1/n) Rᵀ X + λ W` from `residuals` and `W = θ[0 ..< K·d]`.
    mutating func backward(_ theta: [Double], l2: Double, into gradient: inout [Double], exact: Bool) {
        let n = design.rows
        let d = design.columns
        let k = outputs
        let scale = 1 / Double(n)
        if exact {
            for index in 0..<(k * d) { gradient[index] = 0 }
            design.exact.values.withUnsafeBufferPointer { x in
                residuals.withUnsafeBufferPointer { r in
                    gradient.withUnsafeMutableBufferPointer { g in
                        for i in 0..<n {
                            for c in 0..<k {
                                let residual = r[i * k + c]
                                if residual == 0 { continue }
                                for j in 0..<d { g[c * d + j] += residual * x[i * d + j] }
                            }
                        }
                    }
                }
            }
            for index in 0..<(k * d) { gradient[index] = gradient[index] * scale + l2 * theta[index] }
            return
        }
        residuals.withUnsafeBufferPointer { r in
            residualTensor.withUnsafeMutableBufferPointer { out in
                for index in 0..<(n * k) { out[index] = Float(r[index]) }
            }
        }
        Tensor.matmul(residualTensor, .transposed, design.x, .none, into: &gradientTensor)
        gradientTensor.withUnsafeBufferPointer { g in
            for index in 0..<(k * d) { gradient[index] = Double(g[index]) * scale + l2 * theta[index] }
        }
    }
}

/// The multinomial objective `J(W, b) = −(1/n) Σᵢ log softmax(W xᵢ + b)[yᵢ] + (λ/2) ‖W‖²_F` and its gradient,
/// over parameters `θ = [W (row-major [C, d]), b ([C])]`; the products by ``LinearProducts`` (Float32 GEMMs, or
/// `Double` loops when exact), the softmax, the loss sum and the bias gradient `(1/n) Σᵢ (pᵢ − yᵢ)` in `Double`.
struct MultinomialObjective {
    let labels: [Int]
    let classes: Int
    let l2: Double
    private var products: LinearProducts
    private var exps: [Double]
    private var biasGradient: [Double]

    /// Prepares the buffers for `design` `[n, d]` and `labels` `[n]` in `0..<classes`.
    init(design: DesignMatrix, labels: [Int], classes: Int, l2: Double) {
        self.labels = labels
        self.classes = classes
        self.l2 = l2
        products = LinearProducts(design: design, outputs: classes)
        exps = [Double](repeating: 0, count: classes)
        biasGradient = [Double](repeating: 0, count: classes)
    }

    /// Returns `J(θ)` and writes `∇J(θ)` into `gradient` (`C·d + C` entries, like `theta`); `exact` picks the
    /// `Double` products over the Float32 GEMMs.
    mutating func evaluate(_ theta: [Double], gradient: inout [Double], exact: Bool = false) -> Double {
        let n = products.design.rows
        let c = classes
        let weightCount = c * products.design.columns
        products.forward(theta, exact: exact)
        var loss = 0.0
        for k in 0..<c { biasGradient[k] = 0 }
        theta.withUnsafeBufferPointer { t in
            products.logits.withUnsafeBufferPointer { z in
                products.residuals.withUnsafeMutableBufferPointer { r in
                    exps.withUnsafeMutableBufferPointer { e in
                        biasGradient.withUnsafeMutableBufferPointer { gb in
                            labels.withUnsafeBufferPointer { y in
                                for i in 0..<n {
                                    let row = i * c
                                    var largest = -Double.infinity
                                    for k in 0..<c {
                                        let value = z[row + k] + t[weightCount + k]
                                        e[k] = value
                                        largest = max(largest, value)
                                    }
                                    let label = y[i]
                                    let labelLogit = e[label]
                                    var total = 0.0
                                    for k in 0..<c {
                                        let value = exp(e[k] - largest)
                                        e[k] = value
                                        total += value
                                    }
                                    // −log pᵢ[y] = log Σₖ e^{zₖ − max} − (z_y − max).
                                    loss += log(total) - (labelLogit - largest)
                                    let inverse = 1 / total
                                    for k in 0..<c {
                                        let residual = e[k] * inverse - (k == label ? 1 : 0)
                                        r[row + k] = residual
                                        gb[k] += residual
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        products.backward(theta, l2: l2, into: &gradient, exact: exact)
        let scale = n > 0 ? 1 / Double(n) : 0
        for k in 0..<c { gradient[weightCount + k] = biasGradient[k] * scale }
        return loss * scale + 0.5 * l2 * penalty(theta, count: weightCount)
    }
}

/// `L` independent binary objectives fitted as one: for column `l`,
/// `Jₗ(wₗ, bₗ) = (1/n) Σᵢ [log(1 + e^{zᵢₗ}) − yᵢₗ zᵢₗ] + (λ/2) ‖wₗ‖²` with `zᵢₗ = wₗ·xᵢ + bₗ`, and the objective
/// is `Σₗ Jₗ` over `θ = [W (row-major [L, d]), b ([L])]`. The sum separates, so its minimiser is every column's
/// own minimiser, while the products `Z = X Wᵀ` and `Rᵀ X` with `R = σ(Z) − Y` are shared by all columns
/// (``LinearProducts``); loss and bias gradient in `Double`.
struct BinaryColumnsObjective {
    /// Targets `Y: [n, L]` row-major, 0 or 1.
    let targets: [Double]
    let columnCount: Int
    let l2: Double
    private var products: LinearProducts
    private var biasGradient: [Double]

    /// Prepares the buffers for `design` `[n, d]` and `targets` `[n, L]` (row-major, `L = columnCount`).
    init(design: DesignMatrix, targets: [Double], columnCount: Int, l2: Double) {
        self.targets = targets
        self.columnCount = columnCount
        self.l2 = l2
        products = LinearProducts(design: design, outputs: columnCount)
        biasGradient = [Double](repeating: 0, count: columnCount)
    }

    /// Returns `Σₗ Jₗ(θ)` and writes its gradient into `gradient` (`L·d + L` entries, like `theta`); `exact` picks
    /// the `Double` products over the Float32 GEMMs.
    mutating func evaluate(_ theta: [Double], gradient: inout [Double], exact: Bool = false) -> Double {
        let n = products.design.rows
        let c = columnCount
        let weightCount = c * products.design.columns
        products.forward(theta, exact: exact)
        var loss = 0.0
        for k in 0..<c { biasGradient[k] = 0 }
        theta.withUnsafeBufferPointer { t in
            products.logits.withUnsafeBufferPointer { zs in
                products.residuals.withUnsafeMutableBufferPointer { r in
                    biasGradient.withUnsafeMutableBufferPointer { gb in
                        targets.withUnsafeBufferPointer { y in
                            for i in 0..<n {
                                for k in 0..<c {
                                    let z = zs[i * c + k] + t[weightCount + k]
                                    // With e = e^{−|z|}: log(1 + e^z) = max(z, 0) + log1p(e), and
                                    // σ(z) = 1 / (1 + e) for z ≥ 0, e / (1 + e) otherwise; one exp, stable.
                                    let e = exp(-abs(z))
                                    loss += max(z, 0) + log1p(e) - y[i * c + k] * z
                                    let sigmoid = z >= 0 ? 1 / (1 + e) : e / (1 + e)
                                    let residual = sigmoid - y[i * c + k]
                                    r[i * c + k] = residual
                                    gb[k] += residual
                                }
                            }
                        }
                    }
                }
            }
        }
        products.backward(theta, l2: l2, into: &gradient, exact: exact)
        let scale = n > 0 ? 1 / Double(n) : 0
        for k in 0..<c { gradient[weightCount + k] = biasGradient[k] * scale }
        return loss * scale + 0.5 * l2 * penalty(theta, count: weightCount)
    }
}

/// `Σₖ θₖ²` over the first `count` entries (the weights, not the biases).
private func penalty(_ theta: [Double], count: Int) -> Double {
    var sum = 0.0
    for k in 0..<count { sum += theta[k] * theta[k] }
    return sum
}
