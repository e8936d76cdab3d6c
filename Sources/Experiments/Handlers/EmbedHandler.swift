import Foundation
import JobQueue
import Learning
import Postgres
import Sequences

/// `embed`: writes every user's embedding under a run's final encoder (eval mode, no augmentation), or, for
/// `bag_of_items`, the user's bag-of-categories-and-items features, or, for `hybrid`, the embedding under the final
/// encoder of the method named by `of` (same seed) followed by the bag features, `[u ‖ bag(u)]`. The rows are
/// replaced, never doubled.
///
/// Payload: ``EmbedPayload``.
public struct EmbedHandler: JobHandler {
    /// The prepared datasets this handler shares with the process's other handlers.
    let cache: DatasetCache

    /// Creates the handler, reading prepared datasets through `cache`.
    public init(cache: DatasetCache = .shared) {
        self.cache = cache
    }

    /// The kind this handler runs.
    public var kind: String { JobKind.embed.rawValue }
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
            let checkpoint: StoredCheckpoint?
            switch payload.method {
            case .bagOfItems: checkpoint = nil
            case .hybrid:
                guard let series = payload.encoderSeries else {
                    throw PermanentJobFailure("hybrid run \(payload.series) seed \(payload.seed): the payload names no "
                                              + "encoder series")
                }
                let encoderRun = try store.run(experiment: experiment, series: series, seed: payload.seed)
                checkpoint = try ExperimentJob.finalCheckpoint(store, run: encoderRun, series: series,
                                                               seed: payload.seed)
            default:
                checkpoint = try ExperimentJob.finalCheckpoint(store, run: run, series: payload.series,
                                                               seed: payload.seed)
            }
            return (spec, run, checkpoint)
        }
        let data = try ExperimentJob.prepared(try DatasetRequest(spec: spec, seed: payload.seed), context: context,
                                              cache: cache)
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
        let buckets = payload.hashBuckets ?? ExperimentJob.method(ofSeries: payload.series, in: spec)?.hashBuckets ?? 256
        if payload.method == .bagOfItems {
            return BagOfItems(buckets: buckets).features(data, users: users)
        }
        guard let checkpoint else {
            let series = payload.encoderSeries ?? payload.series
            let key = payload.encoderPretrainKey ?? payload.pretrainKey
            throw PermanentJobFailure("run \(series) seed \(payload.seed) has no final checkpoint; its pretrain job "
                                      + "(\(key)) has not written one")
        }
        let config = try checkpoint.config.decode(EncoderConfig.self)
        let embeddings = try UserEmbedder(config: config, checkpoint: checkpoint.bytes).embed(data: data, users: users)
        guard payload.method == .hybrid else { return embeddings }
        let bag = BagOfItems(buckets: buckets).features(data, users: users)
        return zip(embeddings, bag).map { $0 + $1 }
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
