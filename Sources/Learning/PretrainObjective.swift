import NeuralNet
import Sequences
import Tensors

/// One pretraining objective: the trainable heads beside the encoder and one training step's forward and
/// backward. Steps only accumulate gradients; the pretrainer zeroes, clips and applies them.
protocol PretrainObjective: AnyObject {
    /// The encoder being trained.
    var encoder: any SequenceEncoder { get }
    /// Encoder parameters followed by the head's (a shared table listed once).
    var parameters: [Parameter] { get }
    /// Forward and backward of one batch of `users` (view methods) or of `examples` (dual encoder); returns the
    /// named loss terms.
    func step(users: [Int32], examples: [(user: Int32, position: Int32)], data: PreparedDataset,
              augmentationGenerator: inout Sequences.SeededGenerator,
              dropoutGenerator: inout Tensors.SeededGenerator) -> [String: Double]
}

/// Barlow Twins (Zbontar et al. 2021): both views through the encoder in one stacked batch `[2B, T]` → `[2B, d]`,
/// projector with per-view BatchNorm → `z₁`, `z₂` `[B, f]`, loss `Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij²` on the
/// batch-standardised cross-correlation `C = ẑ₁ᵀẑ₂ / B`.
final class BarlowTwinsObjective: PretrainObjective {
    let encoder: any SequenceEncoder
    let projector: Projector
    let lambda: Float
    let augmentations: Augmentations

    init(encoder: any SequenceEncoder, config: PretrainConfig, generator: inout Tensors.SeededGenerator) {
        self.encoder = encoder
        projector = Projector(input: encoder.outputDimension, widths: config.projector, generator: &generator)
        lambda = config.effectiveLambda
        augmentations = config.augmentations
    }

    var parameters: [Parameter] { encoder.parameters + projector.parameters }

    func step(users: [Int32], examples: [(user: Int32, position: Int32)], data: PreparedDataset,
              augmentationGenerator: inout Sequences.SeededGenerator,
              dropoutGenerator: inout Tensors.SeededGenerator) -> [String: Double] {
        let views = data.twoViewBatch(users: users, augmentations: augmentations, using: &augmentationGenerator)
        let b = users.count
        let stacked = TokenBatch.concatenate([views.first.tokenBatch, views.second.tokenBatch])
        let u = encoder.forward(stacked, training: true, generator: &dropoutGenerator)
        let z = projector.forward(u, training: true, groups: 2)
        let result = Losses.barlowTwins(z.rowSlice(0..<b), z.rowSlice(b..<(2 * b)), lambda: lambda)
        encoder.backward(projector.backward(Tensor.concatenateRows([result.gradient1, result.gradient2])))
        return ["loss": Double(result.loss), "on_diagonal": Double(result.onDiagonal),
                "off_diagonal": Double(result.offDiagonal)]
    }
}

/// CL4SRec-style contrastive learning (Xie et al. 2022): both views through the encoder, then the symmetric
/// in-batch InfoNCE over cosine similarities of the user embeddings, `S = cos(u₁, u₂ᵀ)/τ` `[B, B]`, positives
/// on the diagonal (no projector, as CL4SRec).
final class ContrastiveObjective: PretrainObjective {
    let encoder: any SequenceEncoder
    let temperature: Float
    let augmentations: Augmentations

    init(encoder: any SequenceEncoder, config: PretrainConfig) {
        self.encoder = encoder
        temperature = config.temperature
        augmentations = config.augmentations
    }

    var parameters: [Parameter] { encoder.parameters }

    func step(users: [Int32], examples: [(user: Int32, position: Int32)], data: PreparedDataset,
              augmentationGenerator: inout Sequences.SeededGenerator,
              dropoutGenerator: inout Tensors.SeededGenerator) -> [String: Double] {
        let views = data.twoViewBatch(users: users, augmentations: augmentations, using: &augmentationGenerator)
        let b = users.count
        let stacked = TokenBatch.concatenate([views.first.tokenBatch, views.second.tokenBatch])
        let u = encoder.forward(stacked, training: true, generator: &dropoutGenerator)
        let result = Losses.infoNCE(u.rowSlice(0..<b), u.rowSlice(b..<(2 * b)), temperature: temperature,
                                    symmetric: true)
        encoder.backward(Tensor.concatenateRows([result.gradientA, result.gradientB]))
        return ["loss": Double(result.loss)]
    }
}

/// The dual encoder (next-item retrieval): user tower `u = encoder(prefix)` `[B, d]`, item tower
/// `v = E[next]·W + b` `[B, d]` over the encoder's own item table, in-batch softmax over
/// `S = cos(u, vᵀ)/τ` `[B, B]` with each row's own next item as the positive.
final class DualEncoderObjective: PretrainObjective {
    let encoder: any SequenceEncoder
    let itemLookup: Embedding
    let itemProjection: Linear
    let temperature: Float

    init(encoder: any SequenceEncoder, config: PretrainConfig, generator: inout Tensors.SeededGenerator) {
        self.encoder = encoder
        itemLookup = Embedding(sharing: EncoderFactory.itemEmbedding(of: encoder).table)
        itemProjection = Linear(encoder.outputDimension, encoder.outputDimension, name: "item_tower.projection",
                                generator: &generator)
        temperature = config.temperature
    }

    var parameters: [Parameter] { encoder.parameters + itemProjection.parameters }

    func step(users: [Int32], examples: [(user: Int32, position: Int32)], data: PreparedDataset,
              augmentationGenerator: inout Sequences.SeededGenerator,
              dropoutGenerator: inout Tensors.SeededGenerator) -> [String: Double] {
        let batch = data.nextItemBatch(examples)
        let u = encoder.forward(batch.prefixes.tokenBatch, training: true, generator: &dropoutGenerator)
        let v = itemProjection.forward(itemLookup.forward(batch.targets))
        let result = Losses.infoNCE(u, v, temperature: temperature)
        itemLookup.backward(itemProjection.backward(result.gradientB))
        encoder.backward(result.gradientA)
        return ["loss": Double(result.loss)]
    }

    /// Item-tower vectors of every real item `1...itemCount`, `[itemCount, d]`, L2-normalised rows.
    func catalogue(itemCount: Int) -> Tensor {
        let lookup = Embedding(sharing: itemLookup.table)
        let vectors = itemProjection.forward(lookup.forward((1...itemCount).map { Int32($0) }))
        return NextItemRecall.normalisedRows(vectors)
    }
}
