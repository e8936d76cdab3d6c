// bench-data: loading speed and memory of the Sequences readers at MovieLens-20M scale, beside pandas.
//
// Usage (release build: `swift build -c release --product bench-data`):
//   .build/release/bench-data [--dir /tmp/seqtwins-bench] [--preset ml20m] [--python python3] [--no-pandas]
// Generates the synthetic dataset (MovieLens-1M .dat files and MovieLens-20M .csv files) into --dir unless it
// is already there, then times each load in a fresh child process (`bench-data load dat|csv|prepare DIR`, so peak
// RSS is the load's own) and runs scripts/bench_pandas.py on the same ratings.csv. Prints figures only; asserts
// nothing.
import ArgumentParser
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

/// `bench-data`: times the Sequences readers, each load in a child process of its own, beside pandas.
@main
struct BenchData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-data",
        abstract: "Time loading a MovieLens-20M-scale synthetic dataset with the Sequences readers, beside pandas.",
        discussion: """
            Generates the synthetic files into --dir unless they are there and prints their sizes, then one \
            line per load, each in a child process of its own (`swift dat|csv|prepare rows=… users=… items=… \
            seconds=… rows_per_s=… peak_rss_mib=…`), the prepare load preceded by its preprocessing, label and \
            batch timings, and last the pandas figures from scripts/bench_pandas.py. Prints figures only; asserts \
            nothing. The options belong to `run`, the default subcommand: see `bench-data help run`.
            """,
        subcommands: [Run.self, Load.self], defaultSubcommand: Run.self)

    /// Generates the files if needed, then runs `load` for each reader as a child process, then pandas.
    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Generate the files if needed, time each load in a child process, then run pandas.")

        @Option(help: "Where the synthetic files are written (reused when ratings.csv is there).")
        var dir = "/tmp/seqtwins-bench"
        @Option(help: "Synthetic preset: tiny, small, ml1m, ml20m.")
        var preset = "ml20m"
        @Option(help: "The Python that runs scripts/bench_pandas.py (an absolute path, or a name looked up in PATH).")
        var python = "python3"
        @Flag(help: "Skip the pandas comparison.")
        var noPandas = false

        func validate() throws {
            guard SyntheticConfig.preset(preset, seed: 1) != nil else {
                throw ValidationError("unknown preset \(preset) (tiny, small, ml1m, ml20m)")
            }
        }

        func run() throws {
            let directory = dir
            let config = SyntheticConfig.preset(preset, seed: 1)!
            print("bench-data: synthetic \(preset) (\(config.users) users, \(config.items) items) in \(directory)")
            if !FileManager.default.fileExists(atPath: directory + "/ratings.csv") {
                let start = now()
                let world = SyntheticWorld(config: config)
                let rows = try SyntheticWriter.write(world, to: directory, csv: true)
                let seconds = now() - start
                print(String(format: "generate+write rows=%d seconds=%.2f rows_per_s=%.0f", rows, seconds,
                             Double(rows) / seconds))
            } else {
                print("(reusing the files already there)")
            }
            for file in ["ratings.dat", "ratings.csv"] {
                let attributes = try? FileManager.default.attributesOfItem(atPath: directory + "/" + file)
                let size = (attributes?[.size] as? Int) ?? 0
                print(String(format: "%@: %.0f MiB", file, Double(size) / 1_048_576))
            }

            let me = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
            for mode in LoadMode.allCases {
                print(Self.run(me, ["load", mode.rawValue, directory]), terminator: "")
            }
            if !noPandas {
                let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().appendingPathComponent("scripts/bench_pandas.py").path
                let pythonPath = python.hasPrefix("/") ? python : "/usr/bin/env"
                let pythonArgs =
                    python.hasPrefix("/")
                    ? [script, directory + "/ratings.csv"] : [python, script, directory + "/ratings.csv"]
                print(Self.run(pythonPath, pythonArgs), terminator: "")
            }
        }

        /// Runs `executable` and returns what it printed on stdout and stderr, or why it could not start.
        static func run(_ executable: String, _ args: [String]) -> String {
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
    }

    /// Which reader a child load times.
    enum LoadMode: String, CaseIterable, ExpressibleByArgument {
        /// `MovieLens1MReader` over the `.dat` files.
        case dat
        /// `MovieLensCSVReader` over `ratings.csv`.
        case csv
        /// The `.dat` load, then preprocessing, labels and batch preparation.
        case prepare
    }

    /// The child mode: `bench-data load dat|csv|prepare DIR` times one load and prints one result line.
    struct Load: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time one load in this process (the child mode) and print its result line.",
            discussion: """
                Prints `swift MODE rows=… users=… items=… seconds=… rows_per_s=… peak_rss_mib=…`; prepare \
                also prints its preprocessing and label time and the cost of a two-view and a next-item batch.
                """)

        @Argument(help: "The reader.")
        var mode: LoadMode
        @Argument(help: "The folder holding the synthetic files.")
        var directory: String

        func run() throws {
            let start = now()
            let dataset: InteractionDataset
            switch mode {
            case .dat:
                dataset = try MovieLens1MReader.load(directory: directory)
            case .csv:
                dataset = try MovieLensCSVReader.readRatings(path: directory + "/ratings.csv")
            case .prepare:
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
                    let batch = prepared.twoViewBatch(users: batchUsers, augmentations: Augmentations(),
                                                      using: &generator)
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
                    mode.rawValue, dataset.interactionCount, dataset.userCount, dataset.itemCount, seconds,
                    Double(dataset.interactionCount) / seconds, peakRSSMiB()))
        }
    }
}
