import Dashboard
import Foundation
import Postgres
import SeqTwinsTestSupport
import Testing

/// A JSON value, decoded exactly (JSONDecoder reads numbers to the nearest double; JSONSerialization here does not).
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let flag = try? container.decode(Bool.self) { self = .bool(flag) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let array = try? container.decode([JSONValue].self) { self = .array(array) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    /// Parses a response body.
    static func parse(_ body: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8)) }

    /// The rows of an array of objects (empty for anything else).
    var rows: [[String: JSONValue]] {
        guard case .array(let items) = self else { return [] }
        return items.compactMap { if case .object(let row) = $0 { row } else { nil } }
    }
}

/// Reads a page's JSON: an array of objects (one table).
func jsonRows(_ response: DashboardResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: JSONValue]] {
    #expect(response.status == 200, "\(response.body.prefix(500))", sourceLocation: sourceLocation)
    #expect(response.contentType.hasPrefix("application/json"), sourceLocation: sourceLocation)
    let parsed = try JSONValue.parse(response.body)
    guard case .array = parsed else {
        Issue.record("not an array: \(response.body.prefix(300))", sourceLocation: sourceLocation)
        return []
    }
    return parsed.rows
}

/// Reads a page's JSON without `table=`: an object of tables.
func jsonTables(_ response: DashboardResponse, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: [[String: JSONValue]]] {
    #expect(response.status == 200, "\(response.body.prefix(500))", sourceLocation: sourceLocation)
    guard case .object(let tables) = try JSONValue.parse(response.body) else {
        Issue.record("not an object: \(response.body.prefix(300))", sourceLocation: sourceLocation)
        return [:]
    }
    return tables.mapValues(\.rows)
}

extension Dictionary where Key == String, Value == JSONValue {
    func double(_ key: String) -> Double? { if case .number(let x) = self[key] { x } else { nil } }
    func int(_ key: String) -> Int? { double(key).flatMap { Int(exactly: $0) } }
    func string(_ key: String) -> String? { if case .string(let text) = self[key] { text } else { nil } }
    func bool(_ key: String) -> Bool? { if case .bool(let flag) = self[key] { flag } else { nil } }
    func isNull(_ key: String) -> Bool { self[key] == .null }
}

/// How many times `needle` occurs in `text`.
func occurrences(of needle: String, in text: String) -> Int {
    text.components(separatedBy: needle).count - 1
}

extension DashboardTests {
    /// Each page's numbers against the SQL views and tables they come from, through the site's handler.
    @Suite("Pages") struct Pages {
        let fixture: DashboardFixture
        let site: DashboardSite
        let db: PostgresConnection

        init() throws {
            fixture = try DashboardFixture.get()
            site = fixture.site()
            db = try fixture.database.connect()
        }

        func get(_ path: String, _ query: String? = nil) async -> DashboardResponse {
            await site.respond(to: DashboardRequest(path: path, query: query))
        }

        @Test func theExperimentsListMatchesTheProgressView() async throws {
            let rows = try jsonRows(await get("/", "format=json&table=experiments"))
            let view = try db.query("SELECT * FROM seqtwins.experiment_progress ORDER BY experiment_id DESC")
            #expect(rows.count == view.count && rows.count == 2)
            for (row, expected) in zip(rows, view) {
                #expect(row.int("id") == (try expected.decode("experiment_id", as: Int.self)))
                #expect(row.string("name") == (try expected.decode("name", as: String.self)))
                for column in ["jobs", "blocked", "queued", "running", "succeeded", "failed", "cancelled"] {
                    #expect(row.int(column) == (try expected.decode(column, as: Int.self)), "\(column)")
                }
                #expect(row.double("fraction_done") == (try expected.decode("fraction_done", as: Double.self)))
            }
            let finished = try #require(rows.first { $0.int("id") == Int(fixture.finished) })
            #expect(finished.int("succeeded") == 17 && finished.int("jobs") == 17)
            #expect(finished.double("fraction_done") == 1)
            #expect(finished.bool("finished") == true)
            #expect(finished.string("dataset") == "synthetic")
            let started = try #require(finished.string("started_at"))
            let ended = try #require(finished.string("finished_at"))
            #expect(started <= ended)
            let wall: Double = try db.queryOne("""
                SELECT extract(epoch FROM max(finished_at) - min(started_at))::float8 AS wall
                FROM seqtwins.jobs WHERE experiment_id = \(fixture.finished)
                """)!.decode("wall")
            #expect(abs((finished.double("wall_seconds") ?? -1) - wall) < 1e-6)
            let live = try #require(rows.first { $0.int("id") == Int(fixture.live) })
            #expect(live.string("name") == DashboardFixture.hostileName)
            #expect(live.isNull("finished_at") && live.bool("finished") == false)
            #expect(live.string("dataset") == fixture.datasetName)
            #expect(live.int("failed") == 1 && live.int("running") == 1 && live.int("blocked") == 1)
        }

