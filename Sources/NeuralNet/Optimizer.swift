import Tensors

/// An optimiser over an explicit parameter list. `step()` reads each trainable parameter's `grad` and updates
/// its `value`; it does not zero gradients. Its state is exposed as named tensors for checkpoints.
public protocol Optimizer: AnyObject {
    /// The parameters it updates (buffers in the list are skipped).
    var parameters: [Parameter] { get }
    /// The learning rate used by the next `step()` (set it from a schedule before each step).
    var learningRate: Float { get set }
    /// Steps taken so far.
    var stepCount: Int { get }
    /// One update of every trainable parameter.
    func step()
    /// The optimiser state as (name, tensor) pairs, names prefixed by the parameter name, e.g. `ff1.weight.m`.
    func stateTensors() -> [(name: String, tensor: Tensor)]
    /// Restores the state written by `stateTensors()` and the step count; all or nothing.
    /// - Throws: `CheckpointError` naming the first missing or mis-shaped state tensor.
    func loadState(_ state: [String: Tensor], stepCount: Int) throws(CheckpointError)
}

/// The state tensor `name` from a checkpoint, which must have `shape`.
func lookupState(_ state: [String: Tensor], _ name: String, shape: [Int]) throws(CheckpointError) -> Tensor {
    guard let tensor = state[name] else { throw CheckpointError.missingEntry(name: name) }
    guard tensor.shape == shape else {
        throw CheckpointError.shapeMismatch(name: name, expected: shape, found: tensor.shape)
    }
    return tensor
}
