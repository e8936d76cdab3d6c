import Randomness
import Tensors

/// Gaussian error linear unit (exact, erf form), elementwise: `y = x·Φ(x) = ½x(1 + erf(x/√2))`;
/// backward `∂x = ∂y ⊙ (Φ(x) + x·φ(x))`, `φ(x) = e^{−x²/2}/√(2π)`. Any shape.
///
/// The forward pass stores the derivative `Φ(x) + x·φ(x)` (one float per element), so backward is one multiply;
/// both run on `Parallel.workerCount` workers with the vectorisable `Kernels.gelu`.
public final class GELU {
    private var derivative = Tensor(zeros: [0])

    /// A GELU (no parameters).
    public init() {}

    /// `x·Φ(x)` elementwise.
    public func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(uninitialized: x.shape)
        derivative.resize(keepingCapacity: x.shape)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                derivative.withUnsafeMutableBufferPointer { pd in
                    let pointers = UncheckedSendable((px.baseAddress!, py.baseAddress!, pd.baseAddress!))
                    Parallel.forEachChunk(px.count, minimumChunk: 4096) { range in
                        let (x, y, d) = pointers.value
                        Kernels.gelu(x + range.lowerBound, output: y + range.lowerBound,
                                     derivative: d + range.lowerBound, count: range.count)
                    }
                }
            }
        }
        return y
    }

    /// Fused GELU then inverted dropout: `y = x·Φ(x) ⊙ mask/(1 − p)` in one pass, the mask drawn exactly as
    /// `Dropout` draws it (one generator draw per call). The stored derivative already carries the mask, so
    /// `backward` covers both layers with one multiply. Without `training` or with `p = 0` it is plain GELU.
    public func forward(_ x: Tensor, dropout probability: Float, training: Bool,
                        generator: inout Xoshiro256StarStar) -> Tensor {
        guard training && probability > 0 else { return forward(x) }
        precondition((0..<1).contains(probability), "GELU: dropout probability \(probability) outside [0, 1)")
        let scale = 1 / (1 - probability)
        let threshold = UInt32(((1 - Double(probability)) * 16_777_216).rounded())
        let key = generator.next()
        let (k0, k1) = (UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32))
        var y = Tensor(uninitialized: x.shape)
        derivative.resize(keepingCapacity: x.shape)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                derivative.withUnsafeMutableBufferPointer { pd in
                    let pointers = UncheckedSendable((px.baseAddress!, py.baseAddress!, pd.baseAddress!))
                    Parallel.forEachChunk(px.count, minimumChunk: 4096) { range in
                        let (x, y, d) = pointers.value
                        Kernels.gelu(x + range.lowerBound, output: y + range.lowerBound,
                                     derivative: d + range.lowerBound, count: range.count)
                        for i in range {
                            let bits = Dropout.hash(UInt32(truncatingIfNeeded: i), k0, k1) &>> 8
                            let factor: Float = bits < threshold ? scale : 0
                            y[i] *= factor
                            d[i] *= factor
                        }
                    }
                }
            }
        }
        return y
    }

    /// `∂y ⊙ (Φ(x) + x·φ(x))` (times the dropout mask after the fused forward).
    public func backward(_ dy: Tensor) -> Tensor {
        precondition(dy.count == derivative.count,
                     "GELU.backward: ∂y has \(dy.count) elements, expected \(derivative.count)")
        var dx = Tensor(uninitialized: dy.shape)
        dy.withUnsafeBufferPointer { pg in
            dx.withUnsafeMutableBufferPointer { p in
                derivative.withUnsafeBufferPointer { d in
                    let pointers = UncheckedSendable((p.baseAddress!, d.baseAddress!, pg.baseAddress!))
                    Parallel.forEachChunk(p.count, minimumChunk: 4096) { range in
                        let (out, d, g) = pointers.value
                        for i in range { out[i] = g[i] * d[i] }
                    }
                }
            }
        }
        return dx
    }
}
