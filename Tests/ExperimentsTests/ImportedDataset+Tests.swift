import Experiments
import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

/// MovieLens-100K imported with the CLI, an experiment run by a real worker on it, and the README's queries that
/// join results with the data (probe accuracy by gender and by history length, neighbours with their attributes).
@Suite("Real data: an experiment on imported MovieLens-100K",
       .enabled(if: TestDatabase.isAvailable && DataPaths.realDataTestsEnabled), .serialized)
final class ImportedDatasetTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "ImportedDataset")
        db = try database.connect()
    }

    deinit { database.drop() }

    @Test func resultsJoinTheDatasetsUsers() throws {
        let root = try DataPaths.requireSharedData()
        let (imported, importOutput) = try runSeqTwins(
            ["dataset", "import", "ml-100k", "--kind", "movielens100k", "--path", root + "/ml-100k"],
            databaseURL: database.url)
        #expect(imported == 0, "\(importOutput)")
        #expect(importOutput.contains("943 users, 1682 items, 100000 interactions, 19 categories"), "\(importOutput)")

        let experiment = try ResultsStore(db).enqueueExperiment(specJSON: """
            {"name": "ml100k-joins", "dataset": {"name": "ml-100k", "kind": "movielens100k"},
             "preprocessing": {"max_length": 20},
             "encoder": {"kind": "transformer", "d": 16, "blocks": 1, "heads": 2, "ff": 32},
             "methods": [{"name": "none"}, {"name": "bag_of_items", "hash_buckets": 32}],
             "tasks": ["future_top_category", "gender"], "protocols": ["linear_probe"], "label_fractions": [1],
             "seeds": 1}
            """)
        let (status, log) = try runSeqTwins(PipelineTests.worker + ["--exit-when-idle"], databaseURL: database.url,
                                            timeout: 300)
        #expect(status == 0, "\(log.suffix(2000))")
        let failed: Int = try db.queryOne("""
            SELECT count(*)::int FROM seqtwins.jobs WHERE experiment_id = \(experiment) AND state <> 'succeeded'
            """)!.decode(0)
        #expect(failed == 0, "\(log.suffix(2000))")

        // README: a probe's accuracy by user gender; the per-gender figures recombine into the stored accuracy.
        let byGender = try db.query("""
            SELECT r.series, u.gender, count(*) AS users, avg(p.correct::int) AS accuracy
            FROM seqtwins.eval_predictions p
            JOIN seqtwins.runs r ON r.id = p.run_id
            JOIN seqtwins.experiments x ON x.id = r.experiment_id
            JOIN seqtwins.dataset_users u ON u.dataset_id = x.dataset_id AND u.user_id = p.user_id
            WHERE x.id = \(experiment) AND p.task = 'future_top_category' AND p.protocol = 'linear_probe'
            GROUP BY r.series, u.gender ORDER BY r.series, u.gender
            """)
        #expect(byGender.count == 4, "two series × two genders")
        let stored = try db.query("""
            SELECT r.series, e.accuracy, e.test_n FROM seqtwins.eval_results e JOIN seqtwins.runs r ON r.id = e.run_id
            WHERE r.experiment_id = \(experiment) AND e.task = 'future_top_category'
            """)
        for row in stored {
            let series: String = try row.decode("series")
            let groups = try byGender.filter { try $0.decode("series", as: String.self) == series }
            let users = try groups.reduce(0) { $0 + (try $1.decode("users", as: Int.self)) }
            let correct = try groups.reduce(0.0) {
                $0 + Double(try $1.decode("users", as: Int.self)) * (try $1.decode("accuracy", as: Double.self))
            }
            #expect(users == (try row.decode("test_n", as: Int.self)))
            #expect(abs(correct / Double(users) - (try row.decode("accuracy", as: Double.self))) < 1e-9)
        }

        // README: accuracy by history-length bucket.
        let byLength = try db.query("""
            SELECT width_bucket(u.interaction_count, ARRAY[50, 100, 200]) AS bucket, count(*) AS users,
                   avg(p.correct::int) AS accuracy
            FROM seqtwins.eval_predictions p
            JOIN seqtwins.runs r ON r.id = p.run_id
            JOIN seqtwins.experiments x ON x.id = r.experiment_id
            JOIN seqtwins.dataset_users u ON u.dataset_id = x.dataset_id AND u.user_id = p.user_id
            WHERE x.id = \(experiment) AND r.series = 'bag_of_items' AND p.task = 'future_top_category'
            GROUP BY 1 ORDER BY 1
            """)
        #expect(byLength.count == 4)
        #expect(try byLength.reduce(0) { $0 + (try $1.decode("users", as: Int.self)) } == 189)

        // README: a user's nearest neighbours with their attributes and last items.
        let run: Int64 = try db.queryOne("""
            SELECT id FROM seqtwins.runs WHERE experiment_id = \(experiment) AND series = 'bag_of_items'
            """)!.decode("id")
        let neighbours = try db.query("""
            SELECT n.user_id, n.similarity, u.gender, u.age_group, u.occupation, u.history_length, u.last_item_title
            FROM seqtwins.nearest_users(\(run), '405', 5) n
            JOIN seqtwins.dataset_user_summary u
              ON u.dataset_id = (SELECT dataset_id FROM seqtwins.experiments WHERE id = \(experiment))
             AND u.user_id = n.user_id
            ORDER BY n.similarity DESC
            """)
        #expect(neighbours.count == 5)
        #expect(try neighbours.allSatisfy { try $0.decode("last_item_title", as: String?.self) != nil })
        #expect(try neighbours.allSatisfy { ["F", "M"].contains(try $0.decode("gender", as: String.self)) })
    }
}
