import Randomness
import Tensors

/// Inverted dropout: in training each element is kept with probability `1 − p` and scaled by `1/(1 − p)`,
/// `y = x ⊙ mask/(1 − p)`; identity in evaluation. Backward `∂x = ∂y ⊙ mask/(1 − p)`.
///
/// The mask is counter-based: one 64-bit draw from the generator per call gives a key, and element `i` is kept
/// when the top 24 bits of an add-rotate-xor hash of `(key, i)` fall below `(1 − p)·2²⁴`. Runs are reproducible,
/// independent of the worker count, and the loop vectorises.
public final class Dropout {
    /// Drop probability in `[0, 1)`.
    public let probability: Float
    private var mask: [UInt8] = []
    private var active = false

    /// A dropout with drop probability `probability`.
    public init(_ probability: Float) {
        precondition((0..<1).contains(probability), "Dropout: probability \(probability) outside [0, 1)")
        self.probability = probability
    }

    /// Counter-based hash of element `index` under key `(k0, k1)`: two ChaCha-style add-rotate-xor quarter
    /// rounds over `(index, k0, k1, constant)`. Only adds, xors and shifts, so it vectorises on any x86-64.
    @inline(__always)
    static func hash(_ index: UInt32, _ k0: UInt32, _ k1: UInt32) -> UInt32 {
        var (a, b, c, d) = (index, k0, k1, UInt32(0x6170_7865))
        for _ in 0..<2 {
            a &+= b; d ^= a; d = d &<< 16 | d &>> 16
            c &+= d; b ^= c; b = b &<< 12 | b &>> 20
            a &+= b; d ^= a; d = d &<< 8 | d &>> 24
            c &+= d; b ^= c; b = b &<< 7 | b &>> 25
        }
        return a ^ c
    }

    /// Applies dropout when `training` and `p > 0`; otherwise returns `x` unchanged.
    public func forward(_ x: Tensor, training: Bool, generator: inout Xoshiro256StarStar) -> Tensor {
        active = training && probability > 0
        guard active else { return x }
        let scale = 1 / (1 - probability)
        let threshold = UInt32(((1 - Double(probability)) * 16_777_216).rounded())
        let key = generator.next()
        let (k0, k1) = (UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32))
        let count = x.count
        if mask.count > count {
            mask.removeLast(mask.count - count)  // keeps the allocation for the next, larger step
        } else if mask.count < count {
            mask.append(contentsOf: repeatElement(0, count: count - mask.count))
        }
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { py in
                mask.withUnsafeMutableBufferPointer { pm in
                    let pointers = UncheckedSendable((px.baseAddress!, py.baseAddress!, pm.baseAddress!))
                    Parallel.forEachChunk(count, minimumChunk: 8192) { range in
                        let (x, y, m) = pointers.value
                        for i in range {
                            let bits = Dropout.hash(UInt32(truncatingIfNeeded: i), k0, k1) &>> 8
                            let keep: UInt8 = bits < threshold ? 1 : 0
                            m[i] = keep
                            y[i] = x[i] * (Float(keep) * scale)
                        }
                    }
                }
            }
        }
        return y
    }

    /// `∂y ⊙ mask/(1 − p)` (identity if the last forward was not dropping).
    public func backward(_ dy: Tensor) -> Tensor {
        guard active else { return dy }
        precondition(dy.count == mask.count, "Dropout.backward: ∂y has \(dy.count) elements, expected \(mask.count)")
        let scale = 1 / (1 - probability)
        var dx = Tensor(uninitialized: dy.shape)
        dy.withUnsafeBufferPointer { pg in
            dx.withUnsafeMutableBufferPointer { p in
                mask.withUnsafeBufferPointer { pm in
                    let pointers = UncheckedSendable((pg.baseAddress!, p.baseAddress!, pm.baseAddress!))
                    Parallel.forEachChunk(p.count, minimumChunk: 8192) { range in
                        let (g, out, m) = pointers.value
                        for i in range { out[i] = g[i] * (Float(m[i]) * scale) }
                    }
                }
            }
        }
        return dx
    }
}
