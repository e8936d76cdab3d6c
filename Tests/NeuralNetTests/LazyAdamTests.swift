import NeuralNet
import Randomness
import Tensors
import Testing

/// An embedding of 6 rows of width 2 whose last backward touched rows 1 and 4 (ids 1, 4, 4 and padding 0).
private func touchedEmbedding(seed: UInt64) -> Embedding {
    var g = Xoshiro256StarStar(seed: seed)
    let embedding = Embedding(vocabulary: 6, dimension: 2, paddingIndex: 0, name: "emb", generator: &g)
    let ids: [Int32] = [1, 4, 0, 4]
    _ = embedding.forward(ids)
    embedding.backward(Tensor(shape: [4, 2], storage: [1, -1, 0.5, 2, 9, 9, -0.25, 1]))
    return embedding
}

@Test func embeddingTablesTrackTheRowsTheirGradientHoldsAndZeroOnlyThose() {
    let embedding = touchedEmbedding(seed: 1)
    #expect(embedding.table.gradientRows == [1, 4])
    #expect(embedding.table.grad[4, 0] == 0.25 && embedding.table.grad[4, 1] == 3)
    // A second layer sharing the table merges its rows in.
    let shared = Embedding(sharing: embedding.table)
    _ = shared.forward([2, 4])
    shared.backward(Tensor(shape: [2, 2], repeating: 1))
    #expect(embedding.table.gradientRows == [1, 2, 4])
    #expect(embedding.table.grad[4, 1] == 4)
    embedding.table.zeroGrad()
    #expect(embedding.table.gradientRows == [])
    #expect(embedding.table.grad.storage.allSatisfy { $0 == 0 })
    // Dense parameters keep no rows.
    let dense = Parameter(name: "w", value: Tensor(zeros: [3, 2]))
    #expect(dense.gradientRows == nil)
    dense.addGradientRows([1])
    #expect(dense.gradientRows == nil)
}

@Test func lazyAdamWUpdatesOnlyTouchedRowsAndMatchesDenseAdamWThere() {
    let dense = touchedEmbedding(seed: 2)
    let lazy = touchedEmbedding(seed: 2)
    let start = lazy.table.value
    let denseAdam = Adam.adamW(parameters: dense.parameters, learningRate: 0.1, weightDecay: 0.5)
    let lazyAdam = Adam.adamW(parameters: lazy.parameters, learningRate: 0.1, weightDecay: 0.5, lazy: true)
    #expect(lazyAdam.lazy && !denseAdam.lazy)
    denseAdam.step()
    lazyAdam.step()
    for row in 0..<6 {
        for column in 0..<2 {
            let touched = row == 1 || row == 4
            if touched {
                // First step, same gradient: the touched rows agree bit for bit.
                #expect(lazy.table.value[row, column] == dense.table.value[row, column])
                #expect(lazy.table.value[row, column] != start[row, column])
            } else {
                // Lazy leaves untouched rows alone; dense AdamW still shrinks them by weight decay.
                #expect(lazy.table.value[row, column] == start[row, column])
            }
        }
    }
    #expect(dense.table.value[3, 0] == start[3, 0] * (1 - 0.1 * 0.5))
    // Second step touching nothing: dense keeps moving rows 1 and 4 by their momentum, lazy does not move at all.
    Parameter.zeroGrads(dense.parameters + lazy.parameters)
    let (denseBefore, lazyBefore) = (dense.table.value, lazy.table.value)
    denseAdam.step()
    lazyAdam.step()
    #expect(lazy.table.value == lazyBefore)
    #expect(abs(dense.table.value[1, 0] - denseBefore[1, 0]) > 0.01)
    // Moments are saved in the same layout either way.
    #expect(lazyAdam.stateTensors().map(\.name) == denseAdam.stateTensors().map(\.name))
}

@Test func sparseClippingGivesTheDenseNormAndScalesTheSameRows() {
    let a = touchedEmbedding(seed: 3)
    let b = touchedEmbedding(seed: 3)
    let bias = Parameter(name: "b", value: Tensor(zeros: [2]), decays: false)
    bias.grad = Tensor(shape: [2], storage: [3, 4])
    let denseNorm = clipGradientNorm(a.parameters + [bias], maxNorm: 1)
    bias.grad = Tensor(shape: [2], storage: [3, 4])
    let sparseNorm = clipGradientNorm(b.parameters + [bias], maxNorm: 1, sparseRows: true)
    #expect(abs(denseNorm - sparseNorm) <= 1e-6 * denseNorm)
    #expect(a.table.grad.maxAbsDifference(b.table.grad) <= 1e-6)
    #expect(abs(b.table.grad[4, 1] - 3 / denseNorm) < 1e-6)
}

@Test func adamWGivesTheSameValuesForAnyWorkerCount() {
    func run(workers: Int, lazy: Bool) -> Tensor {
        var g = Xoshiro256StarStar(seed: 9)
        let embedding = Embedding(vocabulary: 2_000, dimension: 32, name: "emb", generator: &g)
        let ids = (0..<1_500).map { Int32(1 + ($0 * 7919) % 1_999) }
        let gradient = Tensor.normal(shape: [ids.count, 32], std: 1, using: &g)
        let adam = Adam.adamW(parameters: embedding.parameters, learningRate: 0.01, weightDecay: 0.1, lazy: lazy)
        Parallel.withWorkerCount(workers) {
            for _ in 0..<3 {
                embedding.table.zeroGrad()
                _ = embedding.forward(ids)
                embedding.backward(gradient)
                adam.step()
            }
        }
        return embedding.table.value
    }
    for lazy in [false, true] {
        #expect(run(workers: 1, lazy: lazy) == run(workers: 3, lazy: lazy))
    }
    #expect(run(workers: 1, lazy: false) != run(workers: 1, lazy: true))
}
