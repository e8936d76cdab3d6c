import Tensors

/// One momentum buffer `b` per parameter, shaped like the parameter's value (zeros at start), as kept by the
/// momentum optimisers (`SGD`, `LARS`); checkpointed as `name.momentum`.
struct MomentumBuffers {
    /// `tensors[i]` belongs to `parameters[i]` of the owning optimiser.
    var tensors: [Tensor]

    /// Zero buffers, one per parameter, each of the parameter's shape.
    init(zerosFor parameters: [Parameter]) {
        tensors = parameters.map { Tensor(zeros: $0.value.shape) }
    }

    /// `(name.momentum, b)` for every parameter, in order.
    func stateTensors(for parameters: [Parameter]) -> [(name: String, tensor: Tensor)] {
        parameters.indices.map { (parameters[$0].name + ".momentum", tensors[$0]) }
    }

    /// Replaces every buffer with `state[name.momentum]`; throws (leaving the buffers unchanged) when an entry is
    /// missing or its shape differs from the parameter's.
    mutating func load(_ state: [String: Tensor], for parameters: [Parameter]) throws(CheckpointError) {
        var loaded: [Tensor] = []
        for parameter in parameters {
            loaded.append(try lookupState(state, parameter.name + ".momentum", shape: parameter.value.shape))
        }
        tensors = loaded
    }
}
