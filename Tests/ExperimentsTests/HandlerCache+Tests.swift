import Experiments
import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// Handlers read prepared datasets through the cache they are given, not a global: a worker built with its own
/// cache loads the experiment's dataset once into it, for the plan and every job after it.
@Suite("Handler dataset cache", .enabled(if: TestDatabase.isAvailable))
final class HandlerCacheTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "handler_cache")
        db = try database.connect()
    }

    deinit { database.drop() }

    @Test func aWorkerWithItsOwnCacheLoadsTheDatasetOnceForTheWholeExperiment() throws {
        let spec = """
            {"name": "cached", "dataset": {"kind": "synthetic", "synthetic": {"users": 300, "items": 80,
              "categories": 6, "mean_sequence_length": 12, "seed": 4}},
             "preprocessing": {"max_length": 12, "label_categories": 4},
             "methods": [{"name": "none"}, {"name": "bag_of_items", "hash_buckets": 16}],
             "tasks": ["future_top_category"], "protocols": ["linear_probe"], "label_fractions": [0.5, 1],
             "seeds": [0]}
            """
        let experiment = try ResultsStore(db).enqueueExperiment(specJSON: spec)
        let cache = DatasetCache()
        var options = WorkerOptions(databaseURL: database.url, name: "cached")
        options.exitWhenIdle = true
        try Worker(registry: ExperimentHandlers.registry(cache: cache), options: options).run()
        let states = try db.query("""
            SELECT state::text AS state, count(*)::int AS n FROM seqtwins.jobs WHERE experiment_id = \(experiment)
            GROUP BY 1
            """).map { (try $0.decode("state", as: String.self), try $0.decode("n", as: Int.self)) }
        #expect(states.count == 1 && states.first?.0 == "succeeded", "\(states)")
        let statistics = cache.statistics
        #expect(statistics.sourceLoads == 1, "one load for plan, pretrain, embed and evaluate: \(statistics)")
        #expect(statistics.hits > 0)
    }
}
