// bench-scale: seconds and memory of every stage of a real experiment on synthetic data at MovieLens-1M, 5M and
// MovieLens-20M sizes, through the functions the job handlers call.
//
// Usage (release build: `swift build -c release --product bench-scale`):
//   DATABASE_URL="$(scripts/pg.sh start)" OPENBLAS_CORETYPE=SkylakeX .build/release/bench-scale \
//       [--sizes 1m,5m,20m] [--spec Jobs/ml-20m.json] [--pretrain-batches 20] [--probe-tasks T,...]
//       [--fine-tune-task T] [--no-fine-tune] [--threads N]
// Each size runs in a child process of its own (so each peak RSS is that size's), then one table is printed.
// Prints figures only; asserts nothing.
import ArgumentParser
import Foundation
import Learning
import Tensors

/// `bench-scale`: times each stage of an experiment at several dataset sizes, each size in a child process.
@main
struct BenchScale: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-scale",
        abstract: "Time and measure every stage of a real experiment on synthetic data at several sizes.",
        discussion: """
            For each size (1m: 6,040 users, 3,706 items, ~1M interactions; 5m: 35,000 users, 10,000 items, ~5M; \
            20m: 138,493 users, 26,744 items, ~20M) a child process generates the synthetic dataset, prepares it \
            (split, the spec's task labels), times --pretrain-batches optimiser steps of each pretraining method \
            and extrapolates them to one epoch (marked 'extrapolated'), embeds every user with the encoder and \
            with bag-of-items, writes the embeddings to PostgreSQL with COPY and reads them back as an evaluate \
            job does, fits the linear probe at full labels on each --probe-tasks task, and runs one fine-tune \
            epoch at full labels. The settings (encoder, methods, preprocessing, probe and fine-tune) are those \
            of --spec with its dataset replaced by the synthetic one. Each row gives wall seconds, CPU seconds \
            (this process's user + system time, plus the PostgreSQL backend's for the two database stages), rows \
            per wall and per CPU second where a rate applies, the process's peak RSS after the stage (VmHWM, \
            monotone), its growth over the stage, and the RSS at the end of the stage. Needs DATABASE_URL (a scratch database: it enqueues a throwaway \
            experiment and deletes it at the end).
            """)

    @Option(help: "Sizes to run, comma-separated: 1m, 5m, 20m.")
    var sizes = "1m,5m,20m"
    @Option(help: "The spec whose settings are used (its dataset is replaced by the synthetic one).")
    var spec = "Jobs/ml-20m.json"
    @Option(help: "Optimiser steps timed per pretraining method, extrapolated to one epoch.")
    var pretrainBatches = 20
    @Option(help: "Pretraining methods timed, comma-separated (default: those of the spec with an encoder).")
    var methods: String?
    @Option(help: "Tasks probed at full labels, comma-separated (default: the spec's tasks).")
    var probeTasks: String?
    @Option(help: "The task of the fine-tune epoch.")
    var fineTuneTask = "future_top_category"
    @Flag(help: "Skip the fine-tune epoch.")
    var noFineTune = false
    @Option(help: "Library worker threads (default: the CPU count).")
    var threads: Int?
    @Option(help: "Internal: a file where a child process writes its table rows.")
    var rowsFile: String?

    func validate() throws {
        let list = sizes.split(separator: ",").map(String.init)
        guard !list.isEmpty, list.allSatisfy({ ScaleSize(rawValue: $0) != nil }) else {
            throw ValidationError("--sizes expects a comma-separated list of 1m, 5m, 20m, got '\(sizes)'")
        }
        guard pretrainBatches >= 1 else {
            throw ValidationError("--pretrain-batches expects a positive integer, got '\(pretrainBatches)'")
        }
        if let threads, threads < 1 { throw ValidationError("--threads expects a positive integer, got '\(threads)'") }
    }

    func run() throws {
        let list = sizes.split(separator: ",").compactMap { ScaleSize(rawValue: String($0)) }
        if let rowsFile {
            guard list.count == 1 else { throw ValidationError("--rows-file takes exactly one size") }
            if let threads { Parallel.setWorkerCount(threads) }
            BLAS.prepareForParallelWorkers()
            var scaleRun = ScaleRun(size: list[0], options: self)
            let rows = try scaleRun.run()
            try rows.map(\.line).joined(separator: "\n").write(toFile: rowsFile, atomically: true, encoding: .utf8)
            return
        }
        print("bench-scale: \(BLASInfo.summary); \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average "
              + loadAverage())
        var all: [String] = []
        for size in list {
            let file = FileManager.default.temporaryDirectory
                .appendingPathComponent("bench-scale-\(getpid())-\(size.rawValue).tsv").path
            let status = try runChild(size: size, rowsFile: file)
            guard status == 0 else {
                print("bench-scale: size \(size.rawValue) failed with status \(status)")
                throw ExitCode(status)
            }
            all += try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)
            try? FileManager.default.removeItem(atPath: file)
        }
        print("")
        print(StageRow.header)
        for line in all { print(line) }
        print("load average at the end: \(loadAverage())")
    }

    /// Runs this executable for one size with the same options, writing its rows to `rowsFile`.
    func runChild(size: ScaleSize, rowsFile: String) throws -> Int32 {
        var arguments = ["--sizes", size.rawValue, "--rows-file", rowsFile, "--spec", spec,
                         "--pretrain-batches", String(pretrainBatches), "--fine-tune-task", fineTuneTask]
        if let methods { arguments += ["--methods", methods] }
        if let probeTasks { arguments += ["--probe-tasks", probeTasks] }
        if let threads { arguments += ["--threads", String(threads)] }
        if noFineTune { arguments.append("--no-fine-tune") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// The 1-minute load average, from `/proc/loadavg`.
func loadAverage() -> String {
    guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "?" }
    return text.split(separator: " ").prefix(3).joined(separator: " ")
}
