// Benchmark: the linear probe on Amazon Beauty 5-core bag_of_items features (PROTOCOL.md section 5), one line
// per label fraction with its time, accuracy and chosen L2 strength. Prints figures, asserts nothing.
//
// Usage: bench-probe [--task future_top_category|future_categories] [--fractions 0.01,0.05,...]
//                    [--grid 1e-4,...] [--options tight] [--max-iterations N] [--gradient-tolerance T]
//                    [--relative-tolerance T] [--data DIR]
// Data: `--data`, else env SEQTWINS_SHARED_DATA, else ../shared/data relative to the working directory.
import ArgumentParser
import Experiments
import Foundation
import Learning
import Sequences
import Tensors

/// A comma-separated list of numbers, e.g. `0.01,0.1,1`.
struct Numbers: ExpressibleByArgument {
    var values: [Double]

    init?(argument: String) {
        let values = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
        guard !values.isEmpty, !values.contains(nil) else { return nil }
        self.values = values.compactMap { $0 }
    }
}

extension TaskKind: ExpressibleByArgument {}

/// `bench-probe`: times the linear probe on Amazon Beauty's bag-of-items features at each label fraction.
@main
struct BenchProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-probe",
        abstract: "Time the linear probe on Amazon Beauty 5-core bag-of-items features at each label fraction.",
        discussion: """
            Prints the task, the user count, the feature width and the load time, the optimiser's settings and \
            the OpenBLAS core and workers, then one line per label fraction: labelled and validation counts, test \
            accuracy (ROC-AUC for a multi-label task), the chosen L2 strength, the validation score of each \
            strength, and the seconds taken (GEMM seconds beside), and last the total probe seconds. Reads \
            DATA/amazon-beauty-5core, DATA being --data, else $SEQTWINS_SHARED_DATA, else ../shared/data relative \
            to the working directory. Prints figures, asserts nothing.
            """)

    /// Which L-BFGS settings the probe starts from.
    enum OptimizerPreset: String, CaseIterable, ExpressibleByArgument {
        /// `LBFGSOptions.probe`, the protocol's probe settings, adjusted by the tolerance and iteration options.
        case probe
        /// `LBFGSOptions()`, the tight defaults; replaces the tolerance and iteration options.
        case tight
    }

    @Option(help: "The task.")
    var task = TaskKind.futureTopCategory
    @Option(help: "Label fractions, comma-separated (default: the protocol's, 0.01 to 1).")
    var fractions: Numbers?
    @Option(help: "L2 strengths tried, comma-separated (default: 1e-4,1e-3,1e-2,1e-1,1).")
    var grid: Numbers?
    @Option(help: "Optimiser settings: probe (the protocol's) or tight (L-BFGS defaults, overriding the next three).")
    var options = OptimizerPreset.probe
    @Option(help: "L-BFGS iteration cap.")
    var maxIterations: Int?
    @Option(help: "L-BFGS gradient tolerance.")
    var gradientTolerance: Double?
    @Option(help: "L-BFGS relative tolerance.")
    var relativeTolerance: Double?
    @Option(help: "The shared data folder (default: $SEQTWINS_SHARED_DATA, else ../shared/data).")
    var data: String?

    func run() throws {
        let dataRoot =
            data ?? ProcessInfo.processInfo.environment["SEQTWINS_SHARED_DATA"]
            ?? FileManager.default.currentDirectoryPath + "/../shared/data"
        let folder = dataRoot + "/amazon-beauty-5core"
        let spec = try ExperimentSpec(
            json: #"{"name": "bench-probe", "dataset": {"kind": "sequences", "path": "\#(folder)/Beauty.txt", "#
                + #""item_attributes": "\#(folder)/Beauty_item2attributes.json"}}"#)
        let request = try DatasetRequest(spec: spec, seed: 0)
        let loadStart = Date()
        let dataset = try DatasetCache.shared.prepared(request)
        let labels = try DatasetCache.shared.labels(request, task: task)
        let features = BagOfItems().features(dataset)
        print(
            "bench-probe: \(task.rawValue), \(dataset.userCount) users, d = \(features.first?.count ?? 0), "
                + "loaded in \(String(format: "%.1f", Date().timeIntervalSince(loadStart))) s")

        var settings = LinearProbeEvaluation.Settings()
        if let grid { settings.l2Grid = grid.values }
        if let maxIterations { settings.options.maxIterations = maxIterations }
        if let gradientTolerance { settings.options.gradientTolerance = gradientTolerance }
        if let relativeTolerance { settings.options.relativeTolerance = relativeTolerance }
        if options == .tight { settings.options = LBFGSOptions() }
        print("options: \(settings.options)")
        let fractions = fractions?.values ?? spec.labelFractions
        print("OpenBLAS core \(BLASInfo.coreName), workers \(Parallel.workerCount)")
        BLAS.setProfiling(true)
        var total = 0.0
        for fraction in fractions {
            let data = try EvaluationData(dataset: dataset, labels: labels, fraction: fraction)
            let start = Date()
            let result = data.linearProbe(embeddings: features, settings: settings)
            let seconds = Date().timeIntervalSince(start)
            let gemmSeconds = Double(BLAS.profiledParallelGEMMNanoseconds) / 1e9
            BLAS.resetProfile()
            total += seconds
            let metric = result.summary.accuracy ?? result.summary.rocAUC ?? .nan
            let scores = result.selection.validationScores.map { String(format: "%.4f", $0) }.joined(separator: " ")
            print(
                "fraction \(fraction): n = \(result.labelledCount), validation \(result.validationCount), "
                    + "\(result.summary.accuracy != nil ? "accuracy" : "rocAUC") \(String(format: "%.4f", metric)), "
                    + "l2 \(result.selection.l2), validation scores [\(scores)], "
                    + "seconds \(String(format: "%.2f", seconds)) (GEMM \(String(format: "%.2f", gemmSeconds)))")
        }
        print("total probe seconds \(String(format: "%.2f", total))")
    }
}
