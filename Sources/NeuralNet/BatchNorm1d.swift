import Tensors

/// Batch normalisation over the rows of `[n, f]`: in training `y = γ ⊙ (x − μ_B)/√(σ²_B + ε) + β` with the
/// batch's column mean and biased variance; in evaluation the running statistics replace them.
///
/// `groups > 1` normalises each block of `n / groups` consecutive rows on its own (two augmented views stacked
/// in one batch get their own statistics, as if run separately). Running statistics update once per group:
/// `running ← (1 − momentum)·running + momentum·batch` (unbiased variance, as PyTorch). `affine: false` gives
/// the plain standardisation Barlow Twins applies to projector outputs. Running statistics are buffers
/// (`trainable == false`), kept in checkpoints.
public final class BatchNorm1d: ParameterOwner {
    /// `γ` `[f]` (nil when affine-free).
    public let gain: Parameter?
    /// `β` `[f]` (nil when affine-free).
    public let shift: Parameter?
    /// Running mean buffer `[f]`.
    public let runningMean: Parameter
    /// Running (unbiased) variance buffer `[f]`.
    public let runningVariance: Parameter
    /// Variance floor ε.
    public let epsilon: Float
    /// Running-statistics momentum.
    public let momentum: Float
    private var normalised = Tensor(zeros: [0, 0])
    private var inverseStd: [Float] = []
    private var groups = 1
    private var training = true

    /// A batch norm of width `features` named `name` (`name.weight`, `name.bias`, `name.running_mean`, …).
    public init(_ features: Int, affine: Bool = true, epsilon: Float = 1e-5, momentum: Float = 0.1, name: String) {
        gain = affine ? Parameter(name: scoped(name, "weight"), value: Tensor(shape: [features], repeating: 1),
                                  decays: false) : nil
        shift = affine ? Parameter(name: scoped(name, "bias"), value: Tensor(zeros: [features]), decays: false) : nil
        runningMean = Parameter(name: scoped(name, "running_mean"), value: Tensor(zeros: [features]), trainable: false)
        runningVariance = Parameter(name: scoped(name, "running_var"), value: Tensor(shape: [features], repeating: 1),
                                    trainable: false)
        self.epsilon = epsilon
        self.momentum = momentum
    }

    /// Every parameter and buffer: γ, β (if affine), running mean, running variance.
    public var parameters: [Parameter] {
        [gain, shift].compactMap { $0 } + [runningMean, runningVariance]
    }

    /// Normalises `x` `[n, f]`; `training` selects batch statistics (and updates the running ones).
    public func forward(_ x: Tensor, training: Bool, groups: Int = 1) -> Tensor {
        let f = runningMean.value.count
        precondition(x.columns == f, "BatchNorm1d(\(runningMean.name)): width \(x.columns), expected \(f)")
        self.training = training
        self.groups = groups
        var xhat: Tensor
        if training {
            let m = x.rows / groups
            precondition(m > 1, "BatchNorm1d(\(runningMean.name)): training needs more than 1 row per group")
            let stats = Standardization.forward(x, groups: groups, epsilon: epsilon)
            xhat = stats.normalised
            inverseStd = stats.inverseStd
            let unbias = Float(m) / Float(m - 1)
            for g in 0..<groups {
                for c in 0..<f {
                    runningMean.value.storage[c] += momentum * (stats.mean[g * f + c] - runningMean.value.storage[c])
                    runningVariance.value.storage[c] += momentum
                        * (stats.variance[g * f + c] * unbias - runningVariance.value.storage[c])
                }
            }
        } else {
            let inv = runningVariance.value.storage.map { 1 / ($0 + epsilon).squareRoot() }
            let mean = runningMean.value.storage
            inverseStd = [Float](repeating: 0, count: groups * f)
            for g in 0..<groups { for c in 0..<f { inverseStd[g * f + c] = inv[c] } }
            xhat = x.matrixView
            xhat.withUnsafeMutableBufferPointer { p in
                for r in 0..<x.rows { for c in 0..<f { p[r * f + c] = (p[r * f + c] - mean[c]) * inv[c] } }
            }
        }
        normalised = xhat
        guard let gain, let shift else { return xhat }
        var y = xhat
        y.withUnsafeMutableBufferPointer { p in
            gain.value.withUnsafeBufferPointer { pg in
                shift.value.withUnsafeBufferPointer { ps in
                    let pointers = UncheckedSendable((p.baseAddress!, pg.baseAddress!, ps.baseAddress!))
                    Parallel.forEachChunk(x.rows, minimumChunk: 64) { rows in
                        let (p, gain, shift) = pointers.value
                        for r in rows { for c in 0..<f { p[r * f + c] = p[r * f + c] * gain[c] + shift[c] } }
                    }
                }
            }
        }
        return y
    }

    /// Given `∂y` `[n, f]`, accumulates `∂γ`, `∂β` and returns `∂x` (through the batch statistics in training,
    /// through the fixed running statistics in evaluation).
    public func backward(_ dy: Tensor) -> Tensor {
        let f = runningMean.value.count
        let n = normalised.rows
        var dxhat = dy.matrixView
        if let gain, let shift {
            // ∂γ_c += Σ_r ∂y·x̂, ∂β_c += Σ_r ∂y, each column summed in row order; columns split across the workers.
            dy.withUnsafeBufferPointer { pdy in
                normalised.withUnsafeBufferPointer { ph in
                    gain.grad.withUnsafeMutableBufferPointer { pgain in
                        shift.grad.withUnsafeMutableBufferPointer { pshift in
                            let pointers = UncheckedSendable((pdy.baseAddress!, ph.baseAddress!, pgain.baseAddress!,
                                                              pshift.baseAddress!))
                            Parallel.forEachChunk(f, minimumChunk: 64) { columns in
                                let (dy, xhat, dgain, dshift) = pointers.value
                                for r in 0..<n {
                                    for c in columns {
                                        let g = dy[r * f + c]
                                        dgain[c] += g * xhat[r * f + c]
                                        dshift[c] += g
                                    }
                                }
                            }
                        }
                    }
                }
            }
            dxhat.withUnsafeMutableBufferPointer { p in
                gain.value.withUnsafeBufferPointer { pg in
                    let pointers = UncheckedSendable((p.baseAddress!, pg.baseAddress!))
                    Parallel.forEachChunk(n, minimumChunk: 64) { rows in
                        let (p, gain) = pointers.value
                        for r in rows { for c in 0..<f { p[r * f + c] *= gain[c] } }
                    }
                }
            }
        }
        if training {
            return Standardization.backward(dxhat, normalised: normalised, inverseStd: inverseStd, groups: groups)
        }
        dxhat.withUnsafeMutableBufferPointer { p in
            for r in 0..<n { for c in 0..<f { p[r * f + c] *= inverseStd[c] } }
        }
        return dxhat
    }
}
