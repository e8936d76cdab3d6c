/// The DAG an experiment spec expands to (pure; the `plan` job stores it in one transaction).
///
/// Per method (and sweep value, for the swept methods) and seed: one `pretrain` job (trivial for `none` and
/// `bag_of_items`, so every method flows the same way); behind it one `embed` job; behind those the `evaluate`
/// jobs, task × protocol × label fraction. `linear_probe` waits for the `embed` job, `fine_tune` for the
/// `pretrain` job (it trains from the checkpoint); `bag_of_items` has no encoder and so no `fine_tune` jobs.
/// A `hybrid` method is expanded after the others (its embed job also waits for the `pretrain` job of the method
/// named by `of`, same seed, which must exist first); it has no `fine_tune` jobs either.
/// Keys are stable: the same spec always gives the same keys in the same order, so re-planning can skip the keys
/// that exist.
public struct ExperimentPlan: Sendable, Equatable {
    /// The experiment's name.
    public var experiment: String
    /// The jobs in a stable order: per series and seed, the pretrain job, its embed job, then its evaluations.
    public var jobs: [PlannedJob]

    /// Expands `spec`. With `supportedTasks` (the loaded dataset's tasks) it first runs
    /// ``ExperimentSpec/validate(supportedTasks:datasetName:)``.
    /// - Throws: ``ExperimentSpecError`` when a task is not supported.
    public init(spec: ExperimentSpec, supportedTasks: Set<String>? = nil) throws {
        if let supportedTasks { try spec.validate(supportedTasks: supportedTasks) }
        experiment = spec.name
        jobs = []
        // Hybrids last: their embed jobs depend on another method's pretrain jobs.
        for method in spec.methods.filter({ $0.name != "hybrid" }) + spec.methods.filter({ $0.name == "hybrid" }) {
            var variants: [(MethodSpec, SweepPoint?)] = [(method, nil)]
            if let sweep = spec.sweep, sweep.methods.contains(method.label) {
                variants = sweep.values.map { value in
                    (sweep.applying(value, to: method), SweepPoint(parameter: sweep.parameter, value: value))
                }
            }
            for (variant, point) in variants {
                let series = point.map { "\(method.label)[\($0.label)]" } ?? method.label
                for seed in spec.seeds {
                    appendJobs(spec: spec, method: variant, point: point, series: series, seed: seed)
                }
            }
        }
    }

    private mutating func appendJobs(
        spec: ExperimentSpec, method: MethodSpec, point: SweepPoint?, series: String, seed: Int
    ) {
        let stem = "\(method.label)/seed=\(seed)" + (point.map { "/\($0.label)" } ?? "")
        let pretrainKey = "pretrain/\(stem)"
        let embedKey = "embed/\(stem)"
        jobs.append(
            PlannedJob(
                key: pretrainKey,
                payload: .pretrain(
                    PretrainPayload(
                        experiment: spec.name, series: series, method: method, sweep: point, seed: seed,
                        trainingSeed: Self.derivedSeed(key: pretrainKey, seed: seed), dataset: spec.dataset,
                        preprocessing: spec.preprocessing, encoder: spec.encoder
                    )), dependencies: []))
        var embed = EmbedPayload(
            experiment: spec.name, series: series, method: method.name, seed: seed, pretrainKey: pretrainKey)
        var embedDependencies = [pretrainKey]
        if method.name == "hybrid", let of = method.of {
            embed.encoderSeries = of
            embed.encoderPretrainKey = "pretrain/\(of)/seed=\(seed)"
            embedDependencies.append("pretrain/\(of)/seed=\(seed)")
        }
        jobs.append(PlannedJob(key: embedKey, payload: .embed(embed), dependencies: embedDependencies))
        for task in spec.tasks {
            for evaluationProtocol in spec.protocols {
                if evaluationProtocol == "fine_tune" && !method.hasEncoder { continue }
                for fraction in spec.labelFractions {
                    let key = "evaluate/\(stem)/\(task)/\(evaluationProtocol)/fraction=\(Self.format(fraction))"
                    let isProbe = evaluationProtocol == "linear_probe"
                    jobs.append(
                        PlannedJob(
                            key: key,
                            payload: .evaluate(
                                EvaluatePayload(
                                    experiment: spec.name, series: series, method: method.name, seed: seed, task: task,
                                    multiLabel: spec.isMultiLabel(task: task), evaluationProtocol: evaluationProtocol,
                                    fraction: fraction, evaluationSeed: Self.derivedSeed(key: key, seed: seed),
                                    pretrainKey: pretrainKey, embedKey: isProbe ? embedKey : nil,
                                    linearProbe: isProbe ? spec.linearProbe : nil,
                                    fineTune: isProbe ? nil : spec.fineTune
                                )), dependencies: [isProbe ? embedKey : pretrainKey]))
                }
            }
        }
    }

    /// Writes a number for keys and labels: integral values without a fraction (`64`, `1`), others in Swift's
    /// shortest round-trip form (`0.05`, `0.001`, `1e-05`).
    public static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// A job's own seed: `splitmix64(fnv1a64(key) ⊕ seed)` kept to 53 bits, so it survives any JSON reader.
    public static func derivedSeed(key: String, seed: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        var z = (hash ^ UInt64(truncatingIfNeeded: seed)) &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z & ((1 << 53) - 1)
    }

    /// The job with `key`, if any.
    public func job(_ key: String) -> PlannedJob? { jobs.first { $0.key == key } }
}
