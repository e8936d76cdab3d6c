// bench-pretrain: wall-clock seconds per pretraining epoch of each method on a synthetic dataset, and the linear
// probe accuracy of the result on `future_top_category` (all train labels), beside the majority class.
//
// Usage: bench-pretrain [--users 6040] [--items 3706] [--mean-length 165.6] [--epochs 2]
//                       [--methods barlow_twins,contrastive,dual_encoder,none] [--d 64] [--blocks 2] [--heads 2]
//                       [--ff 256] [--max-length 50] [--batch 256] [--encoder transformer|mean_pool]
//                       [--workers N] [--seed 1] [--no-probe]
// Defaults: MovieLens-1M scale (`ml1m` preset sizes) and the protocol encoder. Set OPENBLAS_CORETYPE (e.g.
// SkylakeX) in the environment to override OpenBLAS's kernel choice.
import ArgumentParser
import Foundation
import Learning
import Sequences
import Tensors

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

func rounded(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

/// The pretraining methods to time: a comma-separated list of `PretrainMethod` raw values.
struct MethodList: ExpressibleByArgument {
    var methods: [PretrainMethod]

    init(_ methods: [PretrainMethod]) { self.methods = methods }

    init?(argument: String) {
        let methods = argument.split(separator: ",", omittingEmptySubsequences: false)
            .map { PretrainMethod(rawValue: String($0)) }
        guard !methods.isEmpty, !methods.contains(nil) else { return nil }
        self.methods = methods.compactMap { $0 }
    }

    var defaultValueDescription: String { methods.map(\.rawValue).joined(separator: ",") }
    static var allValueStrings: [String] { PretrainMethod.allCases.map(\.rawValue) }
}

extension EncoderKind: ExpressibleByArgument {}

/// `bench-pretrain`: times pretraining epochs of each method on a synthetic dataset, then probes the result.
@main
struct BenchPretrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-pretrain",
        abstract: "Time pretraining epochs of each method on a synthetic dataset and probe the result.",
        discussion: """
            Prints the BLAS build, the synthetic dataset's size and preparation time, and the encoder; then for \
            each method one line per epoch (step, loss, seconds) and a summary line: steps, total seconds, \
            seconds per epoch, next-item Recall@10 where the method has it, and (unless --no-probe) the linear \
            probe's test accuracy on future_top_category with all train labels beside the majority class. \
            Defaults: MovieLens-1M scale (the ml1m preset's sizes) and the protocol encoder. Set \
            OPENBLAS_CORETYPE (e.g. SkylakeX) in the environment to override OpenBLAS's kernel choice.
            """)

    @Option(help: "Synthetic users.")
    var users = 6_040
    @Option(help: "Synthetic items.")
    var items = 3_706
    @Option(help: "Mean history length (at least 5).")
    var meanLength = 165.6
    @Option(help: "Epochs per method.")
    var epochs = 2
    @Option(help: "Methods to time, comma-separated.")
    var methods = MethodList([.barlowTwins, .contrastive, .dualEncoder, .none])
    @Option(help: "Model dimension.")
    var d = 64
    @Option(help: "Transformer blocks.")
    var blocks = 2
    @Option(help: "Attention heads.")
    var heads = 2
    @Option(help: "Feed-forward width.")
    var ff = 256
    @Option(help: "Encoder window (the longest history it sees).")
    var maxLength = 50
    @Option(help: "Batch size.")
    var batch = 256
    @Option(help: "The encoder.")
    var encoder = EncoderKind.transformer
    @Option(help: "Library worker threads (default: the CPU count).")
    var workers: Int?
    @Option(help: "Training seed.")
    var seed: UInt64 = 1
    @Flag(help: "Skip the linear probe.")
    var noProbe = false

    func validate() throws {
        let integers: [(String, Int?)] = [
            ("--users", users), ("--items", items), ("--epochs", epochs), ("--d", d), ("--blocks", blocks),
            ("--heads", heads), ("--ff", ff), ("--max-length", maxLength), ("--batch", batch), ("--workers", workers),
        ]
        for case let (flag, value?) in integers where value < 1 {
            throw ValidationError("\(flag) expects a positive integer, got '\(value)'")
        }
        guard meanLength >= 5 else { throw ValidationError("--mean-length expects ≥ 5, got '\(meanLength)'") }
        guard seed >= 1 else { throw ValidationError("--seed expects a positive integer, got '\(seed)'") }
    }

    func run() throws {
        if let workers { Parallel.setWorkerCount(workers) }
        BLAS.prepareForParallelWorkers()
        print("bench-pretrain: \(BLASInfo.summary)")
        var start = ContinuousClock.now
        let world = SyntheticWorld(config: SyntheticConfig(users: users, items: items, meanLength: meanLength, seed: 0))
        let data = try PreparedDataset(world.dataset(), config: Preprocessing(maxLength: maxLength, seed: 0))
        let meanWindow = Double(data.trainUsers.reduce(0) { $0 + data.encoderHistory(of: Int($1)).count })
            / Double(data.trainUsers.count)
        print("bench-pretrain: \(data.userCount) users (\(data.trainUsers.count) train), \(data.itemCount) items, "
              + "\(data.interactionCount) interactions, mean encoder window \(rounded(meanWindow, 1)) items; "
              + "prepared in \(rounded(seconds(since: start))) s")
        let encoderConfig = EncoderConfig(kind: encoder, itemCount: data.itemCount, dimension: d,
                                          blocks: blocks, heads: heads, feedForward: ff, maxLength: maxLength)
        print("bench-pretrain: \(encoder.rawValue) d \(d), \(blocks) blocks, \(heads) heads, ff \(ff), "
              + "window \(maxLength), batch \(batch), \(epochs) epochs")
        let task = try data.labels(for: .futureTopCategory)

        /// Linear-probe test accuracy on `future_top_category` with every train label, and the majority-class
        /// accuracy.
        func probe(_ result: PretrainResult) throws -> (accuracy: Double, majority: Double) {
            let embedder = try UserEmbedder(config: result.encoder, checkpoint: result.checkpoint)
            let train = task.labelled(data.trainUsers)
            let validation = task.labelled(data.validationUsers)
            let test = task.labelled(data.testUsers)
            func labels(_ users: [Int32]) -> [Int] { users.map { Int(task.labels[Int($0)]) } }
            let fitted = LogisticRegression.Probe.fit(
                train: FeatureMatrix(embedder.embed(data: data, users: train)), labels: labels(train),
                classes: task.classCount, validation: FeatureMatrix(embedder.embed(data: data, users: validation)),
                validationLabels: labels(validation))
            let predicted = fitted.predict(FeatureMatrix(embedder.embed(data: data, users: test)))
            return (Metrics.accuracy(truth: labels(test), predicted: predicted) ?? 0,
                    Metrics.majorityClassAccuracy(truth: labels(test), reference: labels(train)) ?? 0)
        }

        for method in methods.methods {
            let config = PretrainConfig(method: method, encoder: encoderConfig, epochs: epochs, batchSize: batch)
            var epochSeconds: [Double] = []
            var epochStart = ContinuousClock.now
            start = ContinuousClock.now
            let result = try Pretrainer.train(
                data: data, config: config, seed: seed,
                callbacks: PretrainCallbacks(onEpoch: { metrics in
                    epochSeconds.append(seconds(since: epochStart))
                    epochStart = ContinuousClock.now
                    print("  \(method.rawValue) epoch \(metrics.epoch): step \(metrics.step), loss "
                          + "\(rounded(metrics.values["loss"] ?? 0, 4)), \(rounded(epochSeconds.last!)) s")
                }))
            let total = seconds(since: start)
            let perEpoch = epochSeconds.isEmpty ? 0 : epochSeconds.reduce(0, +) / Double(epochSeconds.count)
            var line = "\(method.rawValue): \(result.steps) steps (\(result.stepsPerEpoch)/epoch), "
                + "\(rounded(total)) s total, \(rounded(perEpoch)) s/epoch"
            if let recall = result.metrics["recall_at_10"] { line += ", next-item Recall@10 \(rounded(recall, 3))" }
            if !noProbe {
                let (accuracy, majority) = try probe(result)
                line += ", future_top_category probe accuracy \(rounded(accuracy, 3)) "
                    + "(majority \(rounded(majority, 3)))"
            }
            print(line)
        }
    }
}
