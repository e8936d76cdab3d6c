import Tensors

/// SGD with momentum and L2 weight decay on decaying parameters: `g ← g + λw`, `b ← μb + g`, `w ← w − lr·b`.
public final class SGD: Optimizer {
    /// The parameters.
    public let parameters: [Parameter]
    /// Learning rate.
    public var learningRate: Float
    /// Momentum μ.
    public let momentum: Float
    /// Weight decay λ.
    public let weightDecay: Float
    /// Steps taken.
    public private(set) var stepCount = 0
    private var buffers: MomentumBuffers

    /// SGD over `parameters`.
    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        buffers = MomentumBuffers(zerosFor: parameters)
    }

    /// One SGD update.
    public func step() {
        stepCount += 1
        for (index, parameter) in parameters.enumerated() where parameter.trainable {
            let decay = parameter.decays ? weightDecay : 0
            let (mu, lr) = (momentum, learningRate)
            parameter.grad.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { w in
                    buffers.tensors[index].withUnsafeMutableBufferPointer { b in
                        for i in 0..<w.count {
                            b[i] = mu * b[i] + g[i] + decay * w[i]
                            w[i] -= lr * b[i]
                        }
                    }
                }
            }
        }
    }

    /// `name.momentum` for every parameter.
    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        buffers.stateTensors(for: parameters)
    }

    /// Restores momentum buffers and step count.
    public func loadState(_ state: [String: Tensor], stepCount: Int) throws(CheckpointError) {
        try buffers.load(state, for: parameters)
        self.stepCount = stepCount
    }
}
