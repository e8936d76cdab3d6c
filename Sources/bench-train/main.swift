// bench-train: times one Barlow Twins pretraining step (both views forward and backward, gradient clipping, AdamW
// step) at the protocol's default size and, in the same run, the step's GEMMs replayed alone (the bound), at each
// library worker count asked for (default 1 and 2).
//
// Usage: bench-train [--steps 20] [--warmup 3] [--batch 256] [--length 50] [--min-length 10] [--dim 64]
//                    [--blocks 2] [--heads 2] [--ff 256] [--projector 256] [--vocab 3706] [--dropout 0.1]
//                    [--workers 1,2] [--threads 1] [--optimizer adamw|lazy_adamw] [--clip 1] [--no-replay]
//                    [--seed 1]
// --workers: library worker thread counts, one run each (large GEMMs and kernels are split across the workers;
// OpenBLAS runs --threads threads per call, default 1). Set OPENBLAS_CORETYPE (e.g. SkylakeX, the kernel a worker
// picks on an AVX-512 CPU) in the environment before starting to choose the OpenBLAS kernel.
import ArgumentParser
import NeuralNet
import Tensors

#if canImport(Glibc)
import Glibc
import Randomness
#endif

/// `bench-train`: times Barlow Twins pretraining steps on random sequences and prints the step's figures.
@main
struct BenchTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-train",
        abstract: "Time a Barlow Twins pretraining step and its GEMMs alone, at 1 and 2 workers, on random data.",
        discussion: """
            Prints the BLAS build and OPENBLAS_CORETYPE, the model's size, then for each worker count of \
            --workers (one run each, same seed, same data): ms/step (mean, median, min), sequence-views/s, the CPU \
            time of the update (zeroing, clipping, optimiser step; the calling thread's) and of the whole step (all \
            threads), and the step's GEMM calls replayed alone on scratch buffers (the GEMM-only bound) with the \
            ratio step / GEMM-only in wall and CPU time; last, the speed-up of each worker count over the first \
            (median step times). --no-replay skips the replay (for profiling the steps alone). Set \
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
    @Option(help: "Library worker thread counts to run, comma-separated (each a separate run of the same steps).")
    var workers = "1,2"
    @Option(help: "OpenBLAS threads per call (default 1: the library splits large GEMMs itself).")
    var threads = 1
    @Option(help: "Optimiser: adamw (dense) or lazy_adamw (embedding rows touched by the step only).")
    var optimizer = "adamw"
    @Option(help: "Global gradient-norm clip as in pretraining (0: none).")
    var clip: Float = 1
    @Flag(inversion: .prefixedNo, help: "Replay the step's GEMM calls alone (off: steps only, e.g. under perf).")
    var replay = true
    @Option(help: "Random seed for the weights, the data and dropout.")
    var seed: UInt64 = 1

    func validate() throws {
        let integers: [(String, Int)] = [
            ("--steps", steps), ("--warmup", warmup), ("--batch", batch), ("--length", length),
            ("--min-length", minLength), ("--dim", dim), ("--blocks", blocks), ("--heads", heads), ("--ff", ff),
            ("--projector", projector), ("--vocab", vocab), ("--threads", threads),
        ]
        for case let (flag, value) in integers where value < 0 {
            throw ValidationError("\(flag) expects a non-negative integer, got '\(value)'")
        }
        guard (0..<1).contains(dropout) else { throw ValidationError("--dropout expects a value in [0, 1)") }
        guard minLength >= 1, minLength <= length else { throw ValidationError("need 1 ≤ --min-length ≤ --length") }
        guard let counts = workerCounts, !counts.isEmpty, counts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--workers expects comma-separated positive integers, got '\(workers)'")
        }
        guard ["adamw", "lazy_adamw"].contains(optimizer) else {
            throw ValidationError("--optimizer expects adamw or lazy_adamw, got '\(optimizer)'")
        }
        guard clip >= 0 else { throw ValidationError("--clip expects a non-negative value") }
        guard batch >= 2, steps >= 1, vocab >= 2 else {
            throw ValidationError("need --batch ≥ 2, --steps ≥ 1 and --vocab ≥ 2")
        }
    }

    /// Two random views of `batch` sequences: lengths uniform in minLength…length, ids uniform in 1..<vocab.
    func randomViews(generator: inout Xoshiro256StarStar) -> TokenBatch {
        var ids = [Int32](repeating: 0, count: 2 * batch * length)
        var lengths: [Int] = []
        for row in 0..<(2 * batch) {
            let n = minLength + generator.nextInt(below: length - minLength + 1)
            for t in 0..<n { ids[row * length + t] = Int32(1 + generator.nextInt(below: vocab - 1)) }
            lengths.append(n)
        }
        return TokenBatch(ids: ids, batchSize: 2 * batch, length: length, lengths: lengths)
    }

    /// The worker counts of `--workers`, or nil when it does not parse.
    var workerCounts: [Int]? {
        let parts: [Int?] = workers.split(separator: ",").map { Int($0.filter { $0 != " " }) }
        return parts.contains(nil) ? nil : parts.compactMap { $0 }
    }

    /// The figures of one run at a fixed worker count.
    struct RunFigures {
        var workers: Int
        var stepTimes: [Double]
        var stepCPUMilliseconds: Double
        var gemmCPUMilliseconds: Double
        var updateMilliseconds: Double
        var gemmMilliseconds: Double
        var gemmFlops: Int
        var gemmCalls: Int
        var tokensPerStep: Int
        var loss: Float
        var median: Double { stepTimes.sorted()[stepTimes.count / 2] }
        var mean: Double { stepTimes.reduce(0, +) / Double(stepTimes.count) }
    }

    /// CPU time of the whole process (all threads), in nanoseconds: unlike wall time, not inflated when other
    /// processes take turns on the cores (a shared machine), so step / GEMM ratios at one worker stay comparable.
    func processCPUNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// CPU time of the calling thread, in nanoseconds (the update runs on it alone).
    func threadCPUNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Builds the model from the seed, runs the warm-up and timed steps at `workerCount` workers, then records one
    /// more step's GEMM calls and replays them alone `steps` times.
    func measure(workerCount: Int) -> RunFigures {
        Parallel.setWorkerCount(workerCount)
        BLASInfo.setThreadCount(threads)
        let root = Xoshiro256StarStar(seed: seed)
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
        let lazy = optimizer == "lazy_adamw"
        let adam = Adam.adamW(parameters: parameters, learningRate: 1e-3, weightDecay: 1e-6, lazy: lazy)
        let lambda = 1 / Float(projector)
        let b = batch
        var updateNanoseconds: UInt64 = 0
        func step(_ batch: TokenBatch) -> Float {
            let zeroStart = threadCPUNanoseconds()
            Parameter.zeroGrads(parameters)
            updateNanoseconds += threadCPUNanoseconds() - zeroStart
            let u = encoder.forward(batch, training: true, generator: &dropoutGenerator)
            let z = head.forward(u, training: true, groups: 2)
            let result = Losses.barlowTwins(z.rowSlice(0..<b), z.rowSlice(b..<(2 * b)), lambda: lambda)
            let dz = Tensor.concatenateRows([result.gradient1, result.gradient2])
            encoder.backward(head.backward(dz))
            let updateStart = threadCPUNanoseconds()
            if clip > 0 { clipGradientNorm(parameters, maxNorm: clip, sparseRows: lazy) }
            adam.step()
            updateNanoseconds += threadCPUNanoseconds() - updateStart
            return result.loss
        }

        for _ in 0..<warmup { _ = step(randomViews(generator: &dataGenerator)) }
        updateNanoseconds = 0
        var tokens = 0
        var loss: Float = 0
        var stepTimes: [Double] = []
        let cpuStart = processCPUNanoseconds()
        for _ in 0..<steps {
            let batch = randomViews(generator: &dataGenerator)
            tokens += batch.layout.tokenCount
            let start = BLAS.nowNanoseconds()
            loss = step(batch)
            stepTimes.append(Double(BLAS.nowNanoseconds() - start) / 1e6)
        }
        let stepCPU = Double(processCPUNanoseconds() - cpuStart) / 1e6 / Double(steps)
        let updateMilliseconds = Double(updateNanoseconds) / 1e6 / Double(steps)
        GEMMTrace.start()
        if replay { _ = step(randomViews(generator: &dataGenerator)) }
        let calls = GEMMTrace.stop()
        _ = GEMMTrace.replay(calls)  // warm-up: buffers allocated and touched
        let replayCPUStart = processCPUNanoseconds()
        let gemmNanoseconds = GEMMTrace.replay(calls, repetitions: replay ? steps : 0)
        let gemmCPU = Double(processCPUNanoseconds() - replayCPUStart) / 1e6 / Double(steps)
        return RunFigures(workers: workerCount, stepTimes: stepTimes, stepCPUMilliseconds: stepCPU,
                          gemmCPUMilliseconds: gemmCPU, updateMilliseconds: updateMilliseconds,
                          gemmMilliseconds: gemmNanoseconds / 1e6, gemmFlops: calls.reduce(0) { $0 + $1.flops },
                          gemmCalls: calls.count, tokensPerStep: tokens / steps, loss: loss)
    }

    func run() throws {
        let counts = workerCounts ?? [1]
        MemoryReuse.keepFreedMemory()  // as a worker does
        Parallel.setWorkerCount(counts.max() ?? 1)
        BLAS.prepareForParallelWorkers()
        BLASInfo.setThreadCount(threads)
        print("bench-train: \(BLASInfo.summary)")
        print("bench-train: OPENBLAS_CORETYPE=\(getenv("OPENBLAS_CORETYPE").map { String(cString: $0) } ?? "(unset)")")
        print("bench-train: batch \(batch) ×2 views, length \(minLength)-\(length), d \(dim), "
              + "\(blocks) blocks, \(heads) heads, ff \(ff), projector \(dim)-"
              + "\(projector)-\(projector)-\(projector), vocab \(vocab), \(optimizer), clip \(clip), "
              + "\(steps) steps after \(warmup) warm-up, OpenBLAS \(threads) thread(s) per call")
        func fmt(_ x: Double, _ digits: Int = 1) -> String {
            var scale = 1.0
            for _ in 0..<digits { scale *= 10 }
            return "\((x * scale).rounded() / scale)"
        }
        var results: [RunFigures] = []
        for count in counts {
            let r = measure(workerCount: count)
            results.append(r)
            let views = Double(2 * batch) / (r.mean / 1e3)
            print("bench-train: workers \(count): \(fmt(r.mean)) ms/step (median \(fmt(r.median)), "
                  + "min \(fmt(r.stepTimes.min()!))), \(fmt(views, 0)) sequence-views/s, loss \(r.loss), "
                  + "valid tokens/step \(r.tokensPerStep) of \(2 * batch * length)")
            print("bench-train: workers \(count): update (zero grads, clip, \(optimizer)) "
                  + "\(fmt(r.updateMilliseconds, 2)) ms/step of the calling thread's CPU time; step CPU time "
                  + "(all threads) "
                  + "\(fmt(r.stepCPUMilliseconds)) ms/step")
            guard replay else { continue }
            print("bench-train: workers \(count): GEMM alone \(fmt(r.gemmMilliseconds)) ms/step "
                  + "(\(r.gemmCalls) calls, \(fmt(Double(r.gemmFlops) / 1e9, 2)) GFLOP, "
                  + "\(fmt(Double(r.gemmFlops) / (r.gemmMilliseconds * 1e6))) GFLOP/s); "
                  + "step / GEMM alone = \(fmt(r.median / r.gemmMilliseconds, 2)) (median step); in CPU time "
                  + "GEMM alone \(fmt(r.gemmCPUMilliseconds)) ms/step, step / GEMM alone "
                  + "\(fmt(r.stepCPUMilliseconds / r.gemmCPUMilliseconds, 2))")
        }
        if let first = results.first {
            for r in results.dropFirst() {
                print("bench-train: \(r.workers) workers vs \(first.workers): "
                      + "\(fmt(first.median / r.median, 2))x the speed (median step), "
                      + (replay ? "GEMM alone \(fmt(first.gemmMilliseconds / r.gemmMilliseconds, 2))x"
                                    : ""))
            }
        }
    }
}
