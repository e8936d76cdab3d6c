import Foundation

/// Multinomial logistic regression with an L2 penalty, trained full-batch by L-BFGS in `Double` over Float32 GEMMs.
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
    /// The products `X Wᵀ` and `Rᵀ X` run as Float32 GEMMs (see `MultinomialObjective`); L-BFGS works in `Double`,
    /// and with `options.refineInDouble` it finishes on the exact `Double` objective when Float32 rounding stalls
    /// it short of the gradient tolerance.
    /// Preconditions: `labels.count == x.rows`, `classes ≥ 2`, every label in range, `l2 > 0`.
    public static func fit(
        _ x: FeatureMatrix, labels: [Int], classes: Int, l2: Double, options: LBFGSOptions = LBFGSOptions()
    ) -> LogisticRegression {
        fit(design: DesignMatrix(x), labels: labels, classes: classes, l2: l2, options: options, start: nil)
    }

    /// Fits on a prepared design matrix, starting L-BFGS from `start`'s parameters when given (a warm start from a
    /// neighbouring L2 strength of a grid) and from zero otherwise.
    static func fit(
        design: DesignMatrix, labels: [Int], classes: Int, l2: Double, options: LBFGSOptions,
        start: LogisticRegression?
    ) -> LogisticRegression {
        precondition(
            labels.count == design.rows, "LogisticRegression.fit: \(labels.count) labels for \(design.rows) rows")
        precondition(classes >= 2, "LogisticRegression.fit: needs at least 2 classes")
        precondition(l2 > 0, "LogisticRegression.fit: needs l2 > 0")
        precondition(labels.allSatisfy { (0..<classes).contains($0) }, "LogisticRegression.fit: label out of range")
        let d = design.columns
        let weightCount = classes * d
        var initial = [Double](repeating: 0, count: weightCount + classes)
        if let start, start.classes == classes, start.features == d {
            initial = start.weights + start.bias
        }
        var objective = MultinomialObjective(design: design, labels: labels, classes: classes, l2: l2)
        let result = minimizeLBFGSMixed(start: initial, options: options) { theta, gradient, exact in
            objective.evaluate(theta, gradient: &gradient, exact: exact)
        }
        return LogisticRegression(
            classes: classes, features: d, weights: Array(result.x[0..<weightCount]),
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
