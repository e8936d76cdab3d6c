// bench-train: times one Barlow Twins pretraining step (both views forward and backward, AdamW step) at the
// protocol's default size and prints ms/step, sequence-views/s, achieved GEMM GFLOP/s and the GEMM time share.
//
// Usage: bench-train [--steps 20] [--warmup 3] [--batch 256] [--length 50] [--min-length 10] [--dim 64]
//                    [--blocks 2] [--heads 2] [--ff 256] [--projector 256] [--vocab 3706] [--dropout 0.1]
//                    [--workers N] [--threads N] [--seed 1]
// --workers: library worker threads (default: CPU count; large GEMMs and kernels are split across them and
// OpenBLAS runs one thread per call). --workers 1 --threads 2 instead lets OpenBLAS thread each GEMM itself.
// Set OPENBLAS_CORETYPE (e.g. SkylakeX) in the environment before starting to choose the OpenBLAS kernel.
import NeuralNet
import Tensors

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var steps = 20
    var warmup = 3
    var batch = 256
    var length = 50
    var minLength = 10
    var dim = 64
    var blocks = 2
    var heads = 2
    var ff = 256
    var projector = 256
    var vocab = 3706
    var dropout: Float = 0.1
    var threads: Int?
    var workers: Int?
    var seed: UInt64 = 1

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
            guard let number = Int(text), number >= 0 else {
                fail("\(flag) expects a non-negative integer, got '\(text)'")
            }
            return number
        }
        while index < arguments.count {
            let flag = arguments[index]
            switch flag {
            case "--steps": options.steps = integer(flag)
            case "--warmup": options.warmup = integer(flag)
            case "--batch": options.batch = integer(flag)
            case "--length": options.length = integer(flag)
            case "--min-length": options.minLength = integer(flag)
            case "--dim": options.dim = integer(flag)
            case "--blocks": options.blocks = integer(flag)
            case "--heads": options.heads = integer(flag)
            case "--ff": options.ff = integer(flag)
            case "--projector": options.projector = integer(flag)
            case "--vocab": options.vocab = integer(flag)
            case "--threads": options.threads = integer(flag)
            case "--workers": options.workers = integer(flag)
            case "--seed": options.seed = UInt64(integer(flag))
            case "--dropout":
                let text = value(flag)
                guard let p = Float(text), (0..<1).contains(p) else {
                    fail("--dropout expects a value in [0, 1), got '\(text)'")
                }
                options.dropout = p
            case "--help", "-h":
                print("usage: bench-train [--steps N] [--warmup N] [--batch N] [--length N] [--min-length N] [--dim N] "
                      + "[--blocks N] [--heads N] [--ff N] [--projector N] [--vocab N] [--dropout P] "
                      + "[--workers N] [--threads N] "
                      + "[--seed N]")
                exit(0)
            default: fail("unknown flag '\(flag)' (see --help)")
            }
            index += 1
        }
        guard options.minLength >= 1, options.minLength <= options.length else {
            fail("need 1 ≤ --min-length ≤ --length")
        }
        guard options.batch >= 2, options.steps >= 1, options.vocab >= 2 else {
            fail("need --batch ≥ 2, --steps ≥ 1 and --vocab ≥ 2")
        }
        return options
    }
}

func fail(_ message: String) -> Never {
    print("bench-train: \(message)")
    exit(2)
}

/// Two random views of `batch` sequences: lengths uniform in minLength…length, ids uniform in 1..<vocab.
func randomViews(_ o: Options, generator: inout SeededGenerator) -> TokenBatch {
    var ids = [Int32](repeating: 0, count: 2 * o.batch * o.length)
    var lengths: [Int] = []
    for row in 0..<(2 * o.batch) {
        let n = o.minLength + generator.nextInt(below: o.length - o.minLength + 1)
        for t in 0..<n { ids[row * o.length + t] = Int32(1 + generator.nextInt(below: o.vocab - 1)) }
        lengths.append(n)
    }
    return TokenBatch(ids: ids, batchSize: 2 * o.batch, length: o.length, lengths: lengths)
}

let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
if let workers = options.workers { Parallel.setWorkerCount(workers) }
BLAS.prepareForParallelWorkers()
if let threads = options.threads { BLASInfo.setThreadCount(threads) }
print("bench-train: \(BLASInfo.summary)")
print("bench-train: OPENBLAS_CORETYPE=\(getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } ?? "(unset)")")
print("bench-train: batch \(options.batch) ×2 views, length \(options.minLength)-\(options.length), d \(options.dim), "
      + "\(options.blocks) blocks, \(options.heads) heads, ff \(options.ff), projector \(options.dim)-"
      + "\(options.projector)-\(options.projector)-\(options.projector), vocab \(options.vocab), AdamW")

