import Randomness
import RealModule
import Tensors

/// Multi-head self-attention over packed sequences with a key-padding mask given by `SequenceLayout`.
///
/// Input `x` `[N, d]` holds the valid tokens of every sequence, packed (see `SequenceLayout`); tokens attend
/// only to valid tokens of their own sequence, which is exactly a key-padding mask over the padded batch.
/// With `[Q K V] = x·W_qkv + b_qkv` (`[N, 3d]`) and per sequence and head `h` (width `d_h = d/heads`):
/// `P = softmax(Q_h K_hᵀ/√d_h)` (`[L, L]`), `O_h = P V_h`, then `y = O·W_o + b_o`, `[N, d]`.
/// Backward per head: `∂P = ∂O_h V_hᵀ`, `∂V_h = Pᵀ ∂O_h`, `∂S = P ⊙ (∂P − rowsum(∂P ⊙ P))/√d_h`,
/// `∂Q_h = ∂S K_h`, `∂K_h = ∂Sᵀ Q_h`. Every product is one `cblas_sgemm` on strided views (no copies).
///
/// Attention dropout (`attentionDropout` = p > 0, training only): `O_h = P̃ V_h` with `P̃ = P ⊙ M/(1 − p)`, the mask
/// `M` drawn per probability as ``Dropout`` draws it (one key per call, counter-based over the element's index in
/// the batch's probability buffer). Backward: `∂P̃ = ∂O_h V_hᵀ`, `∂V_h = P̃ᵀ ∂O_h`, `∂P = ∂P̃ ⊙ M/(1 − p)`, then
/// `∂S` as above. With p = 0 (the default) nothing is drawn from the generator.
public final class MultiHeadSelfAttention: ParameterOwner {
    /// Fused input projection `d → 3d` (query, key, value).
    public let inputProjection: Linear
    /// Output projection `d → d`.
    public let outputProjection: Linear
    /// Model width d.
    public let dimension: Int
    /// Number of heads (divides d).
    public let heads: Int
    /// Dropout probability on the attention probabilities, in `[0, 1)`; 0 (default) for none.
    public let attentionDropout: Float
    private var qkv = Tensor(zeros: [0, 0])
    private var probabilities: [Float] = []
    private var probabilityOffsets: [Int] = []
    private var layout = SequenceLayout(lengths: [])
    /// `P̃ = P ⊙ M/(1 − p)` of the last training forward with attention dropout (empty otherwise).
    private var dropped: [Float] = []
    /// The mask key of the last forward, or nil when it dropped nothing.
    private var dropKey: (UInt32, UInt32)?

    /// An attention layer named `name` (`name.qkv.*`, `name.out.*`) with dropout `attentionDropout` on the
    /// attention probabilities.
    public init(dimension: Int, heads: Int, attentionDropout: Float = 0, name: String,
                generator: inout Xoshiro256StarStar) {
        precondition(heads > 0 && dimension % heads == 0,
                     "MultiHeadSelfAttention: \(heads) heads do not divide \(dimension)")
        precondition((0..<1).contains(attentionDropout),
                     "MultiHeadSelfAttention: attention dropout \(attentionDropout) outside [0, 1)")
        self.dimension = dimension
        self.heads = heads
        self.attentionDropout = attentionDropout
        inputProjection = Linear(dimension, 3 * dimension, name: scoped(name, "qkv"), generator: &generator)
        outputProjection = Linear(dimension, dimension, name: scoped(name, "out"), generator: &generator)
    }

    /// `out[i] = x[i]·scale` where the dropout hash of buffer index `start + i` under `key` keeps it, else 0
    /// (``Dropout``'s counter-based mask: kept when the hash's top 24 bits fall below `threshold`).
    @inline(__always)
    static func mask(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int, start: Int,
                     key: (UInt32, UInt32), threshold: UInt32, scale: Float) {
        for i in 0..<count {
            let bits = Dropout.hash(UInt32(truncatingIfNeeded: start + i), key.0, key.1) &>> 8
            out[i] = bits < threshold ? x[i] * scale : 0
        }
    }

