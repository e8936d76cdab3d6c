import RealModule
import Tensors

/// How Adam applies weight decay `λ` to parameters with `decays == true` (never to biases, norms, buffers).
public enum WeightDecayStyle: Sendable {
    /// Classic Adam: `g ← g + λw` before the moment updates (L2 regularisation).
    case l2
    /// AdamW (Loshchilov & Hutter): `w ← w − lr·λ·w`, decoupled from the adaptive step.
    case decoupled
}

/// Adam / AdamW. Per parameter: `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
/// `w ← w − lr·(m/(1 − β₁ᵗ))/(√(v/(1 − β₂ᵗ)) + ε)`, with weight decay per `WeightDecayStyle`.
///
/// **Lazy variant** (`lazy: true`, as TensorFlow Addons' `LazyAdam`): a row-sparse parameter (an embedding
/// table, see `Parameter.gradientRows`) is updated only in the rows that received gradient this step, with the
/// same formulas and the global step `t` in the bias corrections; its other rows keep their value, `m` and `v`
/// unchanged. Dense Adam instead decays `m` and `v` of an untouched row (`g = 0`) every step, keeps moving its
/// value by the remaining momentum `lr·m̂/(√v̂ + ε)` and applies weight decay to it. So the two differ only for
/// rows a step did not see: lazy moments are not decayed while a row is unseen, and a row that comes back resumes
/// from its old `m` and `v`. A step then costs O(rows touched · d) instead of O(vocabulary · d). Dense
/// parameters are updated as in dense Adam, bit for bit.
///
/// The update runs on `Parallel.workerCount` workers, split by elements (or touched rows); every element is updated
/// by the same operations whatever the split, so results do not depend on the worker count.
public final class Adam: Optimizer {
    /// The parameters.
    public let parameters: [Parameter]
    /// Learning rate.
    public var learningRate: Float
    /// First-moment decay β₁.
    public let beta1: Float
    /// Second-moment decay β₂.
    public let beta2: Float
    /// Denominator floor ε.
    public let epsilon: Float
    /// Weight decay λ.
    public let weightDecay: Float
    /// L2 (Adam) or decoupled (AdamW).
    public let style: WeightDecayStyle
    /// Whether row-sparse parameters are updated only in their touched rows (see the type's documentation).
    public let lazy: Bool
    /// Steps taken.
    public private(set) var stepCount = 0
    private var firstMoments: [Tensor]
    private var secondMoments: [Tensor]

    /// Adam over `parameters`; `style: .decoupled` makes it AdamW.
    public init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0, style: WeightDecayStyle = .l2, lazy: Bool = false) {
        self.parameters = parameters
        self.lazy = lazy
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.style = style
        firstMoments = parameters.map { Tensor(zeros: $0.value.shape) }
        secondMoments = parameters.map { Tensor(zeros: $0.value.shape) }
    }

    /// AdamW with the protocol's defaults (lr 1e-3, weight decay 1e-6 unless given); `lazy` for lazy AdamW.
    public static func adamW(parameters: [Parameter], learningRate: Float = 1e-3, weightDecay: Float = 1e-6,
                             lazy: Bool = false) -> Adam {
        Adam(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay, style: .decoupled,
             lazy: lazy)
    }

    /// One Adam(W) update.
    public func step() {
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - Float.pow(beta1, t)
        let correction2 = 1 - Float.pow(beta2, t)
        let (b1, b2, eps, lr) = (beta1, beta2, epsilon, learningRate)
        for (index, parameter) in parameters.enumerated() where parameter.trainable {
            let decay = parameter.decays ? weightDecay : 0
            let l2 = style == .l2 ? decay : 0
            let shrink = style == .decoupled ? 1 - lr * decay : 1
            let rows = lazy ? parameter.gradientRows : nil
            let width = parameter.value.columns
            parameter.grad.withUnsafeBufferPointer { g in
                parameter.value.withUnsafeMutableBufferPointer { w in
                    firstMoments[index].withUnsafeMutableBufferPointer { m in
                        secondMoments[index].withUnsafeMutableBufferPointer { v in
                            if w.isEmpty { return }
                            // Each element's update depends on that element alone, so splitting the elements (or
                            // rows) across workers gives the same result for any worker count.
                            let pointers = UncheckedSendable((g.baseAddress!, w.baseAddress!, m.baseAddress!,
                                                              v.baseAddress!))
                            let update: @Sendable (Range<Int>) -> Void = { range in
                                let (g, w, m, v) = pointers.value
                                for i in range {
                                    let grad = g[i] + l2 * w[i]
                                    m[i] = b1 * m[i] + (1 - b1) * grad
                                    v[i] = b2 * v[i] + (1 - b2) * grad * grad
                                    let step = (m[i] / correction1) / ((v[i] / correction2).squareRoot() + eps)
                                    w[i] = w[i] * shrink - lr * step
                                }
                            }
                            if let rows {
                                if rows.isEmpty { return }
                                rows.withUnsafeBufferPointer { r in
                                    let touched = UncheckedSendable(r.baseAddress!)
                                    Parallel.forEachChunk(r.count, minimumChunk: 256) { chunk in
                                        for k in chunk {
                                            let row = Int(touched.value[k])
                                            update((row * width)..<((row + 1) * width))
                                        }
                                    }
                                }
                            } else {
                                Parallel.forEachChunk(w.count, minimumChunk: 16_384) { update($0) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `name.m` and `name.v` for every parameter.
    public func stateTensors() -> [(name: String, tensor: Tensor)] {
        parameters.indices.flatMap { i in
            [(parameters[i].name + ".m", firstMoments[i]), (parameters[i].name + ".v", secondMoments[i])]
        }
    }

    /// Restores moments and step count.
    public func loadState(_ state: [String: Tensor], stepCount: Int) throws(CheckpointError) {
        var first: [Tensor] = []
        var second: [Tensor] = []
        for parameter in parameters {
            first.append(try lookupState(state, parameter.name + ".m", shape: parameter.value.shape))
            second.append(try lookupState(state, parameter.name + ".v", shape: parameter.value.shape))
        }
        (firstMoments, secondMoments) = (first, second)
        self.stepCount = stepCount
    }
}
