import Foundation
import Randomness
import Tensors
import Testing

@Test func reductionsAndElementwise() {
    let x = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
    let y = Tensor(shape: [2, 3], storage: [1, 1, 1, 2, 2, 2])
    #expect(x.sum() == 21)
    #expect(x.squaredNorm() == 91)
    #expect(x.dot(y) == 36)
    #expect((x + y).storage == [2, 3, 4, 6, 7, 8])
    #expect((x - y).storage == [0, 1, 2, 2, 3, 4])
    #expect((2 * x).storage == [2, 4, 6, 8, 10, 12])
    #expect(x.transposed().storage == [1, 4, 2, 5, 3, 6])
    #expect(x.maxAbsDifference(y) == 4)
}

@Test func softmaxRowsSumToOneAndAreShiftInvariant() {
    var values: [Float] = [1, 2, 3, 1001, 1002, 1003]
    values.withUnsafeMutableBufferPointer { p in Kernels.softmaxRows(p.baseAddress!, rows: 2, columns: 3, ld: 3) }
    #expect(abs(values[0...2].reduce(0, +) - 1) < 1e-6)
    for c in 0..<3 { #expect(abs(values[c] - values[c + 3]) < 1e-6) }
    #expect(values[2] > values[1] && values[1] > values[0])
}

@Test func rowHelpers() {
    let x = Tensor(shape: [3, 2, 2], storage: (0..<12).map(Float.init))
    #expect(x.matrixView.shape == [6, 2])
    #expect(x.rows == 3 && x.columns == 4)
    #expect(x[1, 1, 0] == 6)
    let slice = x.rowSlice(1..<3)
    #expect(slice.shape == [2, 2, 2] && slice.storage.first == 4)
    #expect(x.batch(2).shape == [2, 2] && x.batch(2)[1, 0] == x[2, 1, 0])
    let joined = Tensor.concatenateRows([x.rowSlice(0..<1), slice])
    #expect(joined == x)
    var m = Tensor(zeros: [2, 2])
    m.addScaled(Tensor(shape: [2, 2], repeating: 1), by: 3)
    #expect(m.storage == [3, 3, 3, 3])
}

@Test func fastExpMatchesLibraryExp() {
    var worst: Double = 0
    var x: Float = -80
    while x <= 80 {
        let relative = abs(Double(Kernels.exp(x)) - exp(Double(x))) / exp(Double(x))
        worst = max(worst, relative)
        x += 0.0137
    }
    #expect(worst < 2e-5)
    #expect(Kernels.exp(0) == 1)
    #expect(Kernels.exp(-1000) > 0 && Kernels.exp(1000).isFinite)
}

@Test func fusedGeluMatchesErfDefinition() {
    let xs = stride(from: Float(-8), through: 8, by: 0.0031).map { $0 }
    var y = [Float](repeating: 0, count: xs.count)
    var d = [Float](repeating: 0, count: xs.count)
    xs.withUnsafeBufferPointer { px in
        y.withUnsafeMutableBufferPointer { py in
            d.withUnsafeMutableBufferPointer { pd in
                Kernels.gelu(px.baseAddress!, output: py.baseAddress!, derivative: pd.baseAddress!, count: xs.count)
            }
        }
    }
    for (i, x) in xs.enumerated() {
        let v = Double(x)
        let cdf = 0.5 * (1 + erf(v / 2.0.squareRoot()))
        let pdf = exp(-v * v / 2) / (2 * Double.pi).squareRoot()
        #expect(abs(Double(y[i]) - v * cdf) < 3e-6 * max(1, abs(v)))
        #expect(abs(Double(d[i]) - (cdf + v * pdf)) < 3e-6)
    }
}

@Test func parallelChunksCoverTheRangeOnce() {
    let before = Parallel.workerCount
    for workers in [1, 2, 3] {
        Parallel.withWorkerCount(workers) {
            #expect(Parallel.workerCount == workers)
            let counter = UncheckedSendable(UnsafeMutablePointer<Int>.allocate(capacity: 1000))
            counter.value.initialize(repeating: 0, count: 1000)
            Parallel.forEachChunk(1000, minimumChunk: 10) { range in for i in range { counter.value[i] += 1 } }
            #expect((0..<1000).allSatisfy { counter.value[$0] == 1 })
            counter.value.deallocate()
        }
    }
    #expect(Parallel.workerCount == before)
}

@Test func parallelGEMMMatchesSingleCall() {
    var g = Xoshiro256StarStar(seed: 9)
    let a = Tensor.normal(shape: [300, 64], std: 1, using: &g)
    let b = Tensor.normal(shape: [64, 200], std: 1, using: &g)
    let c = Tensor.matmul(a, .none, b, .none)  // large enough to split across workers
    let ct = Tensor.matmul(a, .transposed, Tensor.normal(shape: [300, 500], std: 1, using: &g), .none)
    #expect(ct.shape == [64, 500])
    var serial = Tensor(zeros: [300, 200])
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            serial.withUnsafeMutableBufferPointer { pc in
                BLAS.gemm(.none, .none, m: 300, n: 200, k: 64, a: pa.baseAddress!, lda: 64, b: pb.baseAddress!,
                          ldb: 200, c: pc.baseAddress!, ldc: 200)
            }
        }
    }
    #expect(c.maxAbsDifference(serial) < 1e-4)
}
