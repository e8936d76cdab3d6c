import Foundation
import Postgres

/// The dashboard's pages, independent of the HTTP server: a ``DashboardRequest`` in, a ``DashboardResponse`` out.
///
/// Pages (every one read-only, server-rendered, with `?format=csv` / `?format=json` on the same URL for the data
/// of its tables, `&table=NAME` to pick one):
/// - `/`: experiments with their job counts per state, done fraction, start, finish, wall time and failures;
///   `?sort=KEY` or `?sort=-KEY` (descending).
/// - `/experiments/ID`: one experiment: progress, resolved spec, label-efficiency curves and table, the gain table
///   with intervals (those that exclude 0 highlighted), per-run pretraining curves, failed jobs.
/// - `/jobs`: jobs filtered by `?state=`, `?kind=`, `?experiment=` (`?limit=`, default 200); `/jobs/ID`: one job
///   with its dependency chain both ways.
/// - `/workers`: who holds leases now, what they run, seconds since their last heartbeat.
/// - `/datasets`: imported datasets with their counts and the experiments that use them.
/// - `/health`: `ok` when PostgreSQL answers.
///
/// Pages with changing data carry a small inline script that re-fetches their live sections (`?part=live`) every
/// ``refreshSeconds`` seconds. Every value from the database is HTML-escaped (``Markup``); the script runs under a
/// per-response nonce in the Content-Security-Policy, so no other script can run. Any method but GET gets 405.
public struct DashboardSite: Sendable {
    /// Where pages read from.
    public let database: DashboardDatabase
    /// Seconds between live updates of an open page; 0 turns them off.
    public var refreshSeconds: Int

    /// A site over `database`.
    public init(database: DashboardDatabase, refreshSeconds: Int = 5) {
        self.database = database
        self.refreshSeconds = max(0, refreshSeconds)
    }

    /// Answers one request. Never throws: a bad request, a missing page or an unreachable database become error
    /// pages (400, 404, 405, 503).
    public func respond(to request: DashboardRequest) async -> DashboardResponse {
        let nonce = Self.makeNonce()
        let renderer = PageRenderer(refreshSeconds: refreshSeconds)
        guard request.method == "GET" else {
            var response = errorResponse(
                RequestError(status: 405, message: "This dashboard is read-only: only GET is allowed."),
                request: request, nonce: nonce)
            response.headers.append(("Allow", "GET"))
            return response
        }
        do {
            let format = request.parameter("format") ?? "html"
            guard ["html", "csv", "json"].contains(format) else {
                throw RequestError.badRequest("format \(format): expected html, csv or json")
            }
            if request.path == "/health" {
                _ = try await database.read { db in try db.queryOne("SELECT 1 AS one") }
                return DashboardResponse(contentType: "text/plain; charset=utf-8", headers: Self.headers(nonce: nonce),
                                         body: "ok\n")
            }
            let route = try Route(path: request.path)
            let page = try await database.read { db in try route.page(db, request: request) }
            switch format {
            case "csv":
                let table = try Self.pick(page, request.parameter("table"))
                return DashboardResponse(
                    contentType: "text/csv; charset=utf-8",
                    headers: Self.headers(nonce: nonce) + [("Content-Disposition", "inline; filename=\"\(table.name).csv\"")],
                    body: table.csv())
            case "json":
                let body: String
                if let name = request.parameter("table") {
                    body = try Self.pick(page, name).json()
                } else {
                    body = "{" + page.tables.map { "\n" + DataTable.jsonString($0.name) + ": " + $0.json() }
                        .joined(separator: ",") + "\n}"
                }
                return DashboardResponse(contentType: "application/json; charset=utf-8",
                                         headers: Self.headers(nonce: nonce), body: body + "\n")
            default:
                let onlyLive = request.parameter("part") == "live"
                return DashboardResponse(contentType: "text/html; charset=utf-8", headers: Self.headers(nonce: nonce),
                                         body: renderer.html(page, request: request, nonce: nonce, onlyLive: onlyLive))
            }
        } catch {
            return errorResponse(error, request: request, nonce: nonce)
        }
    }

    private func errorResponse(_ error: any Error, request: DashboardRequest, nonce: String) -> DashboardResponse {
        let status: Int
        let message: String
        switch error {
        case let error as RequestError:
            status = error.status
            message = error.message
        case let error as PostgresError where error.isConnectionFailure:
            status = 503
            message = "\(error)"
        default:
            status = 500
            message = "\(error)"
        }
        let renderer = PageRenderer(refreshSeconds: 0)
        return DashboardResponse(status: status, contentType: "text/html; charset=utf-8",
                                 headers: Self.headers(nonce: nonce),
                                 body: renderer.errorPage(status: status, message: message, request: request,
                                                          nonce: nonce))
    }

    private static func pick(_ page: Page, _ name: String?) throws -> DataTable {
        guard let name else {
            guard let first = page.tables.first else { throw RequestError.notFound("this page has no table") }
            return first
        }
        guard let table = page.tables.first(where: { $0.name == name }) else {
            throw RequestError.notFound("no table \(name) here; tables: "
                                        + page.tables.map(\.name).joined(separator: ", "))
        }
        return table
    }

    /// Security headers of every response: the CSP allows only this response's inline script (by nonce) and
    /// inline styles, and nothing from elsewhere.
    static func headers(nonce: String) -> [(name: String, value: String)] {
        [
            ("Content-Security-Policy", "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'unsafe-inline'; "
                + "img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("Cache-Control", "no-store"),
        ]
    }

    private static func makeNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString()
    }
}

/// Which page a path names.
enum Route: Sendable {
    case experiments
    case experiment(Int64)
    case jobs
    case job(Int64)
    case workers
    case datasets

    init(path: String) throws {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts.first == "experiments" && parts.count == 1 { parts = [] }
        switch parts.count {
        case 0:
            self = .experiments
        case 1 where parts[0] == "jobs":
            self = .jobs
        case 1 where parts[0] == "workers":
            self = .workers
        case 1 where parts[0] == "datasets":
            self = .datasets
        case 2 where parts[0] == "experiments" || parts[0] == "jobs":
            guard let id = Int64(parts[1]), id > 0 else {
                throw RequestError.notFound("\(parts[1]) is not an id")
            }
            self = parts[0] == "jobs" ? .job(id) : .experiment(id)
        default:
            throw RequestError.notFound("no page at \(path)")
        }
    }

    func page(_ db: PostgresConnection, request: DashboardRequest) throws -> Page {
        switch self {
        case .experiments: try Pages.experiments(db, request: request)
        case .experiment(let id): try Pages.experiment(db, id: id, request: request)
        case .jobs: try Pages.jobs(db, request: request)
        case .job(let id): try Pages.job(db, id: id, request: request)
        case .workers: try Pages.workers(db, request: request)
        case .datasets: try Pages.datasets(db, request: request)
        }
    }
}

/// The page builders: each reads what it shows in one go, on one connection.
enum Pages {}
