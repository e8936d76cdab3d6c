import Tensors

/// A named model tensor with its gradient: the unit that optimisers update and checkpoints store.
///
/// A reference type, so the layer that owns it, the model's parameter list and the optimiser see one object.
/// Backward passes ACCUMULATE into `grad`; call `zeroGrad()` (or `Parameter.zeroGrads`) before each step.
public final class Parameter {
    /// Unique dotted name within its model, e.g. `blocks.0.attention.qkv.weight`; checkpoints key on it.
    public let name: String
    /// The current value.
    public var value: Tensor
    /// The accumulated gradient, same shape as `value` (all zeros for a buffer).
    public var grad: Tensor
    /// Whether optimisers update it (false for buffers such as BatchNorm running statistics).
    public let trainable: Bool
    /// Whether decoupled weight decay applies (false for biases, norm parameters and buffers).
    public let decays: Bool
    /// For a row-sparse parameter (an embedding table, `[rows, width]`): the rows of `grad` written since the last
    /// `zeroGrad()`, sorted and unique; every other row of `grad` is zero. `nil` for a dense parameter.
    ///
    /// `Embedding.backward` adds the rows it scatters into; `zeroGrad()` zeroes only these rows, and the lazy
    /// optimiser (`Adam(…, lazy: true)`) and `clipGradientNorm(…, sparseRows: true)` visit only these rows, so a
    /// step costs O(rows touched) rather than O(vocabulary). Write a row-sparse gradient only through
    /// `Embedding.backward` or `addGradientRows(_:)`.
    public private(set) var gradientRows: [Int32]?

    /// A parameter with zero gradient; `rowSparse` makes it track `gradientRows` (embedding tables).
    public init(name: String, value: Tensor, trainable: Bool = true, decays: Bool = true, rowSparse: Bool = false) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
        self.trainable = trainable
        self.decays = decays && trainable
        self.gradientRows = rowSparse ? [] : nil
    }

    /// Sets the gradient to zero (only the rows in `gradientRows` for a row-sparse parameter: the others are zero).
    public func zeroGrad() {
        guard let rows = gradientRows else {
            grad.fill(0)
            return
        }
        let width = grad.columns
        grad.withUnsafeMutableBufferPointer { g in
            for row in rows { (g.baseAddress! + Int(row) * width).update(repeating: 0, count: width) }
        }
        gradientRows = []
    }

    /// Adds `rows` (sorted, unique) to `gradientRows` of a row-sparse parameter (a sorted merge); no-op when dense.
    public func addGradientRows(_ rows: [Int32]) {
        guard let current = gradientRows else { return }
        if current.isEmpty {
            gradientRows = rows
            return
        }
        var merged: [Int32] = []
        merged.reserveCapacity(current.count + rows.count)
        var (i, j) = (0, 0)
        while i < current.count || j < rows.count {
            if j == rows.count || (i < current.count && current[i] < rows[j]) {
                merged.append(current[i]); i += 1
            } else if i == current.count || rows[j] < current[i] {
                merged.append(rows[j]); j += 1
            } else {
                merged.append(current[i]); i += 1; j += 1
            }
        }
        gradientRows = merged
    }

    /// Zeroes the gradients of every parameter in `parameters`.
    public static func zeroGrads(_ parameters: [Parameter]) {
        for parameter in parameters where parameter.trainable { parameter.zeroGrad() }
    }

    /// The number of scalar values in the trainable parameters of `parameters`.
    public static func scalarCount(_ parameters: [Parameter]) -> Int {
        parameters.filter(\.trainable).reduce(0) { $0 + $1.value.count }
    }
}

/// Something that owns parameters and lists them explicitly (no reflection): layers, blocks, models.
public protocol ParameterOwner: AnyObject {
    /// Every parameter and buffer, in a fixed order, with unique names.
    var parameters: [Parameter] { get }
}

/// Joins a name prefix and a local name: `scoped("blocks.0", "weight") == "blocks.0.weight"`.
@inlinable
func scoped(_ prefix: String, _ name: String) -> String { prefix.isEmpty ? name : prefix + "." + name }
