import Randomness
import Tensors
import Testing

/// Naive Double-precision reference for `op(A)·op(B)`.
private func reference(_ a: Tensor, _ ta: Transpose, _ b: Tensor, _ tb: Transpose) -> [Double] {
    let at = ta == .none ? a : a.transposed()
    let bt = tb == .none ? b : b.transposed()
    let (m, k, n) = (at.rows, at.columns, bt.columns)
    var out = [Double](repeating: 0, count: m * n)
    for i in 0..<m { for j in 0..<n { for p in 0..<k { out[i * n + j] += Double(at[i, p]) * Double(bt[p, j]) } } }
    return out
}

@Test(arguments: [(Transpose.none, Transpose.none), (.none, .transposed), (.transposed, .none),
                  (.transposed, .transposed)])
func matmulMatchesReferenceForEveryTransposeCombination(ta: Transpose, tb: Transpose) {
    var generator = Xoshiro256StarStar(seed: 7)
    let (m, k, n) = (5, 7, 3)
    let a = Tensor.normal(shape: ta == .none ? [m, k] : [k, m], std: 1, using: &generator)
    let b = Tensor.normal(shape: tb == .none ? [k, n] : [n, k], std: 1, using: &generator)
    let c = Tensor.matmul(a, ta, b, tb)
    #expect(c.shape == [m, n])
    let expected = reference(a, ta, b, tb)
    for i in 0..<(m * n) { #expect(abs(Double(c.storage[i]) - expected[i]) < 1e-4) }
}

@Test func matmulAccumulatesWithAlphaAndBeta() {
    let a = Tensor(shape: [2, 2], storage: [1, 2, 3, 4])
    let identity = Tensor(shape: [2, 2], storage: [1, 0, 0, 1])
    var c = Tensor(shape: [2, 2], storage: [10, 10, 10, 10])
    Tensor.matmul(a, .none, identity, .none, alpha: 2, beta: 1, into: &c)
    #expect(c.storage == [12, 14, 16, 18])
}

@Test func gemmOnStridedSubmatrices() {
    // Use columns 1...2 of a [2, 4] buffer as a [2, 2] operand (lda 4).
    let wide: [Float] = [0, 1, 2, 0, 0, 3, 4, 0]
    let identity: [Float] = [1, 0, 0, 1]
    var out = [Float](repeating: 0, count: 4)
    wide.withUnsafeBufferPointer { w in
        identity.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                BLAS.gemm(.none, .none, m: 2, n: 2, k: 2, a: w.baseAddress! + 1, lda: 4, b: i.baseAddress!, ldb: 2,
                          c: o.baseAddress!, ldc: 2)
            }
        }
    }
    #expect(out == [1, 2, 3, 4])
}

@Test func profilingCountsGEMMFlops() {
    BLAS.resetProfile()
    BLAS.setProfiling(true)
    _ = Tensor.matmul(Tensor(zeros: [4, 3]), .none, Tensor(zeros: [3, 5]), .none)
    BLAS.setProfiling(false)
    #expect(BLAS.profiledGEMMFlops >= 2 * 4 * 3 * 5)
}

@Test func blasInfoReportsCoreAndThreads() {
    print(BLASInfo.summary)
    #expect(!BLASInfo.coreName.isEmpty)
    #expect(BLASInfo.threadCount >= 1)
}
