import CoreMetrics
import Foundation

/// The worker's metrics, through swift-metrics (a no-op until a backend such as the worker's Prometheus endpoint
/// bootstraps one). Names follow Prometheus conventions; every series carries the job `kind`.
///
/// - `seqtwins_jobs_claimed_total{kind}`: claims by this process.
/// - `seqtwins_jobs_finished_total{kind, outcome}`: attempts ended, by outcome `succeeded`, `retried` (failed, queued
///   again), `failed` (failed for good), `cancelled`, `released` (SIGTERM) or `lost` (lease taken over).
/// - `seqtwins_job_duration_seconds{kind}`: a histogram of attempt durations.
public enum WorkerMetrics {
    /// Counts a claim of a job of `kind`.
    public static func claimed(kind: String) {
        Counter(label: "seqtwins_jobs_claimed_total", dimensions: [("kind", kind)]).increment()
    }

    /// Counts an attempt of `kind` that ended with `outcome`, and records its duration.
    public static func finished(kind: String, outcome: String, seconds: Double) {
        Counter(label: "seqtwins_jobs_finished_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment()
        Timer(label: "seqtwins_job_duration_seconds", dimensions: [("kind", kind)])
            .recordNanoseconds(Int64(max(seconds, 0) * 1e9))
    }
}