        @Test func theExperimentsPageShowsStateBarsAndSortsOnTheServer() async throws {
            let page = await get("/")
            #expect(page.status == 200)
            #expect(page.body.contains("aria-label=\"17 succeeded\""))
            #expect(page.body.contains("<a class=\"name\" href=\"/experiments/\(fixture.finished)\">dash-tiny</a>"))
            #expect(page.body.contains("<th scope=\"col\" role=\"columnheader\" class=\"num\" aria-sort=\"descending\">"
                                       + "<a href=\"/?sort=id\">#</a>"))
            // Sorted by name in the database's collation, ascending then descending.
            let byName = try db.query("SELECT id FROM seqtwins.experiments ORDER BY name")
                .map { try $0.decode("id", as: Int.self) }
            let ascending = try jsonRows(await get("/", "sort=name&format=json&table=experiments"))
                .compactMap { $0.int("id") }
            #expect(ascending == byName && byName.count == 2)
            let descending = try jsonRows(await get("/", "sort=-name&format=json&table=experiments"))
                .compactMap { $0.int("id") }
            #expect(descending == byName.reversed())
            let wall = try jsonRows(await get("/", "sort=-wall&format=json&table=experiments")).compactMap { $0.int("id") }
            #expect(wall.count == 2)
            let bad = await get("/", "sort=bogus")
            #expect(bad.status == 400 && bad.body.contains("sort bogus"))
        }

        @Test func theExperimentPageMatchesTheResultViews() async throws {
            let id = fixture.finished
            let all = try jsonTables(await get("/experiments/\(id)", "format=json"))
            #expect(Set(all.keys) == ["progress", "label_efficiency", "gains", "verdicts", "protocol_gains", "budgets",
                                      "runs", "failed_jobs"])
            let budgets = try #require(all["budgets"])
            let budgetView = try db.query("""
                SELECT series, count(*)::int AS runs, avg(steps ORDER BY seed) AS steps, avg(seconds ORDER BY seed) AS seconds
                FROM seqtwins.run_budgets WHERE experiment_id = \(id) AND steps IS NOT NULL GROUP BY series ORDER BY series
                """)
            #expect(budgetView.map { try? $0.decode("series", as: String.self) } == ["barlow_twins", "dual_encoder"])
            #expect(budgets.count == budgetView.count)
            for (row, expected) in zip(budgets, budgetView) {
                #expect(row.string("series") == (try expected.decode("series", as: String.self)))
                let runs = try expected.decode("runs", as: Int.self)
                #expect(row.int("runs") == 2 && row.int("runs") == runs)
                #expect(row.double("steps") == (try expected.decode("steps", as: Double.self)))
                #expect(row.double("seconds") == (try expected.decode("seconds", as: Double.self)))
            }
            #expect(all["protocol_gains"]?.isEmpty == true, "the finished experiment ran the linear probe only")
            let verdicts = try #require(all["verdicts"])
            let verdictView = try db.query("""
                SELECT method, baseline, seeds, mean_difference, verdict FROM seqtwins.verdicts
                WHERE experiment_id = \(id)
                """)
            #expect(verdicts.count == verdictView.count && !verdictView.isEmpty)
            for (row, expected) in zip(verdicts, verdictView) {
                #expect(row.string("method") == (try expected.decode("method", as: String.self)))
                #expect(row.string("baseline") == (try expected.decode("baseline", as: String.self)))
                #expect(row.double("mean_difference") == (try expected.decode("mean_difference", as: Double.self)))
                #expect(row.string("verdict") == (try expected.decode("verdict", as: String.self)))
            }

            let curve = try #require(all["label_efficiency"])
            let view = try db.query("""
                SELECT task, protocol, method, label_fraction, labelled_n, n, mean, sd, majority_accuracy
                FROM seqtwins.label_efficiency WHERE experiment_id = \(id) ORDER BY task, protocol, method, label_fraction
                """)
            #expect(curve.count == view.count && view.count == 2 * 2)
            for (row, expected) in zip(curve, view) {
                #expect(row.string("method") == (try expected.decode("method", as: String.self)))
                #expect(row.double("label_fraction") == (try expected.decode("label_fraction", as: Double.self)))
                #expect(row.double("labelled_n") == (try expected.decode("labelled_n", as: Double.self)))
                #expect(row.int("n") == (try expected.decode("n", as: Int.self)))
                #expect(row.double("mean") == (try expected.decode("mean", as: Double.self)))
                #expect(row.double("sd") == (try expected.decode("sd", as: Double?.self)))
            }

            let gains = try #require(all["gains"])
            let gainView = try db.query("""
                SELECT method, baseline, label_fraction, pairs, mean_difference, lower_95, upper_95, relative_gain
                FROM seqtwins.method_gain WHERE experiment_id = \(id) ORDER BY task, protocol, method, label_fraction
                """)
            #expect(gains.count == gainView.count && gainView.count == 2)
            for (row, expected) in zip(gains, gainView) {
                #expect(row.string("method") == "barlow_twins" && row.string("baseline") == "dual_encoder")
                #expect(row.int("pairs") == 2)
                for column in ["label_fraction", "mean_difference", "lower_95", "upper_95", "relative_gain"] {
                    #expect(row.double(column) == (try expected.decode(column, as: Double.self)), "\(column)")
                }
                let lower = try expected.decode("lower_95", as: Double.self)
                let upper = try expected.decode("upper_95", as: Double.self)
                #expect(row.bool("excludes_zero") == (lower > 0 || upper < 0))
            }

            let runs = try #require(all["runs"])
            let runCount: Int = try db.queryOne("""
                SELECT count(*)::int AS n FROM seqtwins.runs WHERE experiment_id = \(id)
                """)!.decode("n")
            #expect(runs.count == runCount && runCount == 4)
            for run in runs {
                let last: Double = try db.queryOne("""
                    SELECT value FROM seqtwins.metrics WHERE run_id = \(Int64(run.int("run_id") ?? 0)) AND name = 'loss'
                    ORDER BY step DESC LIMIT 1
                    """)!.decode("value")
                #expect(run.double("last_loss") == last)
                #expect(run.int("last_epoch") == 3 && run.string("pretrain_state") == "succeeded")
            }
            #expect(all["failed_jobs"]?.isEmpty == true)

            // The HTML: the report's SVG with one panel per task and protocol and one curve per method in each,
            // a chart per metric of every trained run, and no live script (the experiment is finished).
            let html = await get("/experiments/\(id)")
            #expect(html.status == 200)
            #expect(occurrences(of: "<g class=\"panel\"", in: html.body) == 1)
            #expect(occurrences(of: "<g class=\"curve\"", in: html.body) == 2)
            let metricSeries: Int = try db.queryOne("""
                SELECT count(DISTINCT (m.run_id, m.name))::int AS n FROM seqtwins.metrics m
                JOIN seqtwins.runs r ON r.id = m.run_id WHERE r.experiment_id = \(id)
                """)!.decode("n")
            #expect(metricSeries > 4)
            #expect(occurrences(of: "stroke-width=\"1.8\" points=", in: html.body) == metricSeries)
            #expect(occurrences(of: "<section class=\"run\"", in: html.body) == 4)
            #expect(html.body.contains("Resolved spec") && html.body.contains("&quot;barlow_twins&quot;"))
            #expect(!html.body.contains("<script"))
            #expect(html.body.contains("data-refresh=\"0\""))
        }

        @Test func gainRowsWhoseIntervalExcludesZeroAreHighlighted() async throws {
            let id = fixture.live
            let page = await get("/experiments/\(id)")
            #expect(page.status == 200)
            let view = try db.query("""
                SELECT label_fraction, lower_95, upper_95 FROM seqtwins.method_gain WHERE experiment_id = \(id)
                ORDER BY label_fraction
                """)
            let excluding = try view.filter {
                try $0.decode("lower_95", as: Double.self) > 0 || $0.decode("upper_95", as: Double.self) < 0
            }
            #expect(view.count == 2 && excluding.count == 1)
            // Fine-tuning against the probe: one row (the hostile series at fraction 1), above 0 on every seed.
            let protocolView = try db.query("""
                SELECT method, pairs, mean_difference, lower_95 FROM seqtwins.protocol_gain_of(\(id), 'primary')
                """)
            let protocolRows = try jsonRows(await get("/experiments/\(id)", "format=json&table=protocol_gains"))
            #expect(protocolView.count == 1 && protocolRows.count == 1)
            #expect(protocolRows.first?.string("method") == DashboardFixture.hostileSeries)
            #expect(protocolRows.first?.int("pairs") == 3)
            let difference = try protocolView.first?.decode("mean_difference", as: Double.self)
            #expect(protocolRows.first?.double("mean_difference") == difference)
            let lower = try protocolView.first?.decode("lower_95", as: Double.self)
            #expect((lower ?? 0) > 0)
            #expect(occurrences(of: "<tr role=\"row\" class=\"excludes-zero\">", in: page.body) == excluding.count + 1)
            #expect(page.body.contains("<span class=\"mark\">▲ above 0</span>"))
            let gains = try jsonRows(await get("/experiments/\(id)", "format=json&table=gains"))
            #expect(gains.map { $0.bool("excludes_zero") } == [false, true])
            // Live: the experiment is running, so the page carries the update script under the response's nonce.
            let csp = try #require(page.headers.first { $0.name == "Content-Security-Policy" }?.value)
            let nonce = try #require(csp.split(separator: "'").first { $0.hasPrefix("nonce-") }?.dropFirst(6))
            #expect(page.body.contains("<script nonce=\"\(nonce)\">"))
            #expect(occurrences(of: "<script", in: page.body) == 1)
            // Its live part holds only the refreshed sections, no script and no spec.
            let part = await get("/experiments/\(id)", "part=live")
            #expect(part.status == 200 && !part.body.contains("<script") && !part.body.contains("<details class=\"spec\""))
            #expect(occurrences(of: "data-live>", in: part.body) == occurrences(of: "data-live>", in: page.body))
            #expect(occurrences(of: "data-live>", in: part.body) == 10)  // 9 live sections and the verdicts table
            #expect(part.body.contains("excludes-zero"))
        }

        @Test func theJobsPageFiltersByStateKindAndExperiment() async throws {
            let failed = try jsonRows(await get("/jobs", "state=failed&format=json&table=jobs"))
            #expect(failed.compactMap { $0.int("id") } == [Int(fixture.failedJob)])
            #expect(failed.first?.string("last_error") == DashboardFixture.hostileError)
            let evaluate = try jsonRows(await get("/jobs", "kind=evaluate&experiment=\(fixture.finished)&format=json&table=jobs"))
            let expected = try db.query("""
                SELECT id FROM seqtwins.jobs WHERE kind = 'evaluate' AND experiment_id = \(fixture.finished) ORDER BY id DESC
                """).map { try $0.decode("id", as: Int.self) }
            #expect(evaluate.compactMap { $0.int("id") } == expected && expected.count == 8)
            let all = try jsonRows(await get("/jobs", "format=json&table=jobs&limit=5000"))
            let count: Int = try db.queryOne("SELECT count(*)::int AS n FROM seqtwins.jobs")!.decode("n")
            #expect(all.count == count)
            let limited = try jsonRows(await get("/jobs", "format=json&table=jobs&limit=3"))
            #expect(limited.count == 3)

            // The page and the query below compute the ages a moment apart: allow for that moment (a loaded CI
            // machine can take seconds to answer).
            let beforePage = Date()
            let running = try #require(try jsonRows(await get("/jobs", "state=running&format=json&table=jobs")).first)
            #expect(running.int("id") == Int(fixture.runningJob))
            #expect(running.string("worker") == DashboardFixture.hostileWorker)
            #expect(running.double("progress") == 0.4 && running.string("progress_message") == "step <b>4</b> of 10")
            let ages = try #require(try db.queryOne("""
                SELECT extract(epoch FROM now() - heartbeat_at)::float8 AS age,
                       extract(epoch FROM lease_expires_at - now())::float8 AS left
                FROM seqtwins.jobs WHERE id = \(fixture.runningJob)
                """))
            let slack = Date().timeIntervalSince(beforePage) + 2
            #expect(abs((running.double("heartbeat_age_seconds") ?? -100) - (try ages.decode("age", as: Double.self))) < slack)
            #expect(abs((running.double("lease_left_seconds") ?? -100) - (try ages.decode("left", as: Double.self))) < slack)

            let html = await get("/jobs", "state=running")
            #expect(html.body.contains("role=\"progressbar\"") && html.body.contains("aria-valuenow=\"40.0\""))
            #expect(html.body.contains("<option value=\"running\" selected>running</option>"))
            #expect(html.body.contains("step &lt;b&gt;4&lt;/b&gt; of 10"))
            #expect(await get("/jobs", "state=nope").status == 400)
            #expect(await get("/jobs", "experiment=x").status == 400)
            #expect(await get("/jobs", "limit=0").status == 400)
        }

        @Test func aJobPageShowsItsDependencyChainBothWays() async throws {
            let tables = try jsonTables(await get("/jobs/\(fixture.blockedJob)", "format=json"))
            #expect(Set(tables.keys) == ["job", "depends_on", "dependants"])
            let up = try #require(tables["depends_on"])
            #expect(up.compactMap { $0.int("id") } == [Int(fixture.runningJob)])
            #expect(up.first?.int("depth") == 1 && up.first?.string("state") == "running")
            let running = try jsonRows(await get("/jobs/\(fixture.runningJob)", "format=json&table=dependants"))
            #expect(running.compactMap { $0.int("id") } == [Int(fixture.blockedJob)])
            // An evaluate job of the finished experiment waits on its embed job, which waits on the pretrain job.
            let evaluate: Int64 = try db.queryOne("""
                SELECT min(id) AS id FROM seqtwins.jobs WHERE kind = 'evaluate' AND experiment_id = \(fixture.finished)
                """)!.decode("id")
            let parent: Int = try db.queryOne("""
                SELECT depends_on AS id FROM seqtwins.job_dependencies WHERE job_id = \(evaluate)
                """)!.decode("id")
            let grandparent: Int = try db.queryOne("""
                SELECT depends_on AS id FROM seqtwins.job_dependencies WHERE job_id = \(Int64(parent))
                """)!.decode("id")
            let chain = try jsonRows(await get("/jobs/\(evaluate)", "format=json&table=depends_on"))
            #expect(chain.compactMap { $0.int("id") } == [parent, grandparent])
            #expect(chain.compactMap { $0.string("kind") } == ["embed", "pretrain"])
            #expect(chain.compactMap { $0.int("depth") } == [1, 2])
            let detail = try jsonRows(await get("/jobs/\(fixture.failedJob)", "format=json&table=job"))
            #expect(detail.count == 1 && detail.first?.string("last_error") == DashboardFixture.hostileError)
            #expect(detail.first?.string("payload") == #"{"seconds": 600}"#)
            #expect(await get("/jobs/999999").status == 404)
        }

        @Test func theWorkersPageListsLeaseHolders() async throws {
            let workers = try jsonRows(await get("/workers", "format=json&table=workers"))
            let owners = try db.query("""
                SELECT lease_owner, count(*)::int AS n, string_agg(id::text, ',' ORDER BY id) AS ids
                FROM seqtwins.jobs WHERE state = 'running' GROUP BY lease_owner ORDER BY lease_owner
                """)
            #expect(workers.count == owners.count && owners.count == 1)
            for (row, expected) in zip(workers, owners) {
                #expect(row.string("worker") == (try expected.decode("lease_owner", as: String.self)))
                #expect(row.int("running_jobs") == (try expected.decode("n", as: Int.self)))
                #expect(row.string("job_ids") == (try expected.decode("ids", as: String.self)))
                #expect((row.double("last_heartbeat_age_seconds") ?? -1) >= 0)
            }
            let running = try jsonRows(await get("/workers", "format=json&table=running"))
            #expect(running.compactMap { $0.int("id") } == [Int(fixture.runningJob)])
            let html = await get("/workers")
            #expect(html.body.contains("host-&lt;i&gt;1&lt;/i&gt; &quot;w&quot;"))
            #expect(!html.body.contains("<i>1</i>"))
        }

        @Test func theDatasetsPageMatchesTheDatasetsTable() async throws {
            let rows = try jsonRows(await get("/datasets", "format=json&table=datasets"))
            let table = try db.query("""
                SELECT name, kind, user_count, item_count, interaction_count, category_count FROM seqtwins.datasets
                ORDER BY name
                """)
            #expect(rows.count == table.count && table.count == 1)
            for (row, expected) in zip(rows, table) {
                #expect(row.string("name") == (try expected.decode("name", as: String.self)))
                #expect(row.string("kind") == "sequences")
                #expect(row.int("users") == (try expected.decode("user_count", as: Int.self)))
                #expect(row.int("items") == (try expected.decode("item_count", as: Int.self)))
                #expect(row.int("interactions") == (try expected.decode("interaction_count", as: Int.self)))
                #expect(row.int("categories") == (try expected.decode("category_count", as: Int.self)))
            }
            #expect(rows.first?.int("users") == 60 && rows.first?.int("interactions") == 480)
            #expect(rows.first?.string("experiment_ids") == "\(fixture.live)")
            let html = await get("/datasets")
            #expect(html.body.contains("test data &lt;em&gt;not&lt;/em&gt; markup"))
            #expect(html.body.contains("<a href=\"/experiments/\(fixture.live)\">#\(fixture.live)</a>"))
        }

        @Test(arguments: ["/", "/jobs", "/jobs?state=failed", "/workers", "/datasets", "/experiments/LIVE",
                          "/jobs/FAILED", "/experiments/LIVE?part=live"])
        func hostileValuesRenderAsText(_ target: String) async throws {
            let resolved = target.replacingOccurrences(of: "LIVE", with: "\(fixture.live)")
                .replacingOccurrences(of: "FAILED", with: "\(fixture.failedJob)")
            let parts = resolved.split(separator: "?", maxSplits: 1).map(String.init)
            let page = await get(parts[0], parts.count > 1 ? parts[1] : nil)
            #expect(page.status == 200)
            #expect(!page.body.contains("<script>alert"))
            #expect(!page.body.contains("<img src=x"))
            #expect(!page.body.contains("<b>"))
            #expect(!page.body.contains("<i>"))
            #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            // Only the dashboard's own script, if any, and it carries the nonce.
            #expect(occurrences(of: "<script", in: page.body) == occurrences(of: "<script nonce=", in: page.body))
        }

        @Test func csvAndJSONCarryTheHostileValuesIntact() async throws {
            let csv = await get("/", "format=csv")
            #expect(csv.status == 200 && csv.contentType.hasPrefix("text/csv"))
            let lines = csv.body.components(separatedBy: "\r\n")
            #expect(lines.first?.hasPrefix("id,name,dataset,priority,jobs,blocked,queued,running,succeeded,failed") == true)
            // The name holds quotes and a comma-free 10,000 characters: quoted, with its quotes doubled.
            let quoted = "\"" + DashboardFixture.hostileName.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            #expect(csv.body.contains(",\(quoted),"))
            let json = try jsonRows(await get("/experiments/\(fixture.live)", "format=json&table=failed_jobs"))
            #expect(json.first?.string("last_error") == DashboardFixture.hostileError)
            #expect(!(await get("/experiments/\(fixture.live)", "format=json")).body.contains("<"))
            let missing = await get("/", "format=csv&table=nope")
            #expect(missing.status == 404 && missing.body.contains("tables: experiments"))
            #expect(await get("/", "format=xml").status == 400)
        }

        @Test(arguments: ["POST", "PUT", "DELETE", "PATCH", "HEAD"])
        func nothingButGetIsAllowed(_ method: String) async throws {
            let response = await site.respond(to: DashboardRequest(method: method, path: "/jobs/\(fixture.runningJob)"))
            #expect(response.status == 405)
            #expect(response.headers.contains { $0.name == "Allow" && $0.value == "GET" })
            let state: String = try db.queryOne("SELECT state FROM seqtwins.jobs WHERE id = \(fixture.runningJob)")!.decode("state")
            #expect(state == "running")
        }

        @Test func unknownPagesAreNotFound() async throws {
            #expect(await get("/experiments/999999").status == 404)
            #expect(await get("/experiments/abc").status == 404)
            #expect(await get("/nope").status == 404)
            #expect(await get("/health").body == "ok\n")
        }
    }
}

/// The site without a database: errors become pages, not crashes.
@Suite("Dashboard without a database")
struct UnreachableDatabaseTests {
    @Test func anUnreachableDatabaseGivesA503Page() async throws {
        let site = DashboardSite(database: DashboardDatabase(url: "postgresql://127.0.0.1:1/nothing?connect_timeout=2",
                                                             connections: 1))
        let page = await site.respond(to: DashboardRequest(path: "/"))
        #expect(page.status == 503)
        #expect(page.body.contains("Database unavailable"))
        let health = await site.respond(to: DashboardRequest(path: "/health"))
        #expect(health.status == 503)
        site.database.close()
    }
}
