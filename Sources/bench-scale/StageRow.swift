import Experiments
import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// The dataset sizes of the benchmark, as synthetic specs (the `synthetic` section of an experiment spec).
enum ScaleSize: String, CaseIterable {
    /// MovieLens-1M's shape: 6,040 users, 3,706 items, mean length 165 (about 1.0M interactions).
    case ml1m = "1m"
    /// 35,000 users, 10,000 items, mean length 143 (about 5.0M interactions).
    case ml5m = "5m"
    /// MovieLens-20M's shape: 138,493 users, 26,744 items, mean length 144 (about 20M interactions).
    case ml20m = "20m"

    /// The spec section generating this size.
    var synthetic: SyntheticSpec {
        var spec = SyntheticSpec()
        switch self {
        case .ml1m: (spec.users, spec.items, spec.meanSequenceLength) = (6_040, 3_706, 165)
        case .ml5m: (spec.users, spec.items, spec.meanSequenceLength) = (35_000, 10_000, 143)
        case .ml20m: (spec.users, spec.items, spec.meanSequenceLength) = (138_493, 26_744, 144)
        }
        return spec
    }
}

/// The process's memory from `/proc/self/status`: peak (`VmHWM`) and current (`VmRSS`) resident set, in MiB.
struct Memory {
    /// Peak resident set so far (monotone).
    var peakMiB: Double
    /// Resident set now.
    var currentMiB: Double

    /// Reads both figures (-1 where the file or field is missing).
    static func now() -> Memory {
        var peak = -1.0
        var current = -1.0
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in status.split(separator: "\n") {
                let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
                if line.hasPrefix("VmHWM:") { peak = kib / 1024 }
                if line.hasPrefix("VmRSS:") { current = kib / 1024 }
            }
        }
        return Memory(peakMiB: peak, currentMiB: current)
    }
}

/// CPU seconds (user + system) used so far: by this process (`getrusage`), or by another process of this machine
/// (`/proc/PID/stat`, e.g. the PostgreSQL backend serving our connection; nil when it cannot be read).
enum CPUTime {
    /// This process's CPU seconds, all threads.
    static func ofSelf() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
    }

    /// Process `pid`'s CPU seconds from fields 14 and 15 of `/proc/PID/stat` (clock ticks).
    static func of(pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = text.lastIndex(of: ")")
        else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the command come state (field 3) ... utime (14) and stime (15): indices 11 and 12 here.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// One line of the table: a stage at a size, its seconds, throughput and memory.
struct StageRow {
    /// The size (`1m`, `5m`, `20m`).
    var size: String
    /// The stage's name, e.g. `pretrain barlow_twins (1 epoch)`.
    var stage: String
    /// Seconds (measured, or extrapolated where `note` says so).
    var seconds: Double
    /// CPU seconds of this process over the stage, plus the PostgreSQL backend's for database stages.
    var cpu: Double
    /// Rows handled, for rows/s (nil where no rate applies).
    var rows: Int?
    /// What a row is (`interactions`, `users`, `steps`).
    var unit: String
    /// Memory after the stage.
    var after: Memory
    /// Peak RSS before the stage, for the growth.
    var peakBefore: Double
    /// How the figure was obtained, e.g. `extrapolated from 20 of 379 steps`.
    var note: String

    /// The Markdown header of the table.
    static let header = """
        | size | stage | wall s | CPU s | rows/s (wall) | rows/CPU-s | peak RSS MiB | peak growth MiB | RSS after MiB | note |
        |---|---|---|---|---|---|---|---|---|---|
        """

    /// The row as a Markdown table line.
    var line: String {
        func rate(_ time: Double) -> String {
            guard let rows, time > 0 else { return "" }
            let value = Double(rows) / time
            return String(format: value < 100 ? "%.2f %@" : "%.0f %@", value, unit)
        }
        return String(format: "| %@ | %@ | %.2f | %.2f | %@ | %@ | %.0f | %+.0f | %.0f | %@ |", size, stage, seconds,
                      cpu, rate(seconds), rate(cpu), after.peakMiB, after.peakMiB - peakBefore, after.currentMiB, note)
    }
}