    /// Every parameter: input projection then output projection.
    public var parameters: [Parameter] { inputProjection.parameters + outputProjection.parameters }

    /// Attention over the packed tokens `x` `[layout.tokenCount, d]` → `[layout.tokenCount, d]`, in evaluation mode
    /// (no attention dropout).
    public func forward(_ x: Tensor, layout: SequenceLayout) -> Tensor {
        var unused = Xoshiro256StarStar(seed: 0)
        return forward(x, layout: layout, training: false, generator: &unused)
    }

    /// Attention over the packed tokens `x` `[layout.tokenCount, d]` → `[layout.tokenCount, d]`; when `training`
    /// and `attentionDropout > 0`, the probabilities are dropped with one key drawn from `generator` (nothing is
    /// drawn otherwise).
    public func forward(_ x: Tensor, layout: SequenceLayout, training: Bool,
                        generator: inout Xoshiro256StarStar) -> Tensor {
        precondition(x.rows == layout.tokenCount,
                     "MultiHeadSelfAttention: \(x.rows) rows for \(layout.tokenCount) tokens")
        self.layout = layout
        let d = dimension
        let dh = d / heads
        let scale = 1 / Float(dh).squareRoot()
        qkv = inputProjection.forward(x)
        var offsets = [Int](repeating: 0, count: layout.batchSize + 1)
        for b in 0..<layout.batchSize { offsets[b + 1] = offsets[b] + heads * layout.lengths[b] * layout.lengths[b] }
        probabilityOffsets = offsets
        let total = offsets.last!
        if probabilities.count > total {
            probabilities.removeLast(probabilities.count - total)  // keeps the allocation across steps
        } else if probabilities.count < total {
            probabilities.append(contentsOf: repeatElement(0, count: total - probabilities.count))
        }
        if training && attentionDropout > 0 {
            let key = generator.next()
            dropKey = (UInt32(truncatingIfNeeded: key), UInt32(truncatingIfNeeded: key >> 32))
            if dropped.count > total {
                dropped.removeLast(dropped.count - total)
            } else if dropped.count < total {
                dropped.append(contentsOf: repeatElement(0, count: total - dropped.count))
            }
        } else {
            dropKey = nil
        }
        let dropKey = self.dropKey
        let keepScale = 1 / (1 - attentionDropout)
        let threshold = UInt32(((1 - Double(attentionDropout)) * 16_777_216).rounded())
        var attended = Tensor(uninitialized: [layout.tokenCount, d])
        let heads = self.heads
        qkv.withUnsafeBufferPointer { pq in
            attended.withUnsafeMutableBufferPointer { po in
                probabilities.withUnsafeMutableBufferPointer { pp in
                    dropped.withUnsafeMutableBufferPointer { pd in
                        let pointers = UncheckedSendable((pq.baseAddress!, po.baseAddress!, pp.baseAddress!,
                                                          pd.baseAddress))
                        Parallel.forEachChunk(layout.batchSize, minimumChunk: 8) { sequences in
                            let (pq, po, pp, pd) = pointers.value
                            for b in sequences {
                                let length = layout.lengths[b]
                                if length == 0 { continue }
                                let row = layout.offsets[b]
                                for h in 0..<heads {
                                    let q = pq + row * 3 * d + h * dh
                                    let start = offsets[b] + h * length * length
                                    let p = pp + start
                                    BLAS.gemm(.none, .transposed, m: length, n: length, k: dh, alpha: scale,
                                              a: q, lda: 3 * d, b: q + d, ldb: 3 * d, c: p, ldc: length)
                                    Kernels.softmaxRows(p, rows: length, columns: length, ld: length)
                                    var weights = UnsafePointer(p)
                                    if let (k0, k1) = dropKey, let pd {
                                        Self.mask(p, into: pd + start, count: length * length, start: start,
                                                  key: (k0, k1), threshold: threshold, scale: keepScale)
                                        weights = UnsafePointer(pd + start)
                                    }
                                    BLAS.gemm(.none, .none, m: length, n: dh, k: length, a: weights, lda: length,
                                              b: q + 2 * d, ldb: 3 * d, c: po + row * d + h * dh, ldc: d)
                                }
                            }
                        }
                    }
                }
            }
        }
        return outputProjection.forward(attended)
    }

