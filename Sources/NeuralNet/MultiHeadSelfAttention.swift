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
public final class MultiHeadSelfAttention: ParameterOwner {
    /// Fused input projection `d → 3d` (query, key, value).
    public let inputProjection: Linear
    /// Output projection `d → d`.
    public let outputProjection: Linear
    /// Model width d.
    public let dimension: Int
    /// Number of heads (divides d).
    public let heads: Int
    private var qkv = Tensor(zeros: [0, 0])
    private var probabilities: [Float] = []
    private var probabilityOffsets: [Int] = []
    private var layout = SequenceLayout(lengths: [])

    /// An attention layer named `name` (`name.qkv.*`, `name.out.*`).
    public init(dimension: Int, heads: Int, name: String, generator: inout SeededGenerator) {
        precondition(heads > 0 && dimension % heads == 0,
                     "MultiHeadSelfAttention: \(heads) heads do not divide \(dimension)")
        self.dimension = dimension
        self.heads = heads
        inputProjection = Linear(dimension, 3 * dimension, name: scoped(name, "qkv"), generator: &generator)
        outputProjection = Linear(dimension, dimension, name: scoped(name, "out"), generator: &generator)
    }

    /// Every parameter: input projection then output projection.
    public var parameters: [Parameter] { inputProjection.parameters + outputProjection.parameters }

    /// Attention over the packed tokens `x` `[layout.tokenCount, d]` → `[layout.tokenCount, d]`.
    public func forward(_ x: Tensor, layout: SequenceLayout) -> Tensor {
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
        var attended = Tensor(uninitialized: [layout.tokenCount, d])
        let heads = self.heads
        qkv.withUnsafeBufferPointer { pq in
            attended.withUnsafeMutableBufferPointer { po in
                probabilities.withUnsafeMutableBufferPointer { pp in
                    let pointers = UncheckedSendable((pq.baseAddress!, po.baseAddress!, pp.baseAddress!))
                    Parallel.forEachChunk(layout.batchSize, minimumChunk: 8) { sequences in
                        let (pq, po, pp) = pointers.value
                        for b in sequences {
                            let length = layout.lengths[b]
                            if length == 0 { continue }
                            let row = layout.offsets[b]
                            for h in 0..<heads {
                                let q = pq + row * 3 * d + h * dh
                                let p = pp + offsets[b] + h * length * length
                                BLAS.gemm(.none, .transposed, m: length, n: length, k: dh, alpha: scale,
                                          a: q, lda: 3 * d, b: q + d, ldb: 3 * d, c: p, ldc: length)
                                Kernels.softmaxRows(p, rows: length, columns: length, ld: length)
                                BLAS.gemm(.none, .none, m: length, n: dh, k: length, a: p, lda: length,
                                          b: q + 2 * d, ldb: 3 * d, c: po + row * d + h * dh, ldc: d)
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
        qkv.withUnsafeBufferPointer { pq in
            dAttended.withUnsafeBufferPointer { pdo in
                dqkv.withUnsafeMutableBufferPointer { pdq in
                    probabilities.withUnsafeBufferPointer { pp in
                        let pointers = UncheckedSendable((pq.baseAddress!, pdo.baseAddress!, pdq.baseAddress!,
                                                          pp.baseAddress!))
                        Parallel.forEachChunk(layout.batchSize, minimumChunk: 8) { sequences in
                            let (pq, pdo, pdq, pp) = pointers.value
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
                                    let p = pp + probabilityOffsets[b] + h * length * length
                                    // ∂P = ∂O_h · V_hᵀ
                                    BLAS.gemm(.none, .transposed, m: length, n: length, k: dh, a: dout, lda: d,
                                              b: q + 2 * d, ldb: 3 * d, c: scratch, ldc: length)
                                    // ∂V_h = Pᵀ · ∂O_h
                                    BLAS.gemm(.transposed, .none, m: length, n: dh, k: length, a: p, lda: length,
                                              b: dout, ldb: d, c: dq + 2 * d, ldc: 3 * d)
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
        return inputProjection.backward(dqkv)
    }
}
