import ArgumentParser
import Experiments
import Foundation
import DatasetStore
import Postgres
import Sequences

/// `seqtwins enqueue FILE`: checks an experiment spec against its dataset, prints the plan, and enqueues it.
struct EnqueueExperimentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enqueue",
        abstract: "Check an experiment spec (JSON) against its dataset, print its plan, and enqueue it.",
        discussion: "Prints the experiment id on the last line. Nothing is stored when the spec is bad."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The spec file, e.g. Jobs/demo.json.")
    var file: String

    @Flag(help: "Check and print the plan only; store nothing.")
    var dryRun = false

    @Option(help: "Replace the spec's dataset.path (e.g. your copy of MovieLens-1M).")
    var datasetPath: String?

    @Option(help: "Replace the spec's dataset.item_attributes (sequence-format datasets).")
    var itemAttributes: String?

    @Option(help: "The experiment's priority, -1000000 to 1000000: higher is served first, equal ones share the workers.")
    var priority = 0

    func validate() throws {
        guard (-1_000_000...1_000_000).contains(priority) else {
            throw ValidationError("--priority \(priority): expected -1000000 to 1000000")
        }
    }

    func run() throws {
        var spec = try ExperimentSubmission.read(file: URL(fileURLWithPath: file), datasetPath: datasetPath,
                                                 itemAttributes: itemAttributes)
        var loader: any DatasetSourceLoader = LocalDatasetSource()
        var db: PostgresConnection?
        var pendingImport: (name: String, sources: DatasetSourceFiles, data: InteractionDataset)?
        if let path = spec.dataset.path, let kindName = spec.dataset.kind,
            let kind = Sequences.DatasetSpec.Kind(rawValue: kindName)
        {
            // Files are read here, on the user's machine, and stored in the database; workers read them there.
            let sources: DatasetSourceFiles
            do {
                sources = try DatasetSourceFiles(kind: kind, path: path, itemAttributes: spec.dataset.itemAttributes)
            } catch let error as DatasetImportError {
                throw SpecFileError(file: URL(fileURLWithPath: file).path, message: "dataset.path: \(error.message)")
            }
            if !dryRun {
                let connection = try PostgresConnection(url: connection.resolvedURL)
                db = connection
                if let found = try DatasetCatalog(connection).dataset(withContent: sources.contentSHA256),
                    found.kind == kind.rawValue
                {
                    print("dataset: using \(found.name), which holds the same content")
                    spec.dataset = DatasetSpec(name: found.name, kind: kindName)
                    loader = DatabaseDatasetSource(connection)
                } else {
                    // Read and check now; the import waits until the spec has passed every check.
                    let name = DatasetImporter.automaticName(path: path, contentSHA256: sources.contentSHA256)
                    let data = try sources.read(name: name)
                    spec.dataset = DatasetSpec(name: name, kind: kindName)
                    loader = InMemoryDatasetSource(name: name, dataset: data, fallback: DatabaseDatasetSource(connection))
                    pendingImport = (name, sources, data)
                }
            } else {
                print("dataset: \(kindName) at \(path), content sha256 \(sources.contentSHA256.prefix(12)); "
                      + "enqueue imports it into the database unless that content is there already")
            }
        } else if spec.dataset.name != nil {
            let connection = try PostgresConnection(url: connection.resolvedURL)
            db = connection
            loader = DatabaseDatasetSource(connection)
        }
        let submission: ExperimentSubmission
        do {
            submission = try ExperimentSubmission(spec: spec, loader: loader)
        } catch let error as SpecFileError {
            throw error
        } catch let error as PostgresError {
            throw error
        } catch {
            throw SpecFileError(file: URL(fileURLWithPath: file).path, message: "\(error)")
        }
        print(submission.datasetSummary.text)
        print(submission.plan.summary)
        if dryRun { return }
        let database = try db ?? PostgresConnection(url: connection.resolvedURL)
        if let pendingImport {
            DatasetImport.printOutcome(try DatasetImport.write(
                pendingImport.data, name: pendingImport.name, description: "imported by seqtwins enqueue",
                sources: pendingImport.sources, db: database))
        }
        print("experiment \(try submission.enqueue(database, priority: priority))")
    }
}

