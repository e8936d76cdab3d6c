import NeuralNet
import Randomness
import Sequences
import Tensors

/// Embeds users with a frozen encoder: each user's history (its last `maxLength` items), eval mode (no dropout),
/// no augmentation, in batches: `[users]` → `[users.count][d]`.
public final class UserEmbedder {
    /// The encoder's architecture.
    public let config: EncoderConfig
    /// The restored encoder.
    public let encoder: any SequenceEncoder

    /// An embedder over the encoder stored in `checkpoint` (bytes of a pretraining result or checkpoint).
    /// - Throws: `EncoderError` when the bytes do not fit `config`.
    public init(config: EncoderConfig, checkpoint: [UInt8]) throws(EncoderError) {
        self.config = config
        encoder = try EncoderFactory.restore(config, checkpoint: checkpoint)
    }

    /// An embedder over an encoder in memory.
    public init(config: EncoderConfig, encoder: any SequenceEncoder) {
        self.config = config
        self.encoder = encoder
    }

    /// The embeddings of `users` (indices into `data`), one row of d floats each, in the order given.
    /// Precondition: the encoder's `maxLength` is at least the dataset's window `data.config.maxLength`.
    public func embed(data: PreparedDataset, users: [Int32], batchSize: Int = 256) -> [[Float]] {
        precondition(config.maxLength >= data.config.maxLength,
                     "UserEmbedder: encoder max_length \(config.maxLength) is shorter than the dataset's "
                        + "max_length \(data.config.maxLength)")
        let matrix = UserEmbedder.encode(encoder, data: data, users: users, batchSize: batchSize)
        let d = matrix.columns
        return (0..<users.count).map { Array(matrix.storage[($0 * d)..<(($0 + 1) * d)]) }
    }

    /// `users`' embeddings as one `[users.count, d]` tensor (eval mode, batches of `batchSize`).
    public static func encode(_ encoder: any SequenceEncoder, data: PreparedDataset, users: [Int32],
                              batchSize: Int = 256) -> Tensor {
        precondition(batchSize >= 1, "UserEmbedder: batch size \(batchSize), expected ≥ 1")
        guard !users.isEmpty else { return Tensor(zeros: [0, encoder.outputDimension]) }
        var dropout = Xoshiro256StarStar(seed: 0)
        var parts: [Tensor] = []
        var start = 0
        while start < users.count {
            let end = min(start + batchSize, users.count)
            let batch = data.historyBatch(users: Array(users[start..<end]))
            parts.append(encoder.forward(batch.tokenBatch, training: false, generator: &dropout))
            start = end
        }
        return Tensor.concatenateRows(parts)
    }
}
