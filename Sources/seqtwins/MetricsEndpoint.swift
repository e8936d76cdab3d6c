import Foundation
import Hummingbird
import Logging
import Metrics
import Postgres
import Prometheus

/// The worker's HTTP endpoint for operations (`seqtwins worker --metrics-port P`), on Hummingbird:
///
/// - `GET /metrics`: Prometheus text. This process's job counters and duration histogram (``WorkerMetrics`` in
///   JobQueue), training steps (`seqtwins_training_steps_total{method}`), and, read from PostgreSQL at each scrape,
///   the queue depth by state (`seqtwins_queue_jobs{state}`, cluster-wide) and the age of this worker's last
///   heartbeat on its running job (`seqtwins_heartbeat_age_seconds`, 0 when idle).
/// - `GET /health`: `200 ok` when PostgreSQL answers, else `503` with the error.
///
/// With `--concurrency N` each worker process serves its own endpoint, on ports `P` … `P + N − 1`.
enum MetricsEndpoint {
    /// Bootstraps swift-metrics with Prometheus and starts serving on `bind:port` in the background.
    static func start(port: Int, bind: String, databaseURL: String?, workerName: String, logger: Logger) {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(600),
            .seconds(3_600), .seconds(21_600), .seconds(86_400),
        ]
        MetricsSystem.bootstrap(factory)
        let database = ScrapeDatabase(url: databaseURL)
        let router = Router()
        router.get("metrics") { _, _ -> Response in
            database.recordGauges(workerName: workerName)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
        router.get("health") { _, _ -> Response in
            if let problem = database.problem() {
                return Response(status: .serviceUnavailable,
                                body: ResponseBody(byteBuffer: ByteBuffer(string: "database: \(problem)\n")))
            }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        var serverLogger = logger
        serverLogger.logLevel = .warning
        let app = Application(router: router, configuration: .init(address: .hostname(bind, port: port)),
                              logger: serverLogger)
        logger.info("metrics and health on http://\(bind):\(port)/metrics and /health")
        Task.detached {
            do {
                // The worker handles SIGTERM itself; the server stops with the process.
                try await app.runService(gracefulShutdownSignals: [])
            } catch {
                logger.error("metrics endpoint stopped: \(error)")
            }
        }
    }
}

/// The scrape's own PostgreSQL connection (never the job's), opened on first use and again after a failure.
final class ScrapeDatabase: @unchecked Sendable {
    private let url: String?
    private let lock = NSLock()
    private var connection: PostgresConnection?

    init(url: String?) { self.url = url }

    private func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try lock.withLock {
            if connection == nil || connection?.isConnected == false {
                connection = try PostgresConnection(url: url, applicationName: "seqtwins-metrics")
            }
            do {
                return try body(connection!)
            } catch {
                connection = nil
                throw error
            }
        }
    }

    /// Records the queue depth by state and this worker's heartbeat age; logs nothing on failure (the gauges keep
    /// their last values and `/health` reports the problem).
    func recordGauges(workerName: String) {
        try? withConnection { db in
            let counts = try db.query("SELECT state, count(*)::bigint AS jobs FROM seqtwins.jobs GROUP BY state")
            var byState: [String: Int64] = [:]
            for row in counts { byState[try row.decode("state")] = try row.decode("jobs") }
            for state in ["blocked", "queued", "running", "succeeded", "failed", "cancelled"] {
                Gauge(label: "seqtwins_queue_jobs", dimensions: [("state", state)]).record(byState[state] ?? 0)
            }
            let age: Double? = try db.queryOne("""
                SELECT extract(epoch FROM now() - max(heartbeat_at))::float8 AS age FROM seqtwins.jobs
                WHERE state = 'running' AND lease_owner = \(workerName)
                """)?.decode("age")
            Gauge(label: "seqtwins_heartbeat_age_seconds").record(age ?? 0)
        }
    }

    /// `nil` when PostgreSQL answers `SELECT 1`, else the error.
    func problem() -> String? {
        do {
            _ = try withConnection { try $0.queryOne("SELECT 1 AS one") }
            return nil
        } catch {
            return "\(error)"
        }
    }
}
