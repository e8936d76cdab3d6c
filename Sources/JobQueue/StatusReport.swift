import Foundation

/// The text `seqtwins status` prints: job counts per state, then each running job with a progress bar, its
/// worker and its lease. Pure: the caller reads the rows.
public enum StatusReport {
    /// A progress bar `[#####-----]` of `width` cells for a fraction in 0...1 (clamped).
    public static func bar(_ fraction: Double, width: Int = 20) -> String {
        let clamped = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let filled = Int((clamped * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "]"
    }

    /// What a job works on, from its payload's `series`, `seed`, `task`, `protocol` and `fraction` (the pipeline's
    /// payloads): `barlow_twins seed 0 future_top_category linear_probe 0.1`; nil for other payloads.
    public static func subject(of job: Job) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(job.payload.utf8)) as? [String: Any] else {
            return nil
        }
        var parts: [String] = []
        if let series = object["series"] as? String { parts.append(series) }
        if let seed = object["seed"] as? Int { parts.append("seed \(seed)") }
        for key in ["task", "protocol"] { if let value = object[key] as? String { parts.append(value) } }
        if let fraction = object["fraction"] as? Double { parts.append("\(fraction)") }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// Renders counts (every state, in life order) and the running jobs, as of `now`.
    public static func render(counts: [JobState: Int], running: [Job], now: Date = Date()) -> String {
        var lines: [String] = []
        lines.append("jobs: " + JobState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: "  "))
        if running.isEmpty {
            lines.append("no job is running")
        } else {
            lines.append("running:")
            for job in running {
                let percent = String(format: "%3d%%", Int((job.progress * 100).rounded(.down)))
                let kind = job.kind.padding(toLength: max(job.kind.count, 8), withPad: " ", startingAt: 0)
                var line = "  #\(job.id) \(kind)"
                if let subject = subject(of: job) { line += " \(subject)" }
                line += " \(bar(job.progress)) \(percent)"
                line += "  worker \(job.leaseOwner ?? "?")  attempt \(job.attempts)/\(job.maxAttempts)"
                if let expiry = job.leaseExpiresAt {
                    let left = expiry.timeIntervalSince(now)
                    line += left >= 0 ? String(format: "  lease %.0fs left", left) : "  lease EXPIRED"
                }
                if let message = job.progressMessage, !message.isEmpty { line += "  \(message)" }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
