// bench-datasets: importing a dataset into PostgreSQL and loading it back into a worker, at MovieLens-20M scale.
//
// Usage (release build: `swift build -c release --product bench-datasets`):
//   DATABASE_URL=... .build/release/bench-datasets [--dir /tmp/seqtwins-bench-datasets] [--preset ml20m]
// Generates a synthetic MovieLens-20M-sized ratings.csv + movies.csv into --dir unless it is there, then runs the
// import and the load each in a fresh child process (so each peak RSS is its own) and prints their figures.
// Targets (issue 8): import under 90 s; load under 15 s with peak RSS under 1.5 GiB. Prints figures only.
import ArgumentParser
import DatasetStore
import Foundation
import Postgres
import Sequences

func peakRSSMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (line.split(separator: " ").compactMap { Double($0) }.first ?? -1) / 1024
    }
    return -1
}

func seconds(since start: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }

@main
struct BenchDatasets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-datasets",
        abstract: "Time importing a MovieLens-20M-sized dataset into PostgreSQL and loading it back.",
        subcommands: [Run.self, Import.self, Load.self], defaultSubcommand: Run.self)

    /// Generates the files if needed, then runs `import` and `load` as child processes.
    struct Run: ParsableCommand {
        @Option(help: "Where the synthetic files are written (reused when present).")
        var dir = "/tmp/seqtwins-bench-datasets"
        @Option(help: "Synthetic preset: tiny, small, ml1m, ml20m.")
        var preset = "ml20m"
        @Option(help: "The dataset name used in the database (replaced each run).")
        var name = "bench-ml20m"

        func run() throws {
            let folder = "\(dir)/\(preset)"
            if !FileManager.default.fileExists(atPath: folder + "/ratings.csv") {
                let start = Date()
                guard let config = SyntheticConfig.preset(preset) else { throw ValidationError("unknown preset \(preset)") }
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                let rows = try SyntheticWriter.write(SyntheticWorld(config: config), to: folder, csv: true)
                print("generated \(rows) ratings into \(folder) in \(seconds(since: start))")
            }
            for mode in [["import", folder, name], ["load", name]] {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
                process.arguments = mode
                try process.run()
                process.waitUntilExit()
                guard process.terminationStatus == 0 else { throw ExitCode(process.terminationStatus) }
            }
        }
    }

    /// Hashes, reads and imports a MovieLens-20M-format folder, replacing the dataset `name`.
    struct Import: ParsableCommand {
        @Argument var folder: String
        @Argument var name: String

        func run() throws {
            let db = try PostgresConnection.fromEnvironment()
            var start = Date()
            let sources = try DatasetSourceFiles(kind: .movielens20m, path: folder)
            let hashTime = seconds(since: start)
            start = Date()
            let dataset = try sources.read(name: name)
            let readTime = seconds(since: start)
            start = Date()
            try db.execute("DELETE FROM seqtwins.datasets WHERE name = \(name)")
            let deleteTime = seconds(since: start)
            start = Date()
            let outcome = try DatasetImporter(db).importDataset(dataset, name: name, sources: sources)
            let importTime = seconds(since: start)
            print("import  \(outcome.dataset.interactionCount) interactions, \(outcome.dataset.userCount) users, "
                  + "\(outcome.dataset.itemCount) items: hash \(hashTime), read \(readTime), COPY into PostgreSQL "
                  + "\(importTime) (old copy deleted in \(deleteTime)); peak RSS \(String(format: "%.0f", peakRSSMiB())) MiB")
        }
    }

    /// Loads the dataset `name` from PostgreSQL as a worker does.
    struct Load: ParsableCommand {
        @Argument var name: String

        func run() throws {
            let db = try PostgresConnection.fromEnvironment()
            let start = Date()
            let dataset = try StoredDatasetLoader.load(db, name: name)
            print("load    \(dataset.interactionCount) interactions from PostgreSQL in \(seconds(since: start)); "
                  + "peak RSS \(String(format: "%.0f", peakRSSMiB())) MiB")
        }
    }
}
