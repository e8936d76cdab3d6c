import Randomness
import Tensors

/// Lookup table: `y[i] = E[ids[i]]`, `ids` `[n]` → `y` `[n, d]`, `E` `[vocabulary, d]`.
///
/// Backward scatters `∂y` rows into `∂E` (sparse: only the looked-up rows change, listed in `touchedRows`);
/// the padding row (if any) is kept at zero and receives no gradient. Init N(0, std²) with std 0.02, padding
/// row zero (PROTOCOL section 3).
public final class Embedding: ParameterOwner {
    /// The table `[vocabulary, d]`.
    public let table: Parameter
    /// Id whose row is zero and frozen, or nil.
    public let paddingIndex: Int32?
    /// Rows (sorted, unique) that received gradient in the last `backward`.
    public private(set) var touchedRows: [Int32] = []
    private var ids: [Int32] = []
    private var seen: [Bool] = []

    /// A table named `name.weight` of `vocabulary` rows of width `dimension`.
    public init(vocabulary: Int, dimension: Int, paddingIndex: Int32? = 0, std: Float = 0.02, name: String,
                generator: inout Xoshiro256StarStar) {
        var value = Tensor.normal(shape: [vocabulary, dimension], std: std, using: &generator)
        if let paddingIndex {
            for c in 0..<dimension { value[Int(paddingIndex), c] = 0 }
        }
        table = Parameter(name: scoped(name, "weight"), value: value, rowSparse: true)
        self.paddingIndex = paddingIndex
    }

    /// A second lookup layer over an existing table (e.g. a dual encoder's item tower sharing the user tower's
    /// item embedding). It has its own cache, so both layers can run forward before either runs backward; both
    /// accumulate into `table.grad`. List the shared parameter only once in the model's parameter list.
    public init(sharing table: Parameter, paddingIndex: Int32? = 0) {
        precondition(table.value.rank == 2, "Embedding(sharing: \(table.name)): table must be [vocabulary, d]")
        self.table = table
        self.paddingIndex = paddingIndex
    }

    /// Every parameter: the table.
    public var parameters: [Parameter] { [table] }

    /// Vocabulary size.
    public var vocabulary: Int { table.value.shape[0] }
    /// Row width.
    public var dimension: Int { table.value.shape[1] }

    /// Gathers rows: `[n]` ids → `[n, d]`. Precondition: every id in `0..<vocabulary`.
    public func forward(_ ids: [Int32]) -> Tensor {
        let d = dimension
        let vocabulary = self.vocabulary
        self.ids = ids
        var y = Tensor(uninitialized: [ids.count, d])
        table.value.withUnsafeBufferPointer { e in
            y.withUnsafeMutableBufferPointer { out in
                for (i, id) in ids.enumerated() {
                    precondition(id >= 0 && Int(id) < vocabulary,
                                 "Embedding(\(table.name)): id \(id) outside 0..<\(vocabulary)")
                    (out.baseAddress! + i * d).update(from: e.baseAddress! + Int(id) * d, count: d)
                }
            }
        }
        return y
    }

    /// Scatters `∂y` `[n, d]` into the table gradient: `∂E[ids[i]] += ∂y[i]`, skipping the padding index.
    public func backward(_ dy: Tensor) {
        let d = dimension
        precondition(dy.count == ids.count * d, "Embedding(\(table.name)).backward: bad ∂y shape \(dy.shape)")
        // A byte per row marks the rows touched (cheaper than a hash set for a step's thousands of ids); the marks
        // are cleared again below, so the buffer is allocated once and each call costs O(ids), not O(vocabulary).
        if seen.count != vocabulary { seen = [Bool](repeating: false, count: vocabulary) }
        var touched: [Int32] = []
        dy.withUnsafeBufferPointer { g in
            table.grad.withUnsafeMutableBufferPointer { ge in
                for (i, id) in ids.enumerated() where id != paddingIndex {
                    Kernels.add(g.baseAddress! + i * d, into: ge.baseAddress! + Int(id) * d, count: d)
                    if !seen[Int(id)] {
                        seen[Int(id)] = true
                        touched.append(id)
                    }
                }
            }
        }
        for id in touched { seen[Int(id)] = false }
        touched.sort()
        touchedRows = touched
        table.addGradientRows(touched)
    }
}
