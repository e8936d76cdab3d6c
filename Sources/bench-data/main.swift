// bench-data: loading speed and memory of the Sequences readers at MovieLens-20M scale, beside pandas.
//
// Usage (release build: `swift build -c release --product bench-data`):
//   .build/release/bench-data [--dir /tmp/seqtwins-bench] [--preset ml20m] [--python python3] [--no-pandas]
// Generates the synthetic dataset (MovieLens-1M .dat files and MovieLens-20M .csv files) into --dir unless it
// is already there, then times each load in a fresh child process (so peak RSS is the load's own) and runs
// scripts/bench_pandas.py on the same ratings.csv. Prints figures only; asserts nothing.
import Foundation
import Sequences

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kib = line.split(separator: " ").compactMap { Double($0) }.first ?? -1
        return kib / 1024
    }
    return -1
}

func now() -> Double { Date().timeIntervalSinceReferenceDate }

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

// Child mode: `bench-data load dat|csv|prepare DIR` prints one result line.
if arguments.first == "load", arguments.count == 3 {
    let directory = arguments[2]
    let start = now()
    let dataset: InteractionDataset
    switch arguments[1] {
    case "dat":
        dataset = try MovieLens1MReader.load(directory: directory)
    case "csv":
        dataset = try MovieLensCSVReader.readRatings(path: directory + "/ratings.csv")
    default:
        let loaded = try MovieLens1MReader.load(directory: directory)
        let prepareStart = now()
        let prepared = try PreparedDataset(loaded)
        let labels = try prepared.labels(for: .futureTopCategory)
        print(
            String(
                format: "  (prepare + future_top_category labels: %.2f s, %d users, majority %.3f)",
                now() - prepareStart, prepared.userCount, labels.majorityAccuracy[.test] ?? 0))
        // Batch preparation cost: does a prefetching loader pay off?
        var generator = prepared.generator("bench")
        let users = prepared.trainUsers
        var batchStart = now()
        var checksum = 0
        for b in 0..<200 {
            let batchUsers = (0..<256).map { users[(b * 256 + $0) % users.count] }
            let batch = prepared.twoViewBatch(users: batchUsers, augmentations: Augmentations(), using: &generator)
            checksum &+= Int(batch.first.lengths[0])
        }
        let twoView = (now() - batchStart) / 200
        let examples = prepared.nextItemExamples(users: users)
        batchStart = now()
        for b in 0..<200 {
            let lower = (b * 256) % max(examples.count - 256, 1)
            checksum &+= Int(prepared.nextItemBatch(examples[lower..<lower + 256]).targets[0])
        }
        let nextItem = (now() - batchStart) / 200
        print(
            String(
                format: "  (batch of 256 × 50: two-view %.3f ms, next-item %.3f ms; checksum %d)",
                twoView * 1000, nextItem * 1000, checksum))
        dataset = loaded
    }
    let seconds = now() - start
    print(
        String(
            format: "swift %@ rows=%d users=%d items=%d seconds=%.3f rows_per_s=%.0f peak_rss_mib=%.0f",
            arguments[1], dataset.interactionCount, dataset.userCount, dataset.itemCount, seconds,
            Double(dataset.interactionCount) / seconds, peakRSSMiB()))
    exit(0)
}

let directory = option("--dir") ?? "/tmp/seqtwins-bench"
let presetName = option("--preset") ?? "ml20m"
let python = option("--python") ?? "python3"
guard let config = SyntheticConfig.preset(presetName, seed: 1) else {
    print("unknown preset \(presetName) (tiny, small, ml1m, ml20m)")
    exit(2)
}

print("bench-data: synthetic \(presetName) (\(config.users) users, \(config.items) items) in \(directory)")
if !FileManager.default.fileExists(atPath: directory + "/ratings.csv") {
    let start = now()
    let world = SyntheticWorld(config: config)
    let rows = try SyntheticWriter.write(world, to: directory, csv: true)
    let seconds = now() - start
    print(String(format: "generate+write rows=%d seconds=%.2f rows_per_s=%.0f", rows, seconds, Double(rows) / seconds))
} else {
    print("(reusing the files already there)")
}
for file in ["ratings.dat", "ratings.csv"] {
    let size = (try? FileManager.default.attributesOfItem(atPath: directory + "/" + file)[.size] as? Int) ?? 0
    print(String(format: "%@: %.0f MiB", file, Double(size) / 1_048_576))
}

func run(_ executable: String, _ args: [String]) -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = args
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do { try process.run() } catch { return "failed to run \(executable): \(error)" }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}

let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
for mode in ["dat", "csv", "prepare"] {
    print(run(me, ["load", mode, directory]), terminator: "")
}
if !arguments.contains("--no-pandas") {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/bench_pandas.py").path
    let pythonPath = python.hasPrefix("/") ? python : "/usr/bin/env"
    let pythonArgs =
        python.hasPrefix("/") ? [script, directory + "/ratings.csv"] : [python, script, directory + "/ratings.csv"]
    print(run(pythonPath, pythonArgs), terminator: "")
}