let root = SeededGenerator(seed: options.seed)
var initGenerator = root.derived("init")
var dataGenerator = root.derived("data")
var dropoutGenerator = root.derived("dropout")
let encoder = TransformerEncoder(
    TransformerEncoderConfig(vocabulary: options.vocab, dimension: options.dim, blocks: options.blocks,
                             heads: options.heads, feedForward: options.ff, maxLength: options.length,
                             dropout: options.dropout),
    generator: &initGenerator)
let projector = Projector(input: options.dim, widths: [options.projector, options.projector, options.projector],
                          generator: &initGenerator)
let parameters = encoder.parameters + projector.parameters
let optimizer = Adam.adamW(parameters: parameters, learningRate: 1e-3, weightDecay: 1e-6)
let lambda = 1 / Float(options.projector)
print("bench-train: \(Parameter.scalarCount(parameters)) trainable parameters")

@MainActor func step(_ batch: TokenBatch) -> Float {
    Parameter.zeroGrads(parameters)
    let u = encoder.forward(batch, training: true, generator: &dropoutGenerator)
    let z = projector.forward(u, training: true, groups: 2)
    let b = options.batch
    let result = Losses.barlowTwins(z.rowSlice(0..<b), z.rowSlice(b..<(2 * b)), lambda: lambda)
    let dz = Tensor.concatenateRows([result.gradient1, result.gradient2])
    encoder.backward(projector.backward(dz))
    optimizer.step()
    return result.loss
}

for _ in 0..<options.warmup { _ = step(randomViews(options, generator: &dataGenerator)) }
var totalNanoseconds: UInt64 = 0
var tokens = 0
var lastLoss: Float = 0
var stepTimes: [Double] = []
BLAS.resetProfile()
BLAS.setProfiling(true)
for _ in 0..<options.steps {
    let batch = randomViews(options, generator: &dataGenerator)
    tokens += batch.layout.tokenCount
    let start = BLAS.nowNanoseconds()
    lastLoss = step(batch)
    let elapsed = BLAS.nowNanoseconds() - start
    totalNanoseconds += elapsed
    stepTimes.append(Double(elapsed) / 1e6)
}
BLAS.setProfiling(false)
let msPerStep = Double(totalNanoseconds) / 1e6 / Double(options.steps)
let views = Double(2 * options.batch * options.steps) / (Double(totalNanoseconds) / 1e9)
let gflops = Double(BLAS.profiledGEMMFlops) / Double(totalNanoseconds)
// GEMM wall time: parallel GEMMs are timed as a whole; direct GEMMs (attention, run inside the workers) are summed
// over threads, so they are divided by the worker count: an estimate.
let gemmWall = Double(BLAS.profiledParallelGEMMNanoseconds)
    + Double(BLAS.profiledGEMMNanoseconds) / Double(Parallel.workerCount)
let gemmShare = gemmWall / Double(totalNanoseconds)
let sorted = stepTimes.sorted()
func fmt(_ x: Double, _ digits: Int = 1) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (x * scale).rounded() / scale
    return "\(rounded)"
}
print("bench-train: \(options.steps) steps after \(options.warmup) warm-up, loss \(lastLoss)")
print("bench-train: \(fmt(msPerStep)) ms/step (median \(fmt(sorted[sorted.count / 2])), "
      + "min \(fmt(sorted.first!))), \(fmt(views, 0)) sequence-views/s")
print("bench-train: valid tokens/step \(tokens / options.steps) of \(2 * options.batch * options.length) padded "
      + "(padding is never computed)")
print("bench-train: GEMM \(fmt(Double(BLAS.profiledGEMMFlops) / 1e9 / Double(options.steps), 2)) GFLOP/step, "
      + "achieved \(fmt(gflops)) GFLOP/s over the whole step, "
      + "\(fmt(Double(BLAS.profiledGEMMFlops) / max(gemmWall, 1))) "
      + "GFLOP/s inside GEMM")
print("bench-train: time in GEMM \(fmt(100 * gemmShare))%, rest \(fmt(100 * (1 - gemmShare)))% "
      + "(\(fmt(gemmWall / 1e6 / Double(options.steps))) of \(fmt(msPerStep)) ms/step)")
