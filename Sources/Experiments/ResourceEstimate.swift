import Foundation

/// An upper estimate of the memory one job of a spec needs, checked at enqueue and again by the worker before it
/// allocates anything, so an encoder that cannot fit fails at once with a clear message instead of aborting every
/// worker that tries it.
///
/// Counted in 32-bit floats:
/// - parameters P: item embeddings `(items + 2) · d`, positions `max_length · d`, per Transformer block
///   `4d² + 2·d·ff` (+ biases and norms), the head `d²` of `mean_pool`, the projector `Σ wᵢ₋₁·wᵢ`; training keeps
///   4·P (weights, gradients, two AdamW moments);
/// - activations: `T = 2·B·L` tokens for two-view methods (`B·(L + 1)` for the dual encoder), each keeping about
///   `2·(10d + 2·ff + heads·L)` floats per block for the backward pass, plus the projector's `3·2B·Σwᵢ` and Barlow
///   Twins' `3·w²` cross-correlation;
/// - the dataset: 16 bytes per interaction (items, timestamps, ratings) and twice that while it is prepared.
public struct ResourceEstimate: Sendable, Equatable {
    /// Trainable parameters.
    public var parameters: Int
    /// Bytes a pretraining step needs at most (weights, optimiser state, activations).
    public var trainingBytes: Int
    /// Bytes the dataset takes while it is prepared.
    public var datasetBytes: Int

    /// Both together.
    public var totalBytes: Int { trainingBytes + datasetBytes }

    /// The estimate for pretraining `method` with `encoder` on sequences of `maxLength` over `itemCount` items and
    /// `interactions` interactions. Saturates instead of overflowing.
    public init(method: MethodSpec, encoder: EncoderSpec, maxLength: Int, itemCount: Int, interactions: Int) {
        func product(_ values: Int...) -> Double { values.reduce(1.0) { $0 * Double($1) } }
        let d = encoder.d, ff = encoder.ff, heads = encoder.heads, blocks = encoder.blocks
        var parameters = product(itemCount + 2, d) + product(maxLength, d)
        if encoder.kind == "transformer" {
            parameters += Double(blocks) * (product(4, d, d) + product(2, d, ff) + product(9, d) + Double(ff))
        } else {
            parameters += product(d, d) + Double(d)
        }
        let widths = method.projector.map { [d] + $0 } ?? []
        for (a, b) in zip(widths, widths.dropFirst()) { parameters += product(a, b) + product(3, b) }
        let batch = method.batchSize ?? 0
        let tokens = method.name == .dualEncoder ? product(batch, maxLength + 1) : product(2, batch, maxLength)
        let perToken = encoder.kind == "transformer"
            ? Double(blocks) * 2 * (product(10, d) + product(2, ff) + product(heads, maxLength))
            : product(4, d)
        var activations = method.trains ? tokens * perToken : 0
        if method.trains, let last = widths.last {
            activations += product(3, 2, batch) * Double(widths.dropFirst().reduce(0, +)) + product(3, last, last)
        }
        let training = method.hasEncoder ? (4 * parameters + activations) * 4 : 0
        let dataset = product(32, interactions)
        func clamp(_ value: Double) -> Int { value >= Double(Int.max / 2) ? Int.max / 2 : Int(value) }
        self.parameters = clamp(parameters)
        self.trainingBytes = clamp(training)
        self.datasetBytes = clamp(dataset)
    }

    /// The memory a job may use: `$SEQTWINS_MAX_JOB_MEMORY_GB` (the worker's `--max-job-memory-gb` sets it), else
    /// three quarters of this machine's physical memory.
    public static var limitBytes: Int {
        if let text = ProcessInfo.processInfo.environment[limitVariable], let gigabytes = Double(text), gigabytes > 0 {
            return Int(min(gigabytes, 1e6) * 1_073_741_824)
        }
        return Int(Double(ProcessInfo.processInfo.physicalMemory) * 0.75)
    }

    /// The environment variable holding the limit in GiB.
    public static let limitVariable = "SEQTWINS_MAX_JOB_MEMORY_GB"

    /// `12.3 GiB`.
    static func gigabytes(_ bytes: Int) -> String { String(format: "%.1f GiB", Double(bytes) / 1_073_741_824) }
}

extension ExperimentSpec {
    /// Checks every trained method's estimate against `limit` bytes, for a dataset of `itemCount` items and
    /// `interactions` interactions.
    /// - Throws: ``ExperimentSpecError`` at `methods[i]` saying the estimate, the limit and what to lower.
    public func checkResources(itemCount: Int, interactions: Int, limit: Int = ResourceEstimate.limitBytes) throws {
        for (index, method) in methods.enumerated() where method.hasEncoder {
            // Every sweep point of the method (a grid may vary the batch size on any of its axes).
            for points in sweep?.points(for: method) ?? [[]] {
                let sized = sweep?.applying(points, to: method) ?? method
                guard let batch = sized.batchSize else { continue }  // `none` trains nothing
                let estimate = ResourceEstimate(method: sized, encoder: encoder, maxLength: preprocessing.maxLength,
                                                itemCount: itemCount, interactions: interactions)
                guard estimate.totalBytes <= limit else {
                    throw ExperimentSpecError(
                        path: "methods[\(index)]",
                        message: "\(method.label) needs about \(ResourceEstimate.gigabytes(estimate.totalBytes)) "
                            + "(\(estimate.parameters) parameters with encoder d = \(encoder.d), \(encoder.blocks) "
                            + "blocks, ff = \(encoder.ff), batch \(batch), \(itemCount) items), more than the "
                            + "\(ResourceEstimate.gigabytes(limit)) a job may use; lower encoder.d, encoder.ff, "
                            + "encoder.blocks, batch_size or the projector, or raise the worker's --max-job-memory-gb")
                }
            }
        }
    }
}
