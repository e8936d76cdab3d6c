import Foundation
import JobQueue
import Learning
import Postgres
import Sequences

/// `embed`: writes every user's embedding under a run's final encoder (eval mode, no augmentation), or, for
/// `bag_of_items`, the user's bag-of-categories-and-items features. The rows are replaced, never doubled.
///
/// Payload: ``EmbedPayload``.
public struct EmbedHandler: JobHandler {
    /// Creates the handler.
    public init() {}

    /// The kind this handler runs.
    public var kind: String { "embed" }
    /// One line for `seqtwins.job_kinds`.
    public var summary: String { "Writes every user's embedding with a pretrained encoder." }

    /// Bad specs and data, corrupt checkpoints and untrainable encoders fail at once; other errors are retried.
    public func errorClass(of error: any Error) -> JobErrorClass? { ExperimentJob.errorClass(of: error) }

    /// Runs one attempt.
    public func run(_ context: JobContext) throws {
        let payload = try ExperimentJob.decode(EmbedPayload.self, from: context.job)
        let experiment = try ExperimentJob.experimentID(of: context.job)
        let (spec, run, checkpoint) = try context.withLeaseCheckedRead { db in
            let spec = try ExperimentJob.resolvedSpec(db, experiment: experiment)
            let store = ResultsStore(db)
            let run = try store.run(experiment: experiment, series: payload.series, seed: payload.seed)
            let checkpoint = payload.method == "bag_of_items" ? nil
                : try ExperimentJob.finalCheckpoint(store, run: run, series: payload.series, seed: payload.seed)
            return (spec, run, checkpoint)
        }
        let data = try ExperimentJob.prepared(try DatasetRequest(spec: spec, seed: payload.seed), context: context)
        let users = (0..<data.userCount).map { Int32($0) }
        context.reportProgress(0.1, "embedding \(users.count) users")
        let vectors = try Self.embeddings(payload: payload, spec: spec, data: data, users: users,
                                          checkpoint: checkpoint)
        try context.checkCancelled()
        let rows = users.map { user in
            (userID: data.userIDs[Int(user)], split: data.splits[Int(user)].name, vector: vectors[Int(user)])
        }
        context.reportProgress(0.8, "writing \(rows.count) embeddings")
        try context.withFencedTransaction { db in try ResultsStore(db).replaceEmbeddings(run: run, rows: rows) }
    }

    /// The users' vectors: an encoder's embeddings, or bag-of-items features.
    static func embeddings(payload: EmbedPayload, spec: ExperimentSpec, data: PreparedDataset, users: [Int32],
                           checkpoint: StoredCheckpoint?) throws -> [[Float]] {
        if payload.method == "bag_of_items" {
            let method = ExperimentJob.method(ofSeries: payload.series, in: spec)
            return BagOfItems(buckets: method?.hashBuckets ?? 256).features(data, users: users)
        }
        guard let checkpoint else {
            throw PermanentJobFailure("run \(payload.series) seed \(payload.seed) has no final checkpoint; "
                                      + "its pretrain job (\(payload.pretrainKey)) has not written one")
        }
        let config = try checkpoint.config.decode(EncoderConfig.self)
        return try UserEmbedder(config: config, checkpoint: checkpoint.bytes).embed(data: data, users: users)
    }
}

extension UserSplit {
    /// The split's name as stored in `seqtwins.embeddings.split`.
    public var name: String {
        switch self {
        case .train: "train"
        case .validation: "validation"
        case .test: "test"
        }
    }
}
