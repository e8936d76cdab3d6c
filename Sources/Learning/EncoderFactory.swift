import NeuralNet
import Randomness
import Sequences
import Tensors

/// Why an encoder could not be built or restored.
public struct EncoderError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, naming the field or checkpoint entry.
    public var message: String

    /// An error with `message`.
    public init(_ message: String) { self.message = message }

    /// The message.
    public var description: String { message }
}

/// Builds the encoders of PROTOCOL.md section 3 from an `EncoderConfig` and a seed, and restores them from
/// checkpoint bytes.
///
/// Initialisation is a pure function of `(config, seed)`: the parameters draw from the stream
/// `Xoshiro256StarStar(seed: seed).derived("encoder-init")` (embeddings N(0, 0.02²) with padding row zero, linear
/// layers Xavier/Glorot), so the `none` method and the start of every trained method share one encoder.
public enum EncoderFactory {
    /// Checks the configuration: positive sizes, `heads` dividing `dimension`, dropout in `[0, 1)`.
    /// - Throws: `EncoderError` naming the first bad field.
    public static func validate(_ config: EncoderConfig) throws(EncoderError) {
        guard config.vocabulary >= 2 else {
            throw EncoderError("encoder.vocabulary: \(config.vocabulary), expected ≥ 2")
        }
        guard config.dimension >= 1 else { throw EncoderError("encoder.d: \(config.dimension), expected ≥ 1") }
        guard config.maxLength >= 1 else {
            throw EncoderError("encoder.max_length: \(config.maxLength), expected ≥ 1")
        }
        guard (0..<1).contains(config.dropout) else {
            throw EncoderError("encoder.dropout: \(config.dropout), expected a value in [0, 1)")
        }
        guard (0..<1).contains(config.attentionDropout) else {
            throw EncoderError("encoder.attention_dropout: \(config.attentionDropout), expected a value in [0, 1)")
        }
        if config.kind == .transformer {
            guard config.blocks >= 1 else { throw EncoderError("encoder.blocks: \(config.blocks), expected ≥ 1") }
            guard config.heads >= 1, config.dimension % config.heads == 0 else {
                throw EncoderError("encoder.heads: \(config.heads) must be ≥ 1 and divide d = \(config.dimension)")
            }
            guard config.feedForward >= 1 else {
                throw EncoderError("encoder.ff: \(config.feedForward), expected ≥ 1")
            }
        }
    }

    /// A freshly initialised encoder for `config`; the same `(config, seed)` always gives the same parameters.
    /// - Throws: `EncoderError` for an invalid configuration.
    public static func make(_ config: EncoderConfig, seed: UInt64) throws(EncoderError) -> any SequenceEncoder {
        try validate(config)
        var generator = Xoshiro256StarStar(seed: seed).derived("encoder-init")
        switch config.kind {
        case .transformer:
            return TransformerEncoder(config.transformer, generator: &generator)
        case .meanPool:
            return MeanPoolEncoder(vocabulary: config.vocabulary, dimension: config.dimension, generator: &generator)
        }
    }

    /// An encoder for `config` whose parameters come from `checkpoint` (encoded `Checkpoint` bytes; entries that
    /// are not encoder parameters, e.g. a projector or optimiser state, are ignored).
    /// - Throws: `EncoderError` when the configuration is invalid or the bytes are corrupt, lack a parameter or
    ///   disagree on a shape (the message names the entry).
    public static func restore(_ config: EncoderConfig, checkpoint bytes: [UInt8]) throws(EncoderError)
        -> any SequenceEncoder {
        let encoder = try make(config, seed: 0)
        do {
            let checkpoint = try Checkpoint(decoding: bytes)
            try checkpoint.restore(into: encoder.parameters)
        } catch {
            throw EncoderError("encoder checkpoint: \(error.description)")
        }
        return encoder
    }

    /// The encoder's parameters (no optimiser state) as checkpoint bytes.
    public static func checkpointBytes(of encoder: any SequenceEncoder) -> [UInt8] {
        Checkpoint(parameters: encoder.parameters).encoded()
    }

    /// The item table of `encoder` (both encoder kinds have one), for a dual encoder's item tower.
    public static func itemEmbedding(of encoder: any SequenceEncoder) -> Embedding {
        if let transformer = encoder as? TransformerEncoder { return transformer.itemEmbedding }
        if let meanPool = encoder as? MeanPoolEncoder { return meanPool.itemEmbedding }
        preconditionFailure("EncoderFactory.itemEmbedding: unknown encoder type \(type(of: encoder))")
    }
}

extension PaddedBatch {
    /// The same rows as a `TokenBatch` for the encoders.
    public var tokenBatch: TokenBatch {
        TokenBatch(ids: items, batchSize: batchSize, length: length, lengths: lengths.map { Int($0) })
    }
}
