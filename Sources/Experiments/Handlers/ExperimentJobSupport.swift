import Foundation
import JobQueue
import Learning
import NeuralNet
import Postgres
import Sequences

/// The experiment pipeline's job handlers: `plan`, `pretrain`, `embed` and `evaluate`.
public enum ExperimentHandlers {
    /// Every handler of the pipeline, sharing `cache` for prepared datasets.
    public static func all(cache: DatasetCache = .shared) -> [any JobHandler] {
        [PlanHandler(cache: cache), PretrainHandler(cache: cache), EmbedHandler(cache: cache), EvaluateHandler(cache: cache)]
    }

    /// A registry with the queue's standard handlers (`noop`, `sleep`) and the pipeline's, sharing `cache`.
    public static func registry(cache: DatasetCache = .shared) -> JobRegistry {
        var registry = JobRegistry.standard
        for handler in all(cache: cache) { registry.register(handler) }
        return registry
    }

    /// The registry of a worker process: every handler shares the process's ``DatasetCache/shared``.
    public static var registry: JobRegistry { registry() }
}

/// Shared steps of the pipeline's handlers.
enum ExperimentJob {
    /// The pipeline's errors that no retry can fix: a bad spec or dataset, a request the data cannot serve, a
    /// corrupt checkpoint, an encoder that cannot be built or trained (training is deterministic), a missing run.
    static func errorClass(of error: any Error) -> JobErrorClass? {
        switch error {
        case is ExperimentSpecError, is DatasetError, is DatasetRequestError, is CheckpointError, is EncoderError,
            is ResultsStoreError:
            return .permanent
        default:
            return nil
        }
    }

    /// Decodes a job's payload, failing the job for good (no retry can fix a malformed payload).
    static func decode<T: Decodable>(_ type: T.Type, from job: ClaimedJob) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: job.payload)
        } catch {
            throw PermanentJobFailure("\(job.kind) job \(job.id): payload is not a \(T.self): \(error)")
        }
    }

    /// The job's experiment id.
    static func experimentID(of job: ClaimedJob) throws -> Int64 {
        if let id = job.experimentID { return id }
        throw PermanentJobFailure("\(job.kind) job \(job.id) has no experiment_id")
    }

    /// The experiment's spec with defaults filled in (as the planner stored it); a spec that no longer decodes
    /// fails the job for good.
    static func resolvedSpec(_ db: PostgresConnection, experiment: Int64) throws -> ExperimentSpec {
        do {
            return try ResultsStore(db).resolvedSpec(experiment: experiment)
        } catch let error as PostgresError {
            throw error
        } catch {
            throw PermanentJobFailure("experiment \(experiment): \(error)")
        }
    }

    /// A run's final checkpoint, checked before any job spends time on it: present, its bytes matching the stored
    /// `sha256`, and decodable. Each failure fails the job for good (a retry would read the same bytes), with a
    /// message naming the run.
    static func finalCheckpoint(_ store: ResultsStore, run: Int64, series: String, seed: Int) throws
        -> StoredCheckpoint {
        let stored: StoredCheckpoint?
        do {
            stored = try store.checkpoint(run: run, kind: .final)
        } catch let error as ResultsStoreError {
            throw PermanentJobFailure("run \(series) seed \(seed): \(error)")
        }
        guard let stored else {
            throw PermanentJobFailure("run \(series) seed \(seed) has no final checkpoint; its pretrain job has not "
                                      + "written one")
        }
        do {
            _ = try Checkpoint(decoding: stored.bytes)
        } catch {
            throw PermanentJobFailure("run \(series) seed \(seed): the final checkpoint is unusable: \(error)")
        }
        return stored
    }

    /// The prepared dataset of `request`, read from the database through the job's connection (after a lease
    /// check) and kept in `cache`.
    static func prepared(_ request: DatasetRequest, context: JobContext, cache: DatasetCache) throws
        -> PreparedDataset {
        try context.withLeaseCheckedRead { db in try cache.prepared(request, from: DatabaseDatasetSource(db)) }
    }

    /// The spec entry of the method that produced `series` (its label, or the label plus a `[sweep]` suffix). Only for
    /// `embed` payloads planned before they carried `hash_buckets`; newer payloads carry what the handler needs.
    static func method(ofSeries series: String, in spec: ExperimentSpec) -> MethodSpec? {
        let label = series.split(separator: "[", maxSplits: 1).first.map(String.init) ?? series
        return spec.methods.first { $0.label == label }
    }
}
