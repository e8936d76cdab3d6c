/// Per-feature standardisation `x'ⱼ = (xⱼ − μⱼ) / σⱼ`, fitted on one set of examples (for a probe: the labelled
/// subset) and applied to any other. `σⱼ` is the population standard deviation; a constant feature (`σⱼ = 0`)
/// gets `σⱼ = 1`, so it maps to 0 instead of dividing by zero.
public struct Standardizer: Sendable, Equatable, Codable {
    /// The per-feature means `μ`, one per column.
    public var means: [Double]
    /// The per-feature scales `σ` (never 0), one per column.
    public var scales: [Double]

    /// Fits means and scales on the rows of `matrix`: `μⱼ = Σᵢ xᵢⱼ / n`, `σⱼ = sqrt(Σᵢ (xᵢⱼ − μⱼ)² / n)`.
    /// An empty matrix gives `μ = 0`, `σ = 1`.
    public init(fitting matrix: FeatureMatrix) {
        let n = matrix.rows
        let d = matrix.columns
        var means = [Double](repeating: 0, count: d)
        var scales = [Double](repeating: 1, count: d)
        if n > 0 {
            for i in 0..<n {
                for j in 0..<d { means[j] += matrix.values[i * d + j] }
            }
            for j in 0..<d { means[j] /= Double(n) }
            var squares = [Double](repeating: 0, count: d)
            for i in 0..<n {
                for j in 0..<d {
                    let centred = matrix.values[i * d + j] - means[j]
                    squares[j] += centred * centred
                }
            }
            for j in 0..<d {
                let sd = (squares[j] / Double(n)).squareRoot()
                scales[j] = sd > 1e-12 * max(1, abs(means[j])) ? sd : 1
            }
        }
        self.means = means
        self.scales = scales
    }

    /// Applies `x'ⱼ = (xⱼ − μⱼ) / σⱼ` to every row. Precondition: `matrix.columns == means.count`.
    public func transform(_ matrix: FeatureMatrix) -> FeatureMatrix {
        let d = means.count
        precondition(matrix.columns == d, "Standardizer: \(matrix.columns) features, fitted on \(d)")
        var values = matrix.values
        for i in 0..<matrix.rows {
            for j in 0..<d { values[i * d + j] = (values[i * d + j] - means[j]) / scales[j] }
        }
        return FeatureMatrix(rows: matrix.rows, columns: d, values: values)
    }
}
