import DatasetStore
import Foundation
import Sequences
import JobQueue
import Postgres

/// `plan`: validates an experiment's spec against its dataset and expands it, in one fenced transaction, into keyed
/// `pretrain`, `embed` and `evaluate` jobs and one run per series and seed. Re-running it creates nothing new: every
/// job is keyed within the experiment. A bad spec fails the job at once with the error naming the field.
///
/// Payload: `{"experiment_id": 3}` (written by `seqtwins.enqueue_experiment`).
public struct PlanHandler: JobHandler {
    /// The prepared datasets this handler shares with the process's other handlers (planning loads the dataset
    /// that the experiment's pretrain jobs then find here).
    let cache: DatasetCache

    /// Creates the handler, reading prepared datasets through `cache`.
    public init(cache: DatasetCache = .shared) {
        self.cache = cache
    }

    /// The kind this handler runs.
    public var kind: String { JobKind.plan.rawValue }
    /// One line for `seqtwins.job_kinds`.
    public var summary: String { "Validates an experiment spec and expands it into pretrain, embed and evaluate jobs." }

    /// Job priorities: later stages first, so started chains finish before new ones start.
    static let priorities: [JobKind: Int] = [.pretrain: 0, .embed: 1, .evaluate: 2]

    /// Bad specs and data, corrupt checkpoints and untrainable encoders fail at once; other errors are retried.
    public func errorClass(of error: any Error) -> JobErrorClass? { ExperimentJob.errorClass(of: error) }

    /// Runs one attempt.
    public func run(_ context: JobContext) throws {
        let experiment = try ExperimentJob.experimentID(of: context.job)
        let stored = try context.withLeaseCheckedRead { db in try ResultsStore(db).spec(experiment: experiment) }
        // Loading the dataset may take minutes: no transaction and no row lock is held meanwhile.
        let (spec, plan, summary) = try context.withLeaseCheckedRead { db in
            try Self.checkedPlan(stored, experiment: experiment, loader: DatabaseDatasetSource(db), cache: cache,
                                 db: db)
        }
        context.reportProgress(0.5, "planning \(plan.jobs.count) jobs")
        let canonical = String(decoding: try spec.canonicalJSON(), as: UTF8.self)
        try context.withFencedTransaction { db in
            let store = ResultsStore(db)
            try store.setResolvedSpec(experiment: experiment, json: canonical)
            try store.setDatasetSummary(experiment: experiment, summary: summary)
            for job in plan.jobs {
                let payload = try job.payload.jsonb()
                let row = try db.queryOne("""
                    SELECT seqtwins.enqueue_keyed(\(experiment), \(job.key), \(job.kind.rawValue), \(payload),
                                                  \(TextArray(job.dependencies)), \(Int32(Self.priorities[job.kind] ?? 0))) AS id
                    """)
                let id: Int64 = try row!.decode("id")
                if case .pretrain(let pretrain) = job.payload {
                    try store.ensureRun(experiment: experiment, series: pretrain.series, method: pretrain.method.name.rawValue,
                                        seed: pretrain.seed,
                                        sweepParameter: pretrain.points.isEmpty
                                            ? nil : pretrain.points.map(\.parameter).joined(separator: ","),
                                        sweepValue: pretrain.sweep?.list == nil ? pretrain.sweep?.value : nil, params: payload, pretrainJob: id,
                                        points: pretrain.points)
                }
            }
        }
    }

    /// Decodes the stored spec, checks the dataset's files and tasks, and plans it.
    /// - Throws: `PermanentJobFailure` with the field-naming message for any problem with the spec or dataset.
    static func checkedPlan(_ stored: (name: String, json: String), experiment: Int64,
                            loader: any DatasetSourceLoader, cache: DatasetCache, db: PostgresConnection)
        throws -> (ExperimentSpec, ExperimentPlan, DatasetSummary) {
        do {
            let spec = try ExperimentSpec(json: stored.json)
            for (field, value) in [("path", spec.dataset.path), ("item_attributes", spec.dataset.itemAttributes)]
            where value != nil {
                throw ExperimentSpecError(
                    path: "dataset.\(field)",
                    message: "workers read datasets from the database, never files; import the files with "
                        + "`seqtwins dataset import` (or enqueue with the CLI, which imports them) and name the dataset")
            }
            if let name = spec.dataset.name, let kind = spec.dataset.kind {
                let found = try DatasetCatalog(db).require(name)
                guard found.kind == kind else {
                    throw ExperimentSpecError(
                        path: "dataset.kind",
                        message: "dataset \"\(name)\" was imported as \(found.kind), not \(kind)")
                }
            }
            let submission = try ExperimentSubmission(spec: spec, cache: cache, loader: loader)
            return (spec, submission.plan, submission.datasetSummary)
        } catch let error as PostgresError {
            throw error
        } catch {
            // A spec or dataset problem: no retry can fix it.
            throw PermanentJobFailure("experiment \(experiment) (\(stored.name)): \(error)")
        }
    }
}

extension JobPayload {
    /// The payload as the `jsonb` a job row carries (the payload struct's own fields, sorted keys).
    func jsonb() throws -> PostgresJSON {
        switch self {
        case .pretrain(let value): try PostgresJSON(encoding: value)
        case .embed(let value): try PostgresJSON(encoding: value)
        case .evaluate(let value): try PostgresJSON(encoding: value)
        }
    }
}
