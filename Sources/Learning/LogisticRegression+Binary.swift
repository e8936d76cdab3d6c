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
            return OneVsRest.fit(
                design: DesignMatrix(x), labels: labels.map { [$0] }, l2: l2, options: options, start: nil
            ).models[0]
        }

        /// The constant model for a column whose `n` labels are all the same, `k` of them positive:
        /// `w = 0`, `b = log((k + ½) / (n − k + ½))`.
        static func constant(positives: Int, count n: Int, features d: Int, l2: Double) -> Binary {
            let bias = log((Double(positives) + 0.5) / (Double(n - positives) + 0.5))
            return Binary(weights: [Double](repeating: 0, count: d), bias: bias, l2: l2)
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

        /// Fits one ``Binary`` per column of `labels: [n][L]`, each with the same `l2`. The columns with both
        /// classes are fitted together as one separable problem (see `BinaryColumnsObjective`), so they share the
        /// GEMMs; a column with one class gets the constant model.
        public static func fit(
            _ x: FeatureMatrix, labels: [[Bool]], l2: Double, options: LBFGSOptions = LBFGSOptions()
        ) -> OneVsRest {
            precondition(
                labels.count == x.rows, "LogisticRegression.OneVsRest.fit: \(labels.count) labels, \(x.rows) rows")
            return fit(design: DesignMatrix(x), labels: labels, l2: l2, options: options, start: nil)
        }

        /// Fits on a prepared design matrix, starting from `start`'s parameters when given (a warm start from a
        /// neighbouring L2 strength of a grid) and from zero otherwise. `iterations` and `converged` of every
        /// fitted column are those of the joint fit.
        static func fit(
            design: DesignMatrix, labels: [[Bool]], l2: Double, options: LBFGSOptions, start: OneVsRest?
        ) -> OneVsRest {
            precondition(l2 > 0, "LogisticRegression.OneVsRest.fit: needs l2 > 0")
            precondition(
                labels.count == design.rows,
                "LogisticRegression.OneVsRest.fit: \(labels.count) labels, \(design.rows) rows")
            let n = design.rows
            let d = design.columns
            let columns = labels.first?.count ?? 0
            precondition(
                labels.allSatisfy { $0.count == columns }, "LogisticRegression.OneVsRest.fit: ragged label rows")
            var positives = [Int](repeating: 0, count: columns)
            for row in labels {
                for column in 0..<columns where row[column] { positives[column] += 1 }
            }
            let fitted = (0..<columns).filter { positives[$0] > 0 && positives[$0] < n }
            var models = (0..<columns).map { Binary.constant(positives: positives[$0], count: n, features: d, l2: l2) }
            guard !fitted.isEmpty else { return OneVsRest(models: models) }
            let c = fitted.count
            var targets = [Double](repeating: 0, count: n * c)
            for i in 0..<n {
                for (k, column) in fitted.enumerated() where labels[i][column] { targets[i * c + k] = 1 }
            }
            var initial = [Double](repeating: 0, count: c * d + c)
            if let start, start.models.count == columns {
                for (k, column) in fitted.enumerated() where start.models[column].weights.count == d {
                    for j in 0..<d { initial[k * d + j] = start.models[column].weights[j] }
                    initial[c * d + k] = start.models[column].bias
                }
            }
            var objective = BinaryColumnsObjective(design: design, targets: targets, columnCount: c, l2: l2)
            let result = minimizeLBFGSMixed(start: initial, options: options) { theta, gradient, exact in
                objective.evaluate(theta, gradient: &gradient, exact: exact)
            }
            for (k, column) in fitted.enumerated() {
                models[column] = Binary(
                    weights: Array(result.x[(k * d)..<((k + 1) * d)]), bias: result.x[c * d + k], l2: l2,
                    iterations: result.iterations, converged: result.converged)
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
