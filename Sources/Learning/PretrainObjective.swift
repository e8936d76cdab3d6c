import NeuralNet
import Randomness
import Sequences
import Tensors

/// One pretraining objective: the trainable heads beside the encoder, the batches it trains on, and one training
/// step's forward and backward. Steps only accumulate gradients; the pretrainer zeroes, clips and applies them.
///
/// Each epoch the pretrainer calls ``beginEpoch(using:)`` with the epoch's data stream (the objective shuffles its
/// batches from it), then ``step(_:data:augmentationGenerator:dropoutGenerator:)`` for steps `0..<stepsPerEpoch`
/// with that same stream, which the view objectives go on drawing augmentations from.
protocol PretrainObjective: AnyObject {
    /// The encoder being trained.
    var encoder: any SequenceEncoder { get }
    /// Encoder parameters followed by the head's (a shared table listed once).
    var parameters: [Parameter] { get }
    /// Shuffles this epoch's batches with `generator`.
    func beginEpoch(using generator: inout SplitMix64)
    /// Forward and backward of the epoch's batch `index`; returns the named loss terms.
    func step(_ index: Int, data: PreparedDataset, augmentationGenerator: inout SplitMix64,
              dropoutGenerator: inout Xoshiro256StarStar) -> [String: Double]
    /// Figures measured once training ends (the dual encoder's next-item recall@10); empty by default.
    func finalMetrics(data: PreparedDataset) -> [String: Double]
}

extension PretrainObjective {
    func finalMetrics(data: PreparedDataset) -> [String: Double] { [:] }
}

/// The objective of `config.method` on `encoder`, training on `users` in batches of `batch`.
/// - Throws: `EncoderError` when the dual encoder's histories give fewer than 2 (prefix, next item) examples.
func makePretrainObjective(config: PretrainConfig, encoder: any SequenceEncoder, data: PreparedDataset,
                           users: [Int32], batch: Int, generator: inout Xoshiro256StarStar) throws
    -> any PretrainObjective
{
    switch config.method {
    case .barlowTwins:
        return BarlowTwinsObjective(encoder: encoder, config: config, batches: UserBatches(users: users, size: batch),
                                    generator: &generator)
    case .contrastive:
        return ContrastiveObjective(encoder: encoder, config: config, batches: UserBatches(users: users, size: batch))
    case .dualEncoder:
        let examples = data.nextItemExamples(users: users)
        guard examples.count >= 2 else {
            throw EncoderError("dual_encoder: the pretraining histories give \(examples.count) (prefix, next item) "
                               + "examples, expected at least 2")
        }
        return DualEncoderObjective(encoder: encoder, config: config,
                                    batches: ExampleBatches(examples: examples, size: batch), generator: &generator)
    case .none:
        preconditionFailure("`none` has nothing to train")
    }
}

/// The user batches of one epoch for the two-view objectives: a shuffle of the users cut into batches of `size`,
/// the last partial batch dropped (so BatchNorm and the losses' batch statistics always see `size` rows).
struct UserBatches {
    /// The pretraining users.
    let users: [Int32]
    /// Users per batch.
    let size: Int
    /// This epoch's batches.
    private(set) var batches: [[Int32]] = []

    /// Batches of `size` from `users`; call ``shuffle(using:)`` before each epoch.
    init(users: [Int32], size: Int) {
        self.users = users
        self.size = size
    }

    /// Draws the epoch's order from `generator`.
    mutating func shuffle(using generator: inout SplitMix64) {
        let users = users
        batches = EpochBatches(count: users.count, batchSize: size, dropLast: true, using: &generator)
            .map { slice in slice.map { users[$0] } }
    }
}

/// The (prefix, next item) examples of one epoch for the dual encoder: a shuffle of every example, read `size` at a
/// time, wrapping around when the pretrainer's step count (set by the users) needs more than one pass.
struct ExampleBatches {
    /// Every (user, position) example of the pretraining histories.
    let examples: [(user: Int32, position: Int32)]
    /// Examples per batch.
    let size: Int
    /// This epoch's order.
    private(set) var order: [Int32] = []

    /// Batches of `size` from `examples`; call ``shuffle(using:)`` before each epoch.
    init(examples: [(user: Int32, position: Int32)], size: Int) {
        self.examples = examples
        self.size = size
    }

    /// Draws the epoch's order from `generator`.
    mutating func shuffle(using generator: inout SplitMix64) {
        order = (0..<examples.count).map { Int32($0) }
        order.seededShuffle(using: &generator)
    }

