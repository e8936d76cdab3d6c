import Foundation

/// Multinomial logistic regression with an L2 penalty, trained full-batch to convergence by L-BFGS in `Double`.
///
/// For `n` examples `xᵢ ∈ ℝᵈ` with labels `yᵢ ∈ {0, …, C−1}`, weights `W: [C, d]` and bias `b: [C]`:
/// `zᵢ = W xᵢ + b`, `pᵢ = softmax(zᵢ)`, and it minimises
/// `J(W, b) = −(1/n) Σᵢ log pᵢ[yᵢ] + (λ/2) ‖W‖²_F` (the bias is not penalised), with gradients
/// `∂J/∂W = (1/n) (P − Y)ᵀ X + λ W` and `∂J/∂b = (1/n) Σᵢ (pᵢ − yᵢ)` for one-hot `Y`.
/// `J` is strictly convex for `λ > 0`, so the solution is unique and the fit deterministic.
public struct LogisticRegression: Sendable, Equatable, Codable {
    /// The number of classes `C`.
    public let classes: Int
    /// The number of features `d`.
    public let features: Int
    /// The weights `W`, row-major `[C, d]`.
    public var weights: [Double]
    /// The bias `b`, `[C]`.
    public var bias: [Double]
    /// The L2 strength `λ` it was trained with.
    public var l2: Double
    /// The L-BFGS iterations the fit took.
    public var iterations: Int
    /// Whether the fit met its tolerance before the iteration limit.
    public var converged: Bool

    /// Fits the model on `x: [n, d]` and `labels: [n]` with labels in `0..<classes`, minimising `J` above.
    /// Preconditions: `labels.count == x.rows`, `classes ≥ 2`, every label in range, `l2 > 0`.
    public static func fit(
        _ x: FeatureMatrix, labels: [Int], classes: Int, l2: Double, options: LBFGSOptions = LBFGSOptions()
    ) -> LogisticRegression {
        precondition(labels.count == x.rows, "LogisticRegression.fit: \(labels.count) labels for \(x.rows) rows")
        precondition(classes >= 2, "LogisticRegression.fit: needs at least 2 classes")
        precondition(l2 > 0, "LogisticRegression.fit: needs l2 > 0")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "LogisticRegression.fit: label out of range")
        let n = x.rows
        let d = x.columns
        let c = classes
        let weightCount = c * d
        var logits = [Double](repeating: 0, count: n * c)
        let result = minimizeLBFGS(start: [Double](repeating: 0, count: weightCount + c), options: options) {
            theta, gradient in
            for k in gradient.indices { gradient[k] = 0 }
            var loss = 0.0
            guard n > 0 else { return 0 }
            theta.withUnsafeBufferPointer { t in
                x.values.withUnsafeBufferPointer { xs in
                    logits.withUnsafeMutableBufferPointer { z in
                        gradient.withUnsafeMutableBufferPointer { g in
                            for i in 0..<n {
                                let row = i * d
                                var largest = -Double.infinity
                                for k in 0..<c {
                                    var sum = t[weightCount + k]
                                    let w = k * d
                                    for j in 0..<d { sum += t[w + j] * xs[row + j] }
                                    z[i * c + k] = sum
                                    largest = max(largest, sum)
                                }
                                var total = 0.0
                                for k in 0..<c {
                                    let e = exp(z[i * c + k] - largest)
                                    z[i * c + k] = e
                                    total += e
                                }
                                let label = labels[i]
                                // z now holds exp(zᵢₖ − max); log pᵢ[y] = log z[y] − log total.
                                loss -= log(z[i * c + label] / total)
                                for k in 0..<c {
                                    let residual = z[i * c + k] / total - (k == label ? 1 : 0)
                                    if residual == 0 { continue }
                                    let w = k * d
                                    for j in 0..<d { g[w + j] += residual * xs[row + j] }
                                    g[weightCount + k] += residual
                                }
                            }
                            let scale = 1 / Double(n)
                            for k in 0..<(weightCount + c) { g[k] *= scale }
                            for k in 0..<weightCount { g[k] += l2 * t[k] }
                        }
                    }
                }
            }
            var penalty = 0.0
            for k in 0..<weightCount { penalty += theta[k] * theta[k] }
            return loss / Double(n) + 0.5 * l2 * penalty
        }
        return LogisticRegression(
            classes: c, features: d, weights: Array(result.x[0..<weightCount]),
            bias: Array(result.x[weightCount...]), l2: l2, iterations: result.iterations, converged: result.converged
        )
    }

    /// Creates a model from known parameters (for tests and for loading).
    public init(
        classes: Int, features: Int, weights: [Double], bias: [Double], l2: Double,
        iterations: Int = 0, converged: Bool = true
    ) {
        precondition(
            weights.count == classes * features && bias.count == classes,
            "LogisticRegression: parameter sizes do not match \(classes) × \(features)")
        self.classes = classes
        self.features = features
        self.weights = weights
        self.bias = bias
        self.l2 = l2
        self.iterations = iterations
        self.converged = converged
    }

    /// The logits `Z = X Wᵀ + b`: `[n, d] → [n, C]`, row-major.
    public func logits(_ x: FeatureMatrix) -> [Double] {
        precondition(x.columns == features, "LogisticRegression: \(x.columns) features, trained on \(features)")
        var z = [Double](repeating: 0, count: x.rows * classes)
        for i in 0..<x.rows {
            for k in 0..<classes {
                var sum = bias[k]
                for j in 0..<features { sum += weights[k * features + j] * x.values[i * features + j] }
                z[i * classes + k] = sum
            }
        }
        return z
    }

    /// The class probabilities `softmax(X Wᵀ + b)`: `[n, d] → [n, C]`, one array per example.
    public func probabilities(_ x: FeatureMatrix) -> [[Double]] {
        let z = logits(x)
        return (0..<x.rows).map { i in
            let row = z[(i * classes)..<((i + 1) * classes)]
            let largest = row.max()!
            let exps = row.map { exp($0 - largest) }
            let total = exps.reduce(0, +)
            return exps.map { $0 / total }
        }
    }

    /// The predicted classes `argmaxₖ zᵢₖ` (ties to the smaller class): `[n, d] → [n]`.
    public func predict(_ x: FeatureMatrix) -> [Int] {
        let z = logits(x)
        return (0..<x.rows).map { i in
            var best = 0
            for k in 1..<classes where z[i * classes + k] > z[i * classes + best] { best = k }
            return best
        }
    }
}
