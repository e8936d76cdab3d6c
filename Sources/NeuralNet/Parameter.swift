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

    /// A parameter with zero gradient.
    public init(name: String, value: Tensor, trainable: Bool = true, decays: Bool = true) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
        self.trainable = trainable
        self.decays = decays && trainable
    }

    /// Sets the gradient to zero.
    public func zeroGrad() { grad.fill(0) }

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
