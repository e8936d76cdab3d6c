import Experiments
import Foundation
import JobQueue
import NeuralNet
import Postgres
import Randomness
import SeqTwinsTestSupport
import Sequences
import Tensors
import Testing

/// Stored checkpoints are checked against their `sha256` column and decoded before a job uses them; a damaged one
/// fails its job at once with a message naming the run, instead of crashing the worker or spending every attempt.
@Suite("Checkpoint integrity", .enabled(if: TestDatabase.isAvailable))
final class CheckpointIntegrityTests {
    let database: TestDatabase
    let db: PostgresConnection
    let store: ResultsStore

    init() throws {
        database = try TestDatabase(suite: "checkpoint_integrity")
        db = try database.connect()
        store = ResultsStore(db)
    }

    deinit { database.drop() }

    private func validBytes() -> [UInt8] {
        var g = Xoshiro256StarStar(seed: 1)
        return Checkpoint(parameters: Linear(2, 3, name: "fc", generator: &g).parameters).encoded()
    }

    /// An experiment with one run of `series` and an `embed` job for it, claimable by a worker.
    private func embedJob(series: String) throws -> (experiment: Int64, run: Int64, job: Int64) {
        let experiment = try store.enqueueExperiment(specJSON: """
            {"name": "integrity", "dataset": {"kind": "synthetic", "synthetic": {"users": 50}}}
            """)
        _ = try JobQueue(db).cancel(experiment: experiment)  // its plan job: only the embed job below runs
        let run = try store.ensureRun(experiment: experiment, series: series, method: series, seed: 0,
                                      sweepParameter: nil, sweepValue: nil, params: PostgresJSON(text: "{}"),
                                      pretrainJob: nil)
        let payload = """
            {"experiment": "integrity", "series": "\(series)", "method": "\(series)", "seed": 0,
             "pretrain_key": "pretrain:\(series):0"}
            """
        let job = try JobQueue(db).enqueue(NewJob(kind: "embed", payload: payload, maxAttempts: 3,
                                                  experimentID: experiment))
        return (experiment, run, job)
    }

    private func drain() throws {
        var options = WorkerOptions(databaseURL: database.url, name: "integrity")
        options.exitWhenIdle = true
        options.retryPolicy = try RetryPolicy(baseDelay: 0.01)
        try Worker(registry: ExperimentHandlers.registry, options: options).run()
    }

    private func outcome(_ job: Int64) throws -> (state: String, attempts: Int, error: String) {
        let row = try #require(try db.queryOne("""
            SELECT state::text AS state, attempts, coalesce(last_error, '') AS error
            FROM seqtwins.jobs WHERE id = \(job)
            """))
        return (try row.decode("state"), try row.decode("attempts"), try row.decode("error"))
    }

    @Test func bytesThatDoNotMatchTheStoredSHA256AreRefused() throws {
        let (_, run, _) = try embedJob(series: "barlow_twins")
        try store.writeCheckpoint(run: run, kind: .final, epoch: 1, step: 1, bytes: validBytes())
        #expect(try store.checkpoint(run: run, kind: .final)?.bytes == validBytes())
        // Damage the stored digest (the column is generated; make it a plain one first).
        try db.execute("ALTER TABLE seqtwins.checkpoints ALTER COLUMN sha256 DROP EXPRESSION")
        try db.execute("UPDATE seqtwins.checkpoints SET sha256 = repeat('ab', 32) WHERE run_id = \(run)")
        let error = try #require(throws: ResultsStoreError.self) { try store.checkpoint(run: run, kind: .final) }
        #expect("\(error)".contains("the final checkpoint of run \(run) is corrupt"))
        #expect("\(error)".contains("stored sha256 is abababababababab"))
    }

    @Test func anEmbedJobWithADamagedCheckpointFailsAtOnceNamingTheRun() throws {
        let (_, run, job) = try embedJob(series: "barlow_twins")
        try store.writeCheckpoint(run: run, kind: .final, epoch: 1, step: 1, bytes: validBytes())
        try db.execute("ALTER TABLE seqtwins.checkpoints ALTER COLUMN sha256 DROP EXPRESSION")
        try db.execute("UPDATE seqtwins.checkpoints SET sha256 = repeat('0', 64) WHERE run_id = \(run)")
        try drain()
        let result = try outcome(job)
        #expect(result.state == "failed")
        #expect(result.attempts == 1)
        #expect(result.error.hasPrefix("[permanent] run barlow_twins seed 0"), "\(result.error)")
        #expect(result.error.contains("is corrupt"), "\(result.error)")
    }

    @Test func pipelineErrorsThatNoRetryCanFixArePermanent() {
        for handler in ExperimentHandlers.all() {
            #expect(handler.errorClass(of: DatasetError(file: "f", message: "bad")) == .permanent)
            #expect(handler.errorClass(of: ExperimentSpecError(path: "lr", message: "bad")) == .permanent)
            #expect(handler.errorClass(of: CheckpointError.badMagic) == .permanent)
            #expect(handler.errorClass(of: CocoaError(.fileReadUnknown)) == nil)
        }
    }

    @Test func anEmbedJobWithUndecodableCheckpointBytesFailsAtOnce() throws {
        let (_, run, job) = try embedJob(series: "dual_encoder")
        var bytes = validBytes()
        bytes[30] |= 0x80  // inside the header: its checksum no longer matches
        try store.writeCheckpoint(run: run, kind: .final, epoch: 1, step: 1, bytes: bytes)
        try drain()
        let result = try outcome(job)
        #expect(result.state == "failed")
        #expect(result.attempts == 1)
        #expect(result.error.contains("the final checkpoint is unusable: checkpoint: header checksum mismatch"),
                "\(result.error)")
    }
}
