import Foundation
import NeuralNet
import Randomness
import Tensors
import Testing

@Test func attentionGradientsWithPaddingMask() {
    var g = Xoshiro256StarStar(seed: 11)
    let attention = MultiHeadSelfAttention(dimension: 8, heads: 2, name: "attn", generator: &g)
    let layout = SequenceLayout(lengths: [4, 1, 0, 6])
    let x = InputBox(Tensor.normal(shape: [11, 8], std: 1, using: &g))
    let mismatches = GradientChecker().check(parameters: attention.parameters, inputs: [x],
                                             forward: { attention.forward(x.value, layout: layout) },
                                             backward: { [attention.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

/// Double-precision reference: attention over a PADDED batch `[B, T, d]` with an explicit key-padding mask.
private func paddedReference(_ attention: MultiHeadSelfAttention, padded: [[Double]], batch: Int, length: Int,
                             lengths: [Int]) -> [[Double]] {
    let d = attention.dimension
    let dh = d / attention.heads
    let wq = attention.inputProjection.weight.value
    let bq = attention.inputProjection.bias!.value
    let wo = attention.outputProjection.weight.value
    let bo = attention.outputProjection.bias!.value
    func project(_ x: [Double], _ w: Tensor, _ b: Tensor, _ out: Int) -> [Double] {
        (0..<out).map { j in (0..<x.count).reduce(Double(b.storage[j])) { $0 + x[$1] * Double(w[$1, j]) } }
    }
    var outputs = [[Double]](repeating: [], count: batch * length)
    for b in 0..<batch {
        let qkv = (0..<length).map { project(padded[b * length + $0], wq, bq, 3 * d) }
        for t in 0..<length {
            var attended = [Double](repeating: 0, count: d)
            for h in 0..<attention.heads {
                var scores = (0..<length).map { s -> Double in
                    if s >= lengths[b] { return -Double.infinity }  // key padding mask
                    let dot = (0..<dh).reduce(0) { $0 + qkv[t][h * dh + $1] * qkv[s][d + h * dh + $1] }
                    return dot / Double(dh).squareRoot()
                }
                let maxScore = scores.max()!
                scores = scores.map { ($0 - maxScore).isNaN ? 0 : exp($0 - maxScore) }
                let total = scores.reduce(0, +)
                for s in 0..<length {
                    for c in 0..<dh { attended[h * dh + c] += scores[s] / total * qkv[s][2 * d + h * dh + c] }
                }
            }
            outputs[b * length + t] = project(attended, wo, bo, d)
        }
    }
    return outputs
}

@Test func packedAttentionEqualsPaddedAttentionWithKeyMask() {
    var g = Xoshiro256StarStar(seed: 12)
    let attention = MultiHeadSelfAttention(dimension: 4, heads: 2, name: "attn", generator: &g)
    let (batch, length) = (3, 5)
    let lengths = [5, 2, 3]
    var padded: [[Double]] = []
    var packedRows: [Float] = []
    for b in 0..<batch {
        for t in 0..<length {
            let row = (0..<4).map { _ in Double(Float(g.nextNormal())) }
            padded.append(row)
            if t < lengths[b] { packedRows += row.map(Float.init) }
        }
    }
    let reference = paddedReference(attention, padded: padded, batch: batch, length: length, lengths: lengths)
    let y = attention.forward(Tensor(shape: [10, 4], storage: packedRows), layout: SequenceLayout(lengths: lengths))
    var row = 0
    for b in 0..<batch {
        for t in 0..<lengths[b] {
            for c in 0..<4 { #expect(abs(Double(y[row, c]) - reference[b * length + t][c]) < 1e-4) }
            row += 1
        }
    }
}

@Test func transformerBlockGradients() {
    var g = Xoshiro256StarStar(seed: 13)
    let block = TransformerBlock(dimension: 8, heads: 2, feedForward: 16, dropout: 0.1, name: "block", generator: &g)
    let layout = SequenceLayout(lengths: [3, 5, 1])
    let x = InputBox(Tensor.normal(shape: [9, 8], std: 1, using: &g))
    let mismatches = GradientChecker().check(parameters: block.parameters, inputs: [x], forward: {
        var dropoutGenerator = Xoshiro256StarStar(seed: 77)
        return block.forward(x.value, layout: layout, training: true, generator: &dropoutGenerator)
    }, backward: { [block.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func encoderGradientsThroughWholeModel() {
    var g = Xoshiro256StarStar(seed: 14)
    let config = TransformerEncoderConfig(vocabulary: 12, dimension: 8, blocks: 2, heads: 2, feedForward: 16,
                                          maxLength: 6, dropout: 0.1)
    let encoder = TransformerEncoder(config, generator: &g)
    let batch = TokenBatch(sequences: [[1, 2, 3], [4, 5, 6, 7, 8, 9], [10], [11, 3]], length: 6)
    #expect(batch.layout.lengths == [3, 6, 1, 2])
    // Rescale the N(0, 0.02²) tables to unit scale: a finite-difference step of 1e-2 on values of size 0.02
    // (amplified 50× by the LayerNorm) would measure curvature, not slope.
    encoder.itemEmbedding.table.value.scale(by: 50)
    encoder.positionEmbedding.table.value.scale(by: 50)
    let checker = GradientChecker(probes: 8)
    let mismatches = checker.check(parameters: encoder.parameters, forward: {
        var dropoutGenerator = Xoshiro256StarStar(seed: 3)
        return encoder.forward(batch, training: true, generator: &dropoutGenerator)
    }, backward: { encoder.backward($0); return [] })
    // The item padding row gets no gradient by design; everything else must match.
    let unexpected = mismatches.filter { !($0.what == "item_embedding.weight" && $0.index < 8) }
    #expect(unexpected.isEmpty, "\(unexpected)")
    let names = encoder.parameters.map(\.name)
    #expect(Set(names).count == names.count)
    #expect(names.contains("blocks.1.attention.qkv.weight"))
}

@Test func meanPoolEncoderAndProjectorGradients() {
    var g = Xoshiro256StarStar(seed: 15)
    let encoder = MeanPoolEncoder(vocabulary: 9, dimension: 6, generator: &g)
    let batch = TokenBatch(ids: [1, 2, 0, 3, 0, 0, 4, 5, 6, 7, 8, 0], batchSize: 4, length: 3)
    #expect(batch.layout.lengths == [2, 1, 3, 2])
    let m = GradientChecker().check(parameters: encoder.parameters, forward: {
        var unused = Xoshiro256StarStar(seed: 0)
        return encoder.forward(batch, training: true, generator: &unused)
    }, backward: { encoder.backward($0); return [] })
    #expect(m.filter { !($0.what == "item_embedding.weight" && $0.index < 6) }.isEmpty, "\(m)")

    let projector = Projector(input: 6, widths: [8, 8, 5], generator: &g)
    let x = InputBox(Tensor.normal(shape: [16, 6], std: 1, using: &g))
    // Batch statistics over few rows and ReLU kinks make the projector strongly curved: a smaller step.
    let p = GradientChecker(step: 1e-3, absoluteTolerance: 5e-3).check(parameters: projector.parameters, inputs: [x],
                                    forward: { projector.forward(x.value, training: true, groups: 2) },
                                    backward: { [projector.backward($0)] })
    #expect(p.isEmpty, "\(p)")
}

@Test func encoderIgnoresEverythingPastEachLength() {
    var g = Xoshiro256StarStar(seed: 16)
    let encoder = TransformerEncoder(TransformerEncoderConfig(vocabulary: 30, dimension: 8, blocks: 2, heads: 2,
                                                              feedForward: 16, maxLength: 6), generator: &g)
    let lengths = [3, 6, 1]
    let clean: [Int32] = [1, 2, 3, 0, 0, 0, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0]
    var noisy = clean
    for (b, length) in lengths.enumerated() { for t in length..<6 { noisy[b * 6 + t] = Int32(11 + b + t) } }
    var unused = Xoshiro256StarStar(seed: 0)
    let a = encoder.forward(TokenBatch(ids: clean, batchSize: 3, length: 6, lengths: lengths), training: false,
                            generator: &unused)
    let b = encoder.forward(TokenBatch(ids: noisy, batchSize: 3, length: 6, lengths: lengths), training: false,
                            generator: &unused)
    #expect(a == b)
    // A sequence's embedding does not depend on the other sequences in the batch.
    let alone = encoder.forward(TokenBatch(sequences: [[4, 5, 6, 7, 8, 9]], length: 6), training: false,
                                generator: &unused)
    #expect(alone.maxAbsDifference(a.rowSlice(1..<2)) < 1e-6)
    // Evaluation mode uses no randomness; training mode with dropout does.
    var g1 = Xoshiro256StarStar(seed: 1)
    var g2 = Xoshiro256StarStar(seed: 2)
    let batch = TokenBatch(ids: clean, batchSize: 3, length: 6, lengths: lengths)
    #expect(encoder.forward(batch, training: false, generator: &g1) == encoder.forward(batch, training: false,
                                                                                        generator: &g2))
    #expect(encoder.forward(batch, training: true, generator: &g1) != encoder.forward(batch, training: true,
                                                                                       generator: &g2))
}

@Test func emptySequencesEncodeToZeros() {
    var g = Xoshiro256StarStar(seed: 18)
    let encoder = TransformerEncoder(TransformerEncoderConfig(vocabulary: 10, dimension: 8, blocks: 1, heads: 2,
                                                              feedForward: 16, maxLength: 4), generator: &g)
    let batch = TokenBatch(ids: [Int32](repeating: 0, count: 8), batchSize: 2, length: 4)
    #expect(batch.layout.tokenCount == 0)
    var dropoutGenerator = Xoshiro256StarStar(seed: 1)
    let u = encoder.forward(batch, training: true, generator: &dropoutGenerator)
    #expect(u == Tensor(zeros: [2, 8]))
    Parameter.zeroGrads(encoder.parameters)
    encoder.backward(Tensor(shape: [2, 8], repeating: 1))
    #expect(encoder.parameters.allSatisfy { $0.grad.squaredNorm() == 0 })
}

@Test func attentionDropoutGradientsMatchFiniteDifferences() {
    var g = Xoshiro256StarStar(seed: 21)
    let attention = MultiHeadSelfAttention(dimension: 8, heads: 2, attentionDropout: 0.3, name: "attn",
                                           generator: &g)
    let layout = SequenceLayout(lengths: [4, 1, 0, 6])
    let x = InputBox(Tensor.normal(shape: [11, 8], std: 1, using: &g))
    // The same key on every forward, so the finite differences see the same mask as the analytic gradient.
    let mismatches = GradientChecker().check(
        parameters: attention.parameters, inputs: [x],
        forward: {
            var dropout = Xoshiro256StarStar(seed: 5)
            return attention.forward(x.value, layout: layout, training: true, generator: &dropout)
        },
        backward: { [attention.backward($0)] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func attentionDropoutIsOffByDefaultAndOnlyInTraining() {
    var g1 = Xoshiro256StarStar(seed: 22)
    var g2 = Xoshiro256StarStar(seed: 22)
    let plain = MultiHeadSelfAttention(dimension: 8, heads: 2, name: "attn", generator: &g1)
    let dropping = MultiHeadSelfAttention(dimension: 8, heads: 2, attentionDropout: 0.5, name: "attn",
                                          generator: &g2)
    let layout = SequenceLayout(lengths: [5, 3])
    let x = Tensor.normal(shape: [8, 8], std: 1, using: &g1)
    // p = 0: a training forward draws nothing and equals the evaluation forward.
    var untouched = Xoshiro256StarStar(seed: 7)
    let trained = plain.forward(x, layout: layout, training: true, generator: &untouched)
    var reference = Xoshiro256StarStar(seed: 7)
    #expect(untouched.next() == reference.next())
    #expect(trained.storage == plain.forward(x, layout: layout).storage)
    // p > 0: evaluation is unchanged (same parameters), training differs and draws one key.
    #expect(dropping.forward(x, layout: layout).storage == plain.forward(x, layout: layout).storage)
    var drawn = Xoshiro256StarStar(seed: 7)
    let dropped = dropping.forward(x, layout: layout, training: true, generator: &drawn)
    var oneDraw = Xoshiro256StarStar(seed: 7)
    _ = oneDraw.next()
    #expect(drawn.next() == oneDraw.next())
    #expect(dropped.storage != trained.storage)
    // The same key gives the same output (the mask is a function of the key and the element's index).
    var again = Xoshiro256StarStar(seed: 7)
    #expect(dropping.forward(x, layout: layout, training: true, generator: &again).storage == dropped.storage)
}
