// Benchmark: the linear probe on Amazon Beauty 5-core bag_of_items features (PROTOCOL.md section 5), one line
// per label fraction with its time, accuracy and chosen L2 strength. Prints figures, asserts nothing.
//
// Usage: bench-probe [--task future_top_category|future_categories] [--fractions 0.01,0.05,...]
//                    [--grid 1e-4,...] [--options tight] [--max-iterations N] [--gradient-tolerance T]
//                    [--relative-tolerance T] [--data DIR]
// Data: `--data`, else env SEQTWINS_SHARED_DATA, else ../shared/data relative to the working directory.
import Experiments
import Foundation
import Learning
import Sequences
import Tensors

/// Reads `--name value` from the command line.
func argument(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

/// A comma-separated list of numbers.
func numbers(_ text: String) -> [Double] {
    text.split(separator: ",").map { part in
        guard let value = Double(part) else { fatalError("bench-probe: '\(part)' is not a number") }
        return value
    }
}

let dataRoot =
    argument("data") ?? ProcessInfo.processInfo.environment["SEQTWINS_SHARED_DATA"]
    ?? FileManager.default.currentDirectoryPath + "/../shared/data"
let folder = dataRoot + "/amazon-beauty-5core"
let task = TaskKind(rawValue: argument("task") ?? "future_top_category") ?? .futureTopCategory
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
if let grid = argument("grid") { settings.l2Grid = numbers(grid) }
if let cap = argument("max-iterations").flatMap(Int.init) { settings.options.maxIterations = cap }
if let tolerance = argument("gradient-tolerance").flatMap(Double.init) {
    settings.options.gradientTolerance = tolerance
}
if let tolerance = argument("relative-tolerance").flatMap(Double.init) {
    settings.options.relativeTolerance = tolerance
}
if argument("options") == "tight" { settings.options = LBFGSOptions() }
print("options: \(settings.options)")
let fractions = argument("fractions").map(numbers) ?? spec.labelFractions
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
