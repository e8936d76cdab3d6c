import Foundation

extension LogisticRegression {
    /// Binary logistic regression with an L2 penalty, for one column of a multi-label task.
    ///
    /// `zᵢ = w·xᵢ + b`, `P(yᵢ = 1) = σ(zᵢ)`; it minimises
    /// `J(w, b) = (1/n) Σᵢ [log(1 + e^{zᵢ}) − yᵢ zᵢ] + (λ/2) ‖w‖²`, with
    /// `∂J/∂w = (1/n) Xᵀ(σ(z) − y) + λ w` and `∂J/∂b = (1/n) Σᵢ (σ(zᵢ) − yᵢ)`.
    /// When every training label is the same it returns the constant model `w = 0`,
    /// `b = log((k + ½) / (n − k + ½))` for `k` positives, since the optimum is then at infinity.
    public struct Binary: Sendable, Equatable, Codable {
        /// The weights `w: [d]`.
        public var weights: [Double]
        /// The bias `b`.
        public var bias: Double
        /// The L2 strength `λ` it was trained with.
        public var l2: Double
        /// The L-BFGS iterations the fit took (0 for a constant model).
        public var iterations: Int
        /// Whether the fit met its tolerance before the iteration limit.
        public var converged: Bool

        /// Creates a model from known parameters.
        public init(weights: [Double], bias: Double, l2: Double, iterations: Int = 0, converged: Bool = true) {
            self.weights = weights
            self.bias = bias
            self.l2 = l2
            self.iterations = iterations
            self.converged = converged
        }

        /// Fits on `x: [n, d]` and `labels: [n]`. Preconditions: `labels.count == x.rows`, `l2 > 0`.
        public static func fit(
            _ x: FeatureMatrix, labels: [Bool], l2: Double, options: LBFGSOptions = LBFGSOptions()
        ) -> Binary {
            precondition(
                labels.count == x.rows, "LogisticRegression.Binary.fit: \(labels.count) labels, \(x.rows) rows")
            precondition(l2 > 0, "LogisticRegression.Binary.fit: needs l2 > 0")
            let n = x.rows
            let d = x.columns
            let positives = labels.reduce(0) { $0 + ($1 ? 1 : 0) }
            if positives == 0 || positives == n {
                let bias = log((Double(positives) + 0.5) / (Double(n - positives) + 0.5))
                return Binary(weights: [Double](repeating: 0, count: d), bias: bias, l2: l2)
            }
            let targets = labels.map { $0 ? 1.0 : 0.0 }
            let result = minimizeLBFGS(start: [Double](repeating: 0, count: d + 1), options: options) {
                theta, gradient in
                for k in gradient.indices { gradient[k] = 0 }
                var loss = 0.0
                theta.withUnsafeBufferPointer { t in
                    x.values.withUnsafeBufferPointer { xs in
                        gradient.withUnsafeMutableBufferPointer { g in
                            for i in 0..<n {
                                var z = t[d]
                                for j in 0..<d { z += t[j] * xs[i * d + j] }
                                // log(1 + e^z) computed stably.
                                loss += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - targets[i] * z
                                let residual = 1 / (1 + exp(-z)) - targets[i]
                                for j in 0..<d { g[j] += residual * xs[i * d + j] }
                                g[d] += residual
                            }
                            let scale = 1 / Double(n)
                            for k in 0...d { g[k] *= scale }
                            for k in 0..<d { g[k] += l2 * t[k] }
                        }
                    }
                }
                var penalty = 0.0
                for k in 0..<d { penalty += theta[k] * theta[k] }
                return loss / Double(n) + 0.5 * l2 * penalty
            }
            return Binary(
                weights: Array(result.x[0..<d]), bias: result.x[d], l2: l2,
                iterations: result.iterations, converged: result.converged)
        }

        /// The scores `zᵢ = w·xᵢ + b`: `[n, d] → [n]`.
        public func decision(_ x: FeatureMatrix) -> [Double] {
            precondition(
                x.columns == weights.count,
                "LogisticRegression.Binary: \(x.columns) features, trained on \(weights.count)")
            return (0..<x.rows).map { i in
                var z = bias
                for j in 0..<x.columns { z += weights[j] * x.values[i * x.columns + j] }
                return z
            }
        }

        /// The probabilities `σ(w·xᵢ + b)`: `[n, d] → [n]`.
        public func probabilities(_ x: FeatureMatrix) -> [Double] {
            decision(x).map { 1 / (1 + exp(-$0)) }
        }
    }

    /// One binary probe per label column, for multi-label tasks (`future_categories`).
    public struct OneVsRest: Sendable, Equatable, Codable {
        /// One model per label column.
        public var models: [Binary]

        /// Fits one ``Binary`` per column of `labels: [n][L]`, each with the same `l2`.
        public static func fit(
            _ x: FeatureMatrix, labels: [[Bool]], l2: Double, options: LBFGSOptions = LBFGSOptions()
        ) -> OneVsRest {
            precondition(
                labels.count == x.rows, "LogisticRegression.OneVsRest.fit: \(labels.count) labels, \(x.rows) rows")
            let columns = labels.first?.count ?? 0
            let models = (0..<columns).map { column in
                Binary.fit(x, labels: labels.map { $0[column] }, l2: l2, options: options)
            }
            return OneVsRest(models: models)
        }

        /// Creates a set of column models.
        public init(models: [Binary]) { self.models = models }

        /// The scores per example and column: `[n, d] → [n][L]`.
        public func decision(_ x: FeatureMatrix) -> [[Double]] {
            let perColumn = models.map { $0.decision(x) }
            return (0..<x.rows).map { i in perColumn.map { $0[i] } }
        }
    }
}
