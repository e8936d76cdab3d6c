import Tensors

/// LARS (You et al., as used by Barlow Twins): for decaying parameters `g ← g + λw` and the update is scaled
/// by the trust ratio `η‖w‖/‖g‖` (1 when either norm is 0); biases and norm parameters get plain momentum SGD.
/// `b ← μb + ratio·g`, `w ← w − lr·b`.
public final class LARS: Optimizer {
    /// The parameters.
    public let parameters: [Parameter]
    /// Learning rate.
    public var learningRate: Float
    /// Momentum μ.
    public let momentum: Float
    /// Weight decay λ.
    public let weightDecay: Float
    /// Trust coefficient η.
    public let trustCoefficient: Float
    /// Steps taken.
    public private(set) var stepCount = 0
    private var buffers: MomentumBuffers

    /// LARS over `parameters`.
    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0.9, weightDecay: Float = 1e-6,
                trustCoefficient: Float = 0.001) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.trustCoefficient = trustCoefficient
        buffers = MomentumBuffers(zerosFor: parameters)
    }

    /// One LARS update.
    public func step() {
        stepCount += 1
        for (index, parameter) in parameters.enumerated() where parameter.trainable {
            var g = parameter.grad
            var ratio: Float = 1
            if parameter.decays {
                g.addScaled(parameter.value, by: weightDecay)
                let wn = parameter.value.squaredNorm().squareRoot()
                let gn = g.squaredNorm().squareRoot()
                if wn > 0 && gn > 0 { ratio = trustCoefficient * wn / gn }
            }
            let (mu, lr) = (momentum, learningRate)
            g.withUnsafeBufferPointer { pg in
                parameter.value.withUnsafeMutableBufferPointer { w in
                    buffers.tensors[index].withUnsafeMutableBufferPointer { b in
                        for i in 0..<w.count {
                            b[i] = mu * b[i] + ratio * pg[i]
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
