// bench-pretrain: wall-clock seconds per pretraining epoch of each method on a synthetic dataset, and the linear
// probe accuracy of the result on `future_top_category` (all train labels), beside the majority class.
//
// Usage: bench-pretrain [--users 6040] [--items 3706] [--mean-length 165.6] [--epochs 2]
//                       [--methods barlow_twins,contrastive,dual_encoder,none] [--d 64] [--blocks 2] [--heads 2]
//                       [--ff 256] [--max-length 50] [--batch 256] [--encoder transformer|mean_pool]
//                       [--workers N] [--seed 1] [--no-probe]
// Defaults: MovieLens-1M scale (`ml1m` preset sizes) and the protocol encoder. Set OPENBLAS_CORETYPE (e.g.
// SkylakeX) in the environment to override OpenBLAS's kernel choice.
import Foundation
import Learning
import Sequences
import Tensors

struct Options {
    var users = 6_040
    var items = 3_706
    var meanLength = 165.6
    var epochs = 2
    var methods: [PretrainMethod] = [.barlowTwins, .contrastive, .dualEncoder, .none]
    var d = 64
    var blocks = 2
    var heads = 2
    var ff = 256
    var maxLength = 50
    var batch = 256
    var encoder = EncoderKind.transformer
    var workers: Int?
    var seed: UInt64 = 1
    var probe = true

    static func parse(_ arguments: [String]) -> Options {
        var options = Options()
        var index = 0
        func value(_ flag: String) -> String {
            index += 1
            guard index < arguments.count else { fail("missing value after \(flag)") }
            return arguments[index]
        }
        func integer(_ flag: String) -> Int {
            let text = value(flag)
            guard let number = Int(text), number >= 1 else { fail("\(flag) expects a positive integer, got '\(text)'") }
            return number
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "--users": options.users = integer(flag)
            case "--items": options.items = integer(flag)
            case "--mean-length":
                let text = value(flag)
                guard let number = Double(text), number >= 5 else { fail("--mean-length expects ≥ 5, got '\(text)'") }
                options.meanLength = number
            case "--epochs": options.epochs = integer(flag)
            case "--methods":
                options.methods = value(flag).split(separator: ",").map { name in
                    guard let method = PretrainMethod(rawValue: String(name)) else {
                        fail("--methods: unknown method '\(name)'; allowed: "
                             + PretrainMethod.allCases.map(\.rawValue).joined(separator: ", "))
                    }
                    return method
                }
            case "--d": options.d = integer(flag)
            case "--blocks": options.blocks = integer(flag)
            case "--heads": options.heads = integer(flag)
            case "--ff": options.ff = integer(flag)
            case "--max-length": options.maxLength = integer(flag)
            case "--batch": options.batch = integer(flag)
            case "--encoder":
                let text = value(flag)
                guard let kind = EncoderKind(rawValue: text) else { fail("--encoder: transformer or mean_pool") }
                options.encoder = kind
            case "--workers": options.workers = integer(flag)
            case "--seed": options.seed = UInt64(integer(flag))
            case "--no-probe": options.probe = false
            case "--help", "-h":
                print("usage: bench-pretrain [--users N] [--items N] [--mean-length X] [--epochs N] [--methods a,b] "
                      + "[--d N] [--blocks N] [--heads N] [--ff N] [--max-length N] [--batch N] "
                      + "[--encoder transformer|mean_pool] [--workers N] [--seed N] [--no-probe]")
                exit(0)
            default: fail("unknown flag '\(flag)' (see --help)")
            }
            index += 1
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    print("bench-pretrain: \(message)")
    exit(2)
}

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

func rounded(_ x: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", x) }

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
if let workers = options.workers { Parallel.setWorkerCount(workers) }
BLAS.prepareForParallelWorkers()
print("bench-pretrain: \(BLASInfo.summary)")
var start = ContinuousClock.now
let world = SyntheticWorld(config: SyntheticConfig(users: options.users, items: options.items,
                                                   meanLength: options.meanLength, seed: 0))
let data = try PreparedDataset(world.dataset(), config: Preprocessing(maxLength: options.maxLength, seed: 0))
let meanWindow = Double(data.trainUsers.reduce(0) { $0 + data.encoderHistory(of: Int($1)).count })
    / Double(data.trainUsers.count)
print("bench-pretrain: \(data.userCount) users (\(data.trainUsers.count) train), \(data.itemCount) items, "
      + "\(data.interactionCount) interactions, mean encoder window \(rounded(meanWindow, 1)) items; prepared in "
      + "\(rounded(seconds(since: start))) s")
let encoder = EncoderConfig(kind: options.encoder, itemCount: data.itemCount, dimension: options.d,
                            blocks: options.blocks, heads: options.heads, feedForward: options.ff,
                            maxLength: options.maxLength)
print("bench-pretrain: \(options.encoder.rawValue) d \(options.d), \(options.blocks) blocks, \(options.heads) heads, "
      + "ff \(options.ff), window \(options.maxLength), batch \(options.batch), \(options.epochs) epochs")
let task = try data.labels(for: .futureTopCategory)

/// Linear-probe test accuracy on `future_top_category` with every train label, and the majority-class accuracy.
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

for method in options.methods {
    let config = PretrainConfig(method: method, encoder: encoder, epochs: options.epochs, batchSize: options.batch)
    var epochSeconds: [Double] = []
    var epochStart = ContinuousClock.now
    start = ContinuousClock.now
    let result = try Pretrainer.train(
        data: data, config: config, seed: options.seed,
        callbacks: PretrainCallbacks(onEpoch: { metrics in
            epochSeconds.append(seconds(since: epochStart))
            epochStart = ContinuousClock.now
            print("  \(method.rawValue) epoch \(metrics.epoch): step \(metrics.step), loss "
                  + "\(rounded(metrics.values["loss"] ?? 0, 4)), \(rounded(epochSeconds.last!)) s")
        }))
    let total = seconds(since: start)
    let perEpoch = epochSeconds.isEmpty ? 0 : epochSeconds.reduce(0, +) / Double(epochSeconds.count)
    var line = "\(method.rawValue): \(result.steps) steps (\(result.stepsPerEpoch)/epoch), \(rounded(total)) s total, "
        + "\(rounded(perEpoch)) s/epoch"
    if let recall = result.metrics["recall_at_10"] { line += ", next-item Recall@10 \(rounded(recall, 3))" }
    if options.probe {
        let (accuracy, majority) = try probe(result)
        line += ", future_top_category probe accuracy \(rounded(accuracy, 3)) (majority \(rounded(majority, 3)))"
    }
    print(line)
}