/// `seqtwins report EXPERIMENT`: the label-efficiency and gain tables, as text, CSV or JSON, and the SVG curves.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print an experiment's label-efficiency and gain tables; optionally draw the curves as SVG."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The experiment id.")
    var experiment: Int64

    @Flag(help: "Print CSV instead of aligned text.")
    var csv = false

    @Flag(help: "Print JSON instead of aligned text.")
    var json = false

    @Option(help: "Also write the label-efficiency curves to this SVG file.")
    var svg: String?

    @Option(help: ArgumentHelp("The metric: \(ReportMetric.allCases.map(\.rawValue).joined(separator: ", ")).",
                               valueName: "metric"))
    var metric = "primary"

    @Option(help: "Measure gains against this series (a method label, or a swept series such as dual_encoder[batch_size=32]); default the spec's baseline.")
    var baseline: String?

    func validate() throws {
        guard !(csv && json) else { throw ValidationError("give at most one of --csv and --json") }
        guard ReportMetric(rawValue: metric) != nil else {
            throw ValidationError("--metric \(metric): expected one of "
                                  + ReportMetric.allCases.map(\.rawValue).joined(separator: ", "))
        }
    }

    func run() throws {
        let db = try PostgresConnection(url: connection.resolvedURL)
        let store = ResultsStore(db)
        let stored = try store.spec(experiment: experiment)
        let chosen = ReportMetric(rawValue: metric) ?? .primary
        let series = try store.series(experiment: experiment)
        // A baseline is a method label (paired at the same sweep point) or one series.
        if let baseline, !series.contains(where: { $0 == baseline || $0.hasPrefix(baseline + "[") }) {
            throw ValidationError("--baseline \(baseline): no such method label or series in experiment \(experiment); "
                                  + "series: " + (series.isEmpty ? "none yet" : series.joined(separator: ", ")))
        }
        // A spec that no longer decodes (an older build's) still reports, by its name and the database's order.
        let spec = try? store.resolvedSpec(experiment: experiment)
        let report = try store.report(
            experiment: experiment, name: spec?.name ?? stored.name, metric: chosen,
            baseline: baseline ?? spec?.baseline,
            methodOrder: spec.map { ExperimentPlan.series(of: $0) } ?? [])
        if csv {
            print(report.labelEfficiencyCSV())
            if !report.gains.isEmpty { print(report.gainCSV()) }
            if !report.verdicts.isEmpty { print(report.verdictCSV()) }
            if !report.protocolGains.isEmpty { print(report.protocolGainCSV()) }
            if !report.probeCurves.isEmpty { print(report.probeCurveCSV()) }
        } else if json {
            print(String(decoding: try report.json(), as: UTF8.self))
        } else {
            if let progress = try ExperimentProgress.read(db, experiment: experiment).first, !progress.finished {
                print("note: experiment not finished: " + progress.line())
            }
            if let summary = try store.datasetSummary(experiment: experiment) { print(summary.text + "\n") }
            print(report.text())
        }
        if let svg {
            do {
                try report.svg().write(toFile: svg, atomically: true, encoding: .utf8)
            } catch {
                let folder = (svg as NSString).deletingLastPathComponent
                var isFolder: ObjCBool = false
                let reason = !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder)
                    && isFolder.boolValue) ? "no such folder \"\(folder)\"" : "cannot write there (permissions?)"
                throw ValidationError("--svg \(svg): \(reason)")
            }
            FileHandle.standardError.write(Data("wrote \(svg)\n".utf8))
        }
    }
}

/// `seqtwins wait EXPERIMENT`: shows the experiment's progress until every job has finished. A lost database
/// connection (a server restart) is retried until `--reconnect-seconds` pass without a successful read.
struct WaitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Show an experiment's progress until all its jobs finish.",
        discussion: """
            Exit status: 0 every job succeeded; 1 a job failed or was cancelled; 2 bad usage or no such experiment; \
            3 the database could not be reached (or not again within --reconnect-seconds); 4 --timeout ran out.
            """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The experiment id.")
    var experiment: Int64

    @Option(help: "Seconds between progress reads (0.05 to 3600).")
    var interval = 2.0

    @Option(help: "Give up after this many seconds (exit 4); default: wait for ever.")
    var timeout: Double?

    @Option(help: "After losing the database, reconnect for up to this many seconds (1 to 86400), then exit 3.")
    var reconnectSeconds = 120.0

    func validate() throws {
        guard interval >= 0.05, interval <= 3600 else {
            throw ValidationError("--interval \(interval): expected 0.05 to 3600 seconds")
        }
        if let timeout, !(timeout >= 0 && timeout <= 1e9) {
            throw ValidationError("--timeout \(timeout): expected 0 to 1e9 seconds")
        }
        guard reconnectSeconds >= 1, reconnectSeconds <= 86_400 else {
            throw ValidationError("--reconnect-seconds \(reconnectSeconds): expected 1 to 86400 seconds")
        }
    }

    func run() throws {
        let db = try PostgresConnection(url: connection.resolvedURL)
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        let terminal = isatty(STDOUT_FILENO) == 1
        var lastLine = ""
        var lostSince: Date?
        while true {
            let progress: ExperimentProgress
            do {
                try db.reconnectIfNeeded()
                guard let read = try ExperimentProgress.read(db, experiment: experiment).first else {
                    throw ValidationError("experiment \(experiment) does not exist")
                }
                progress = read
                if lostSince != nil { FileHandle.standardError.write(Data("reconnected to the database\n".utf8)) }
                lostSince = nil
            } catch let error as PostgresError where error.isConnectionFailure {
                let since = lostSince ?? Date()
                if lostSince == nil {
                    FileHandle.standardError.write(Data(("database connection lost (\(error.message)); reconnecting "
                                                         + "for up to \(reconnectSeconds) s\n").utf8))
                }
                lostSince = since
                guard Date().timeIntervalSince(since) < reconnectSeconds else { throw error }
                Thread.sleep(forTimeInterval: min(interval, 1))
                continue
            }
            let line = progress.line()
            // On a terminal the line is redrawn in place; in a log, a line is written only when it changes.
            if terminal {
                FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
            } else if line != lastLine {
                FileHandle.standardOutput.write(Data((line + "\n").utf8))
            }
            lastLine = line
            if progress.finished && progress.jobs > 0 {
                if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
                if progress.failed + progress.cancelled > 0 { throw ExitCode(ExitStatus.jobFailed) }
                return
            }
            if let deadline, Date() >= deadline {
                if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
                throw ExitCode(ExitStatus.timedOut)
            }
            Thread.sleep(forTimeInterval: interval)
        }
    }
}