    /// The examples of batch `index`: positions `index·size ..< (index+1)·size` of the order, modulo its length.
    func batch(_ index: Int) -> [(user: Int32, position: Int32)] {
        (0..<size).map { examples[Int(order[(index * size + $0) % examples.count])] }
    }
}

/// Barlow Twins (Zbontar et al. 2021): both views through the encoder in one stacked batch `[2B, T]` → `[2B, d]`,
/// projector with per-view BatchNorm → `z₁`, `z₂` `[B, f]`, loss `Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij²` on the
/// batch-standardised cross-correlation `C = ẑ₁ᵀẑ₂ / B`.
final class BarlowTwinsObjective: PretrainObjective {
    let encoder: any SequenceEncoder
    let projector: Projector
    let lambda: Float
    let augmentations: Augmentations
    var batches: UserBatches

    init(encoder: any SequenceEncoder, config: PretrainConfig, batches: UserBatches,
         generator: inout Xoshiro256StarStar) {
        self.encoder = encoder
        self.batches = batches
        projector = Projector(input: encoder.outputDimension, widths: config.projector, generator: &generator)
        lambda = config.effectiveLambda
        augmentations = config.augmentations
    }

    var parameters: [Parameter] { encoder.parameters + projector.parameters }

    func beginEpoch(using generator: inout SplitMix64) { batches.shuffle(using: &generator) }

    func step(_ index: Int, data: PreparedDataset, augmentationGenerator: inout SplitMix64,
              dropoutGenerator: inout Xoshiro256StarStar) -> [String: Double] {
        let users = batches.batches[index]
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
    var batches: UserBatches

    init(encoder: any SequenceEncoder, config: PretrainConfig, batches: UserBatches) {
        self.encoder = encoder
        self.batches = batches
        temperature = config.temperature
        augmentations = config.augmentations
    }

    var parameters: [Parameter] { encoder.parameters }

    func beginEpoch(using generator: inout SplitMix64) { batches.shuffle(using: &generator) }

    func step(_ index: Int, data: PreparedDataset, augmentationGenerator: inout SplitMix64,
              dropoutGenerator: inout Xoshiro256StarStar) -> [String: Double] {
        let users = batches.batches[index]
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
    var batches: ExampleBatches

    init(encoder: any SequenceEncoder, config: PretrainConfig, batches: ExampleBatches,
         generator: inout Xoshiro256StarStar) {
        self.encoder = encoder
        self.batches = batches
        itemLookup = Embedding(sharing: EncoderFactory.itemEmbedding(of: encoder).table)
        itemProjection = Linear(encoder.outputDimension, encoder.outputDimension, name: "item_tower.projection",
                                generator: &generator)
        temperature = config.temperature
    }

    var parameters: [Parameter] { encoder.parameters + itemProjection.parameters }

    func beginEpoch(using generator: inout SplitMix64) { batches.shuffle(using: &generator) }

    func step(_ index: Int, data: PreparedDataset, augmentationGenerator: inout SplitMix64,
              dropoutGenerator: inout Xoshiro256StarStar) -> [String: Double] {
        let batch = data.nextItemBatch(batches.batch(index))
        let u = encoder.forward(batch.prefixes.tokenBatch, training: true, generator: &dropoutGenerator)
        let v = itemProjection.forward(itemLookup.forward(batch.targets))
        let result = Losses.infoNCE(u, v, temperature: temperature)
        itemLookup.backward(itemProjection.backward(result.gradientB))
        encoder.backward(result.gradientA)
        return ["loss": Double(result.loss)]
    }

    /// Next-item recall@10 of the validation users against the whole catalogue (none without validation users).
    func finalMetrics(data: PreparedDataset) -> [String: Double] {
        let recall = NextItemRecall.evaluate(encoder: encoder, catalogue: catalogue(itemCount: data.itemCount),
                                             data: data, users: data.validationUsers, k: 10)
        return recall.map { ["recall_at_10": $0] } ?? [:]
    }

    /// Item-tower vectors of every real item `1...itemCount`, `[itemCount, d]`, L2-normalised rows.
    func catalogue(itemCount: Int) -> Tensor {
        let lookup = Embedding(sharing: itemLookup.table)
        let vectors = itemProjection.forward(lookup.forward((1...itemCount).map { Int32($0) }))
        return NextItemRecall.normalisedRows(vectors)
    }
}