    /// Given `∂y` `[N, d]`, accumulates parameter gradients and returns `∂x` `[N, d]`.
    public func backward(_ dy: Tensor) -> Tensor {
        let d = dimension
        let dh = d / heads
        let scale = 1 / Float(dh).squareRoot()
        let dAttended = outputProjection.backward(dy)
        var dqkv = Tensor(uninitialized: [layout.tokenCount, 3 * d])
        let maxLength = layout.maxLength
        let (heads, layout, probabilityOffsets) = (self.heads, self.layout, self.probabilityOffsets)
        let dropKey = self.dropKey
        let keepScale = 1 / (1 - attentionDropout)
        let threshold = UInt32(((1 - Double(attentionDropout)) * 16_777_216).rounded())
        qkv.withUnsafeBufferPointer { pq in
            dAttended.withUnsafeBufferPointer { pdo in
                dqkv.withUnsafeMutableBufferPointer { pdq in
                    probabilities.withUnsafeBufferPointer { pp in
                        dropped.withUnsafeBufferPointer { pd in
                            let pointers = UncheckedSendable((pq.baseAddress!, pdo.baseAddress!, pdq.baseAddress!,
                                                              pp.baseAddress!, pd.baseAddress))
                            Parallel.forEachChunk(layout.batchSize, minimumChunk: 8) { sequences in
                                let (pq, pdo, pdq, pp, pd) = pointers.value
                                let scratch = UnsafeMutablePointer<Float>.allocate(
                                    capacity: Swift.max(maxLength * maxLength, 1))
                                defer { scratch.deallocate() }
                                for b in sequences {
                                    let length = layout.lengths[b]
                                    if length == 0 { continue }
                                    let row = layout.offsets[b]
                                    for h in 0..<heads {
                                        let q = pq + row * 3 * d + h * dh
                                        let dq = pdq + row * 3 * d + h * dh
                                        let dout = pdo + row * d + h * dh
                                        let start = probabilityOffsets[b] + h * length * length
                                        let p = pp + start
                                        // ∂P̃ = ∂O_h · V_hᵀ (P̃ = P without attention dropout)
                                        BLAS.gemm(.none, .transposed, m: length, n: length, k: dh, a: dout, lda: d,
                                                  b: q + 2 * d, ldb: 3 * d, c: scratch, ldc: length)
                                        // ∂V_h = P̃ᵀ · ∂O_h
                                        let weights = dropKey != nil && pd != nil ? pd! + start : p
                                        BLAS.gemm(.transposed, .none, m: length, n: dh, k: length, a: weights,
                                                  lda: length, b: dout, ldb: d, c: dq + 2 * d, ldc: 3 * d)
                                        // ∂P = ∂P̃ ⊙ M/(1 − p)
                                        if let dropKey {
                                            Self.mask(scratch, into: scratch, count: length * length, start: start,
                                                      key: dropKey, threshold: threshold, scale: keepScale)
                                        }
                                        // ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)) · scale
                                        for i in 0..<length {
                                            let pr = p + i * length
                                            let gr = scratch + i * length
                                            let inner = Kernels.dot(pr, gr, count: length)
                                            for j in 0..<length { gr[j] = pr[j] * (gr[j] - inner) * scale }
                                        }
                                        // ∂Q_h = ∂S · K_h, ∂K_h = ∂Sᵀ · Q_h
                                        BLAS.gemm(.none, .none, m: length, n: dh, k: length, a: scratch, lda: length,
                                                  b: q + d, ldb: 3 * d, c: dq, ldc: 3 * d)
                                        BLAS.gemm(.transposed, .none, m: length, n: dh, k: length, a: scratch,
                                                  lda: length, b: q, ldb: 3 * d, c: dq + d, ldc: 3 * d)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return inputProjection.backward(dqkv)
    }
}
