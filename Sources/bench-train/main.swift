// bench-train: times one Barlow Twins pretraining step (both views forward and backward, AdamW step) at the
// protocol's default size and prints ms/step, sequence-views/s, achieved GEMM GFLOP/s and the GEMM time share.
//
// Usage: bench-train [--steps 20] [--warmup 3] [--batch 256] [--length 50] [--min-length 10] [--dim 64]
//                    [--blocks 2] [--heads 2] [--ff 256] [--projector 256] [--vocab 3706] [--dropout 0.1]
//                    [--workers N] [--threads N] [--seed 1]
// --workers: library worker threads (default: CPU count; large GEMMs and kernels are split across them and
// OpenBLAS runs one thread per call). --workers 1 --threads 2 instead lets OpenBLAS thread each GEMM itself.
// Set OPENBLAS_CORETYPE (e.g. SkylakeX) in the environment before starting to choose the OpenBLAS kernel.
import ArgumentParser
import NeuralNet
import Tensors

#if canImport(Glibc)
import Glibc
#endif

/// `bench-train`: times Barlow Twins pretraining steps on random sequences and prints the step's figures.
@main
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Time one Barlow Twins pretraining step (both views forward and backward, AdamW) on random data.",
        discussion: """
            Prints the BLAS build and OPENBLAS_CORETYPE, the model's size and parameter count, then after the \
            warm-up steps: the last loss, ms/step (mean, median, min), sequence-views/s, valid tokens per step, \
            GEMM GFLOP per step, achieved GFLOP/s over the whole step and inside GEMM, and the share of the step \
            spent in GEMM. --workers sets the library's worker threads (default: the CPU count; OpenBLAS then runs \
            one thread per call); --workers 1 --threads 2 lets OpenBLAS thread each GEMM itself. Set \
            OPENBLAS_CORETYPE (e.g. SkylakeX) in the environment to choose the OpenBLAS kernel.
            """)

    @Option(help: "Timed steps.")
    var steps = 20
    @Option(help: "Untimed warm-up steps.")
    var warmup = 3
    @Option(help: "Sequences per view (the step sees twice as many).")
    var batch = 256
    @Option(help: "Padded sequence length (the longest sequence).")
    var length = 50
    @Option(help: "The shortest sequence; lengths are uniform in min-length...length.")
    var minLength = 10
    @Option(help: "Model dimension d.")
    var dim = 64
    @Option(help: "Transformer blocks.")
    var blocks = 2
    @Option(help: "Attention heads.")
    var heads = 2
    @Option(help: "Feed-forward width.")
    var ff = 256
    @Option(help: "Projector width (three layers).")
    var projector = 256
    @Option(help: "Vocabulary size (item ids 1..<vocab).")
    var vocab = 3706
    @Option(help: "Dropout probability, in [0, 1).")
    var dropout: Float = 0.1
    @Option(help: "Library worker threads (default: the CPU count).")
    var workers: Int?
    @Option(help: "OpenBLAS threads per call.")
    var threads: Int?
    @Option(help: "Random seed for the weights, the data and dropout.")
    var seed: UInt64 = 1

    func validate() throws {
        let integers: [(String, Int?)] = [
            ("--steps", steps), ("--warmup", warmup), ("--batch", batch), ("--length", length),
            ("--min-length", minLength), ("--dim", dim), ("--blocks", blocks), ("--heads", heads), ("--ff", ff),
            ("--projector", projector), ("--vocab", vocab), ("--workers", workers), ("--threads", threads),
        ]
        for case let (flag, value?) in integers where value < 0 {
            throw ValidationError("\(flag) expects a non-negative integer, got '\(value)'")
        }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout expects a value in [0, 1)") }
        guard minLength >= 1, minLength <= length else { throw ValidationError("need 1 ≤ --min-length ≤ --length") }
        guard batch >= 2, steps >= 1, vocab >= 2 else {
            throw ValidationError("need --batch ≥ 2, --steps ≥ 1 and --vocab ≥ 2")
        }
    }

    /// Two random views of `batch` sequences: lengths uniform in minLength…length, ids uniform in 1..<vocab.
    func randomViews(generator: inout SeededGenerator) -> TokenBatch {
        var ids = [Int32](repeating: 0, count: 2 * batch * length)
        var lengths: [Int] = []
        for row in 0..<(2 * batch) {
            let n = minLength + generator.nextInt(below: length - minLength + 1)
            for t in 0..<n { ids[row * length + t] = Int32(1 + generator.nextInt(below: vocab - 1)) }
            lengths.append(n)
        }
        return TokenBatch(ids: ids, batchSize: 2 * batch, length: length, lengths: lengths)
    }

    func run() throws {
        if let workers { Parallel.setWorkerCount(workers) }
        BLAS.prepareForParallelWorkers()
        if let threads { BLASInfo.setThreadCount(threads) }
        print("bench-train: \(BLASInfo.summary)")
        print("bench-train: OPENBLAS_CORETYPE=\(getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } ?? "(unset)")")
        print("bench-train: batch \(batch) ×2 views, length \(minLength)-\(length), d \(dim), "
              + "\(blocks) blocks, \(heads) heads, ff \(ff), projector \(dim)-"
              + "\(projector)-\(projector)-\(projector), vocab \(vocab), AdamW")

        let root = SeededGenerator(seed: seed)
        var initGenerator = root.derived("init")
        var dataGenerator = root.derived("data")
        var dropoutGenerator = root.derived("dropout")
        let encoder = TransformerEncoder(
            TransformerEncoderConfig(vocabulary: vocab, dimension: dim, blocks: blocks,
                                     heads: heads, feedForward: ff, maxLength: length,
                                     dropout: dropout),
            generator: &initGenerator)
        let head = Projector(input: dim, widths: [projector, projector, projector], generator: &initGenerator)
        let parameters = encoder.parameters + head.parameters
        let optimizer = Adam.adamW(parameters: parameters, learningRate: 1e-3, weightDecay: 1e-6)
        let lambda = 1 / Float(projector)
        print("bench-train: \(Parameter.scalarCount(parameters)) trainable parameters")

        let b = batch
        func step(_ batch: TokenBatch) -> Float {
            Parameter.zeroGrads(parameters)
            let u = encoder.forward(batch, training: true, generator: &dropoutGenerator)
            let z = head.forward(u, training: true, groups: 2)
            let result = Losses.barlowTwins(z.rowSlice(0..<b), z.rowSlice(b..<(2 * b)), lambda: lambda)
            let dz = Tensor.concatenateRows([result.gradient1, result.gradient2])
            encoder.backward(head.backward(dz))
            optimizer.step()
            return result.loss
        }

        for _ in 0..<warmup { _ = step(randomViews(generator: &dataGenerator)) }
        var totalNanoseconds: UInt64 = 0
        var tokens = 0
        var lastLoss: Float = 0
        var stepTimes: [Double] = []
        BLAS.resetProfile()
        BLAS.setProfiling(true)
        for _ in 0..<steps {
            let batch = randomViews(generator: &dataGenerator)
            tokens += batch.layout.tokenCount
            let start = BLAS.nowNanoseconds()
            lastLoss = step(batch)
            let elapsed = BLAS.nowNanoseconds() - start
            totalNanoseconds += elapsed
            stepTimes.append(Double(elapsed) / 1e6)
        }
        BLAS.setProfiling(false)
        let msPerStep = Double(totalNanoseconds) / 1e6 / Double(steps)
        let views = Double(2 * batch * steps) / (Double(totalNanoseconds) / 1e9)
        let gflops = Double(BLAS.profiledGEMMFlops) / Double(totalNanoseconds)
        // GEMM wall time: parallel GEMMs are timed as a whole; direct GEMMs (attention, run inside the workers) are
        // summed over threads, so they are divided by the worker count: an estimate.
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
        print("bench-train: \(steps) steps after \(warmup) warm-up, loss \(lastLoss)")
        print("bench-train: \(fmt(msPerStep)) ms/step (median \(fmt(sorted[sorted.count / 2])), "
              + "min \(fmt(sorted.first!))), \(fmt(views, 0)) sequence-views/s")
        print("bench-train: valid tokens/step \(tokens / steps) of \(2 * batch * length) padded "
              + "(padding is never computed)")
        print("bench-train: GEMM \(fmt(Double(BLAS.profiledGEMMFlops) / 1e9 / Double(steps), 2)) GFLOP/step, "
              + "achieved \(fmt(gflops)) GFLOP/s over the whole step, "
              + "\(fmt(Double(BLAS.profiledGEMMFlops) / max(gemmWall, 1))) "
              + "GFLOP/s inside GEMM")
        print("bench-train: time in GEMM \(fmt(100 * gemmShare))%, rest \(fmt(100 * (1 - gemmShare)))% "
              + "(\(fmt(gemmWall / 1e6 / Double(steps))) of \(fmt(msPerStep)) ms/step)")
    }
}
