import Randomness

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
        for method in spec.methods.filter({ $0.name != .hybrid }) + spec.methods.filter({ $0.name == .hybrid }) {
            for points in spec.sweep?.points(for: method) ?? [[]] {
                let variant = spec.sweep?.applying(points, to: method) ?? method
                for seed in spec.seeds {
                    appendJobs(spec: spec, method: variant, points: points, seed: seed)
                }
            }
        }
    }

    /// The series of `spec` in plan order: per method, its label, or one `label[p=v,...]` per sweep point.
    public static func series(of spec: ExperimentSpec) -> [String] {
        spec.methods.flatMap { method in
            (spec.sweep?.points(for: method) ?? [[]]).map { SweepPoint.series(method.label, $0) }
        }
    }

    private mutating func appendJobs(spec: ExperimentSpec, method: MethodSpec, points: [SweepPoint], seed: Int) {
        let series = SweepPoint.series(method.label, points)
        let stem = "\(method.label)/seed=\(seed)" + points.map { "/\($0.label)" }.joined()
        let pretrainKey = "pretrain/\(stem)"
        let embedKey = "embed/\(stem)"
        jobs.append(
            PlannedJob(
                key: pretrainKey,
                payload: .pretrain(
                    PretrainPayload(
                        experiment: spec.name, series: series, method: method,
                        sweep: points.count == 1 ? points[0] : nil, grid: points.count > 1 ? points : nil, seed: seed,
                        trainingSeed: Self.derivedSeed(key: pretrainKey, seed: seed), dataset: spec.dataset,
                        preprocessing: spec.preprocessing, encoder: spec.encoder
                    )), dependencies: []))
        var embed = EmbedPayload(
            experiment: spec.name, series: series, method: method.name, seed: seed, pretrainKey: pretrainKey)
        var embedDependencies = [pretrainKey]
        if method.name.usesItemBag { embed.hashBuckets = method.hashBuckets }
        if method.name == .hybrid, let of = method.of {
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

    /// A job's own seed: the named stream `key` of experiment seed `seed` (``StreamHash/streamSeed(purpose:seed:)``,
    /// `splitmix64(fnv1a64(key) ⊕ seed)` kept to 53 bits, so it survives any JSON reader).
    public static func derivedSeed(key: String, seed: Int) -> UInt64 {
        StreamHash.streamSeed(purpose: key, seed: seed)
    }

    /// The job with `key`, if any.
    public func job(_ key: String) -> PlannedJob? { jobs.first { $0.key == key } }
}
