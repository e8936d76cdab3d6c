import Experiments
import Foundation
import JobQueue
import Postgres
import SeqTwinsTestSupport
import Testing

/// Job kinds are declared once: each ``JobKind`` is the kind of exactly one experiment handler, and the database
/// learns the kinds and their descriptions from the handlers a worker registers.
@Suite("Job kinds", .enabled(if: TestDatabase.isAvailable))
final class JobKindsTests {
    let database: TestDatabase
    let db: PostgresConnection

    init() throws {
        database = try TestDatabase(suite: "job_kinds")
        db = try database.connect()
    }

    deinit { database.drop() }

    @Test func everyKindHasExactlyOneHandler() {
        let registry = ExperimentHandlers.registry
        let experimentKinds = registry.kinds.filter { !["noop", "sleep"].contains($0) }
        #expect(experimentKinds == JobKind.allCases.map(\.rawValue).sorted(), "the queue's own test kinds aside")
        #expect(JobKind.allCases.sorted() == [.plan, .pretrain, .embed, .evaluate])
    }

    @Test func aWorkerRegistersItsKindsWithTheHandlersSummaries() throws {
        // A stale description, as an older release would have left it.
        try db.execute("UPDATE seqtwins.job_kinds SET description = 'stale', max_running = 3 WHERE name = 'embed'")
        let registry = ExperimentHandlers.registry
        try JobQueue(db).registerKinds(registry.summaries)
        let rows = try db.query("""
            SELECT name, description, max_running FROM seqtwins.job_kinds
            WHERE name = ANY(\(TextArray(registry.kinds))) ORDER BY name
            """)
        #expect(try rows.map { try $0.decode("name", as: String.self) } == registry.kinds)
        for row in rows {
            let name = try row.decode("name", as: String.self)
            #expect(try row.decode("description", as: String.self) == registry[name]?.summary, "\(name)")
        }
        let capped = try db.queryOne("SELECT max_running FROM seqtwins.job_kinds WHERE name = 'embed'")
        #expect(try capped?.decode("max_running", as: Int.self) == 3, "a cap set by an operator is kept")
    }
}
