/// A dense `rows × columns` feature matrix in row-major `Double`s: the input of ``Standardizer`` and
/// ``LogisticRegression``. Row `i` is one example, `values[i * columns + j]` its feature `j`.
public struct FeatureMatrix: Sendable, Equatable {
    /// The number of examples.
    public let rows: Int
    /// The number of features per example.
    public let columns: Int
    /// Row-major values, `rows · columns` of them.
    public var values: [Double]

    /// Wraps row-major values. Precondition: `values.count == rows · columns`.
    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(
            rows >= 0 && columns >= 0 && values.count == rows * columns,
            "FeatureMatrix: \(values.count) values do not make \(rows) × \(columns)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// Reads a flat row-major `[Float]` of `rows × columns`. Precondition: `flat.count == rows · columns`.
    public init(flat: [Float], rows: Int, columns: Int) {
        self.init(rows: rows, columns: columns, values: flat.map(Double.init))
    }

    /// Reads one `[Float]` per example; every row must have `columns` entries (an empty input needs `columns`).
    public init(_ rowArrays: [[Float]], columns: Int? = nil) {
        let width = columns ?? rowArrays.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(rowArrays.count * width)
        for (index, row) in rowArrays.enumerated() {
            precondition(row.count == width, "FeatureMatrix: row \(index) has \(row.count) values, expected \(width)")
            values.append(contentsOf: row.lazy.map(Double.init))
        }
        self.init(rows: rowArrays.count, columns: width, values: values)
    }

    /// Reads one `[Double]` per example; every row must have the same length.
    public init(_ rowArrays: [[Double]], columns: Int? = nil) {
        let width = columns ?? rowArrays.first?.count ?? 0
        var values: [Double] = []
        values.reserveCapacity(rowArrays.count * width)
        for (index, row) in rowArrays.enumerated() {
            precondition(row.count == width, "FeatureMatrix: row \(index) has \(row.count) values, expected \(width)")
            values.append(contentsOf: row)
        }
        self.init(rows: rowArrays.count, columns: width, values: values)
    }

    /// Row `index` as an array.
    public func row(_ index: Int) -> [Double] {
        Array(values[(index * columns)..<((index + 1) * columns)])
    }

    /// The matrix made of the given rows, in the given order.
    public func selecting(rows indices: [Int]) -> FeatureMatrix {
        var selected: [Double] = []
        selected.reserveCapacity(indices.count * columns)
        for index in indices { selected.append(contentsOf: values[(index * columns)..<((index + 1) * columns)]) }
        return FeatureMatrix(rows: indices.count, columns: columns, values: selected)
    }
}
