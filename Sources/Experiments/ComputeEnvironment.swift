import Foundation
import Tensors

/// What the numeric kernels run on, and the OpenBLAS kernel to ask for when the library does not recognise the CPU.
///
/// Debian's OpenBLAS 0.3.21 falls back to a slow generic kernel (`Prescott`) on CPUs newer than it knows; setting
/// `OPENBLAS_CORETYPE` before the process starts selects a fast one (it is read at start-up only). Workers use
/// ``recommendedCoreType(cpuFlags:)`` to set it for the processes they start.
public enum ComputeEnvironment {
    /// The kernel OpenBLAS runs in this process and its thread count, for start-up logs.
    public static var blasSummary: String { BLASInfo.summary }

    /// The kernel OpenBLAS runs in this process (e.g. `SkylakeX`, `Haswell`, `Prescott`).
    public static var blasCoreName: String { BLASInfo.coreName }

    /// Kernels that mean OpenBLAS did not recognise the CPU and chose a generic fallback.
    public static let genericCores: Set<String> = ["Prescott", "Core2", "Penryn", "Dunnington", "Nehalem", "Generic",
                                                    "Atom", "Katmai", "Coppermine", "Northwood", "Banias"]

    /// The fastest OpenBLAS kernel the CPU's feature flags allow: `SkylakeX` with AVX-512 (F, BW, VL, DQ),
    /// `Haswell` with AVX2 and FMA, else `nil` (leave OpenBLAS's choice). Pure: pass the flags of `/proc/cpuinfo`.
    public static func recommendedCoreType(cpuFlags: Set<String>) -> String? {
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU's feature flags from `/proc/cpuinfo` (empty where it cannot be read).
    public static func cpuFlags(cpuinfo path: String = "/proc/cpuinfo") -> Set<String> {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }

    /// The `OPENBLAS_CORETYPE` a worker should give its processes: an explicit choice (`auto` or empty means
    /// detect), else, when this process runs a generic kernel, the recommended one; `nil` to leave it alone.
    public static func coreTypeForWorkers(requested: String?, environment: [String: String]) -> String? {
        if let requested, !requested.isEmpty, requested != "auto" { return requested == "none" ? nil : requested }
        if let current = environment["OPENBLAS_CORETYPE"], !current.isEmpty { return current }
        guard genericCores.contains(blasCoreName) else { return nil }
        return recommendedCoreType(cpuFlags: cpuFlags())
    }

    /// The environment variable carrying the number of threads a worker process's kernels use.
    public static let threadsVariable = "SEQTWINS_THREADS"

    /// Sets the kernels' and OpenBLAS's thread count from `SEQTWINS_THREADS` when present (a supervisor running N worker
    /// processes gives each `cores / N`, so they do not oversubscribe the CPU). Returns the count in effect.
    @discardableResult
    public static func configureThreads(environment: [String: String]) -> Int {
        if let text = environment[threadsVariable], let count = Int(text), count >= 1 {
            Parallel.setWorkerCount(count)
            BLASInfo.setThreadCount(count)
        }
        return Parallel.workerCount
    }

    /// Keeps freed large blocks in the process (see `MemoryReuse.keepFreedMemory()`): training steps then reuse
    /// warm pages instead of page-faulting fresh ones every step. Results do not change. Workers call it at start.
    @discardableResult
    public static func configureMemory() -> Bool { MemoryReuse.keepFreedMemory() }

    /// Threads per worker process when `processes` share this machine's online CPUs.
    public static func threadsPerProcess(_ processes: Int) -> Int {
        max(1, Parallel.onlineCPUs() / max(1, processes))
    }
}
