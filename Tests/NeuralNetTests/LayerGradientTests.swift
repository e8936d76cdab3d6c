import NeuralNet
import Randomness
import Tensors
import Testing

private func randomInput(_ shape: [Int], seed: UInt64) -> InputBox {
    var g = Xoshiro256StarStar(seed: seed)
    return InputBox(Tensor.normal(shape: shape, std: 1, using: &g))
}

@Test(arguments: [true, false])
func linearGradients(bias: Bool) {
    var g = Xoshiro256StarStar(seed: 1)
    let layer = Linear(5, 4, bias: bias, name: "fc", generator: &g)
    let x = randomInput([6, 5], seed: 2)
    #expect(layer.parameters.count == (bias ? 2 : 1))
    let mismatches = GradientChecker().check(parameters: layer.parameters, inputs: [x],
                                             forward: { layer.forward(x.value) },
                                             backward: { [layer.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func linearForwardKnownValue() {
    var g = Xoshiro256StarStar(seed: 1)
    let layer = Linear(2, 1, name: "fc", generator: &g)
    layer.weight.value = Tensor(shape: [2, 1], storage: [2, 3])
    layer.bias!.value = Tensor(shape: [1], storage: [1])
    #expect(layer.forward(Tensor(shape: [1, 2], storage: [1, 1])).storage == [6])
}

@Test func embeddingGradientsSkipPaddingRow() {
    var g = Xoshiro256StarStar(seed: 3)
    let embedding = Embedding(vocabulary: 7, dimension: 4, paddingIndex: 0, name: "emb", generator: &g)
    #expect(embedding.table.value.rowSlice(0..<1).storage.allSatisfy { $0 == 0 })
    let ids: [Int32] = [1, 0, 3, 3, 6, 0]
    let mismatches = GradientChecker().check(parameters: embedding.parameters, forward: { embedding.forward(ids) },
                                             backward: { embedding.backward($0); return [] })
    // The padding row's value does affect the loss numerically, but by design receives no gradient:
    let paddingMismatches = mismatches.filter { $0.index < 4 }
    #expect(mismatches.count == paddingMismatches.count, "\(mismatches)")
    Parameter.zeroGrads(embedding.parameters)
    _ = embedding.forward(ids)
    embedding.backward(Tensor(shape: [6, 4], repeating: 1))
    #expect(embedding.table.grad.rowSlice(0..<1).storage.allSatisfy { $0 == 0 })
    #expect(embedding.table.grad[3, 0] == 2)
    #expect(embedding.touchedRows == [1, 3, 6])
}

@Test func layerNormGradients() {
    var g = Xoshiro256StarStar(seed: 4)
    let norm = LayerNorm(6, name: "ln")
    norm.gain.value = Tensor.normal(shape: [6], mean: 1, std: 0.3, using: &g)
    norm.shift.value = Tensor.normal(shape: [6], std: 0.3, using: &g)
    let x = randomInput([5, 6], seed: 5)
    let mismatches = GradientChecker().check(parameters: norm.parameters, inputs: [x],
                                             forward: { norm.forward(x.value) }, backward: { [norm.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
    let y = norm.forward(Tensor(shape: [1, 6], storage: [1, 2, 3, 4, 5, 6]))
    #expect(y.storage.count == 6)
}

@Test(arguments: [(true, 1), (false, 1), (true, 2), (false, 2)])
func batchNormTrainingGradients(affine: Bool, groups: Int) {
    var g = Xoshiro256StarStar(seed: 6)
    let norm = BatchNorm1d(4, affine: affine, name: "bn")
    if affine {
        norm.gain!.value = Tensor.normal(shape: [4], mean: 1, std: 0.3, using: &g)
        norm.shift!.value = Tensor.normal(shape: [4], std: 0.3, using: &g)
    }
    let x = randomInput([8, 4], seed: 7)
    let mismatches = GradientChecker().check(parameters: norm.parameters, inputs: [x],
                                             forward: { norm.forward(x.value, training: true, groups: groups) },
                                             backward: { [norm.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
    // Training output is standardised per group: zero mean, unit (biased) variance per column.
    if !affine {
        let y = norm.forward(x.value, training: true, groups: groups)
        let m = 8 / groups
        for group in 0..<groups {
            for c in 0..<4 {
                let column = (0..<m).map { Double(y[group * m + $0, c]) }
                let mean = column.reduce(0, +) / Double(m)
                let variance = column.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
                #expect(abs(mean) < 1e-5)
                #expect(abs(variance - 1) < 1e-3)
            }
        }
    }
}

@Test func batchNormEvalUsesRunningStatistics() {
    let norm = BatchNorm1d(2, name: "bn")
    let x = Tensor(shape: [4, 2], storage: [1, 10, 2, 20, 3, 30, 4, 40])
    _ = norm.forward(x, training: true)
    // running ← 0.9·init + 0.1·batch: mean (2.5, 25), unbiased var (5/3, 500/3).
    #expect(abs(norm.runningMean.value.storage[0] - 0.25) < 1e-6)
    #expect(abs(norm.runningMean.value.storage[1] - 2.5) < 1e-5)
    #expect(abs(norm.runningVariance.value.storage[0] - (0.9 + 0.1 * 5 / 3)) < 1e-5)
    let y = norm.forward(Tensor(shape: [1, 2], storage: [0.25, 2.5]), training: false)
    #expect(y.storage.allSatisfy { abs($0) < 1e-6 })
    let input = randomInput([3, 2], seed: 1)
    let mismatches = GradientChecker().check(parameters: norm.parameters, inputs: [input],
                                             forward: { norm.forward(input.value, training: false) },
                                             backward: { [norm.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func reluAndGeluGradients() {
    var x = randomInput([4, 5], seed: 8)
    // Keep inputs away from ReLU's kink so the central difference is valid.
    x.value.withUnsafeMutableBufferPointer { p in for i in p.indices where abs(p[i]) < 0.05 { p[i] += 0.1 } }
    let relu = ReLU()
    let gelu = GELU()
    let r = GradientChecker().check(parameters: [], inputs: [x], forward: { relu.forward(x.value) },
                                    backward: { [relu.backward($0)] })
    #expect(r.isEmpty, "\(r)")
    let gelus = GradientChecker().check(parameters: [], inputs: [x], forward: { gelu.forward(x.value) },
                                        backward: { [gelu.backward($0)] })
    #expect(gelus.isEmpty, "\(gelus)")
    #expect(relu.forward(Tensor(shape: [2], storage: [-1, 2])).storage == [0, 2])
    let known = gelu.forward(Tensor(shape: [3], storage: [0, 1, -1])).storage
    #expect(known[0] == 0 && abs(known[1] - 0.841_344_7) < 1e-5 && abs(known[2] + 0.158_655_3) < 1e-5)
    x = InputBox(Tensor(zeros: [1]))
}

@Test func dropoutIsSeededScaledAndDifferentiable() {
    let dropout = Dropout(0.5)
    let x = randomInput([10, 10], seed: 9)
    var g1 = Xoshiro256StarStar(seed: 1)
    var g2 = Xoshiro256StarStar(seed: 1)
    let y1 = dropout.forward(x.value, training: true, generator: &g1)
    let y2 = dropout.forward(x.value, training: true, generator: &g2)
    #expect(y1 == y2)
    let zeros = y1.storage.filter { $0 == 0 }.count
    #expect(zeros > 30 && zeros < 70)
    for i in 0..<100 where y1.storage[i] != 0 { #expect(abs(y1.storage[i] - 2 * x.value.storage[i]) < 1e-6) }
    var g3 = Xoshiro256StarStar(seed: 2)
    #expect(dropout.forward(x.value, training: false, generator: &g3) == x.value)
    let mismatches = GradientChecker().check(parameters: [], inputs: [x], forward: {
        var g = Xoshiro256StarStar(seed: 5)
        return dropout.forward(x.value, training: true, generator: &g)
    }, backward: { [dropout.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func maskedMeanPoolGradientsAndValues() {
    let layout = SequenceLayout(lengths: [2, 0, 3])
    let pool = MaskedMeanPool()
    let x = randomInput([5, 3], seed: 10)
    let y = pool.forward(x.value, layout: layout)
    #expect(y.shape == [3, 3])
    #expect(abs(y[0, 0] - (x.value[0, 0] + x.value[1, 0]) / 2) < 1e-6)
    #expect(y[1, 0] == 0 && y[1, 2] == 0)
    #expect(abs(y[2, 1] - (x.value[2, 1] + x.value[3, 1] + x.value[4, 1]) / 3) < 1e-6)
    let mismatches = GradientChecker().check(parameters: [], inputs: [x],
                                             forward: { pool.forward(x.value, layout: layout) },
                                             backward: { [pool.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func sharedEmbeddingAccumulatesIntoOneTable() {
    var g = Xoshiro256StarStar(seed: 31)
    let user = Embedding(vocabulary: 5, dimension: 2, name: "item_embedding", generator: &g)
    let item = Embedding(sharing: user.table)
    #expect(item.table === user.table)
    Parameter.zeroGrads(user.parameters)
    let a = user.forward([1, 2])
    let b = item.forward([2, 4])
    #expect(b.rowSlice(0..<1) == a.rowSlice(1..<2))
    user.backward(Tensor(shape: [2, 2], repeating: 1))
    item.backward(Tensor(shape: [2, 2], repeating: 1))
    #expect(user.table.grad[2, 0] == 2 && user.table.grad[4, 1] == 1 && user.table.grad[3, 0] == 0)
}

@Test func fusedGeluDropoutMatchesSeparateLayersAndDifferentiates() {
    let x = randomInput([20, 10], seed: 19)
    let fused = GELU()
    let plain = GELU()
    let dropout = Dropout(0.3)
    var g1 = Xoshiro256StarStar(seed: 4)
    var g2 = Xoshiro256StarStar(seed: 4)
    let a = fused.forward(x.value, dropout: 0.3, training: true, generator: &g1)
    let b = dropout.forward(plain.forward(x.value), training: true, generator: &g2)
    #expect(a.maxAbsDifference(b) < 1e-6)
    #expect(g1 == g2)
    let mismatches = GradientChecker().check(parameters: [], inputs: [x], forward: {
        var g = Xoshiro256StarStar(seed: 8)
        return fused.forward(x.value, dropout: 0.3, training: true, generator: &g)
    }, backward: { [fused.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}
