import Foundation
import Sequences

/// The data of one experiment seed, resolved from the spec: where the interactions come from and how they are
/// prepared (PROTOCOL.md section 1). Built from ``DatasetSpec`` + ``PreprocessingSpec`` + the experiment seed.
///
/// Field mapping:
/// - `dataset.kind`/`path`/`item_attributes` → `Sequences.DatasetSpec(kind:path:options:)`, with
///   `item_attributes` as the `sequences` reader's `attributes` option; Yelp reads `review.json` and
///   `business.json` inside `path`.
/// - `dataset.synthetic` → `SyntheticConfig(users, items, categories, meanLength: mean_sequence_length, seed)`.
///   Synthetic data is generated in memory (`SyntheticWorld.dataset()`), never written to a cache folder: the
///   generator is a pure function of its configuration, generating is no slower than reading the written files
///   back, and workers on many machines then share no folder, race on no half-written files and leave nothing to
///   clean up. (`SyntheticWorld.dataset()` is tested to equal the written-and-read-back dataset.)
/// - `preprocessing.min_sequence_length`, `k_core`, `max_length`, `history_fraction`, `label_categories` → the
///   same `Preprocessing` fields; `train_fraction` and `validation_fraction` keep PROTOCOL.md's 0.7 and 0.1;
///   `Preprocessing.seed` is the experiment seed, so the seed fixes the user split (and, through
///   ``EvaluationData``, the label subsets) for every method. `pretrain_users` does not change the data; it is
///   kept in ``pretrainUsers`` for the pretraining job.
public struct DatasetRequest: Sendable, Hashable {
    /// Where the interactions come from.
    public enum Source: Sendable, Hashable {
        /// Files read by `Sequences.DatasetLoader`.
        case files(Sequences.DatasetSpec)
        /// The synthetic generator, in memory.
        case synthetic(SyntheticConfig)
        /// A dataset imported into the database under `name`; `contentSHA256` is filled by the loader
        /// (``DatasetSourceLoader/identified(_:)``) so that cache keys change when a name is given new content.
        case stored(name: String, contentSHA256: String?)
    }

    /// Where the interactions come from.
    public var source: Source
    /// How they are prepared, with `seed` = the experiment seed.
    public var preprocessing: Preprocessing
    /// Whose histories pretraining sees: `train` or `all` (not part of the data, so not part of ``key``).
    public var pretrainUsers: String

    /// Resolves a spec's dataset and preprocessing for experiment seed `seed`.
    /// - Throws: ``ExperimentSpecError`` at `dataset.kind`, `dataset.path` or `preprocessing` when the parts do not
    ///   make a dataset (a spec that went through the decoder always does).
    public init(dataset: DatasetSpec, preprocessing: PreprocessingSpec, seed: Int) throws {
        guard seed >= 0 else { throw ExperimentSpecError(path: "seeds", message: "seed \(seed) is negative") }
        switch dataset.kind {
        case _ where dataset.name != nil:
            source = .stored(name: dataset.name!, contentSHA256: nil)
        case "synthetic":
            let synthetic = dataset.synthetic ?? SyntheticSpec()
            source = .synthetic(
                SyntheticConfig(
                    users: synthetic.users, items: synthetic.items, categories: synthetic.categories,
                    meanLength: Double(synthetic.meanSequenceLength), seed: UInt64(synthetic.seed)))
        default:
            guard let kind = dataset.kind.flatMap({ DatasetRequest.kinds[$0] }) else {
                throw ExperimentSpecError(
                    path: "dataset.kind",
                    message: "\"\(dataset.kind ?? "")\" is not a dataset kind; expected one of "
                        + ExperimentSpec.datasetKinds.joined(separator: ", "))
            }
            guard let path = dataset.path else {
                throw ExperimentSpecError(path: "dataset.path", message: "required field is missing")
            }
            var options: [String: String] = [:]
            if let attributes = dataset.itemAttributes { options["attributes"] = attributes }
            source = .files(Sequences.DatasetSpec(kind: kind, path: path, options: options))
        }
        self.preprocessing = Preprocessing(
            minSequenceLength: preprocessing.minSequenceLength, kCore: preprocessing.kCore,
            maxLength: preprocessing.maxLength, historyFraction: preprocessing.historyFraction,
            labelCategories: preprocessing.labelCategories, seed: UInt64(seed))
        pretrainUsers = preprocessing.pretrainUsers
        do {
            try self.preprocessing.validate()
        } catch let error as DatasetRequestError {
            throw ExperimentSpecError(path: "preprocessing", message: error.message)
        }
    }

    /// The request of `spec` for experiment seed `seed`.
    public init(spec: ExperimentSpec, seed: Int) throws {
        try self.init(dataset: spec.dataset, preprocessing: spec.preprocessing, seed: seed)
    }

    /// The request of a `pretrain` job.
    public init(payload: PretrainPayload) throws {
        try self.init(dataset: payload.dataset, preprocessing: payload.preprocessing, seed: payload.seed)
    }

    /// Spec kind names → reader kinds (every kind but `synthetic`).
    static let kinds: [String: Sequences.DatasetSpec.Kind] = [
        "movielens1m": .movielens1m, "movielens100k": .movielens100k, "movielens20m": .movielens20m,
        "yelp": .yelp, "sequences": .sequences,
    ]

    /// The experiment seed (`preprocessing.seed`).
    public var seed: UInt64 { preprocessing.seed }

    /// The same request for another experiment seed.
    public func withSeed(_ seed: UInt64) -> DatasetRequest {
        var copy = self
        copy.preprocessing.seed = seed
        return copy
    }

    /// A canonical text naming the source: equal for requests that read the same interactions, e.g.
    /// `sequences path=/data/Beauty.txt attributes=/data/attrs.json` or
    /// `synthetic users=3000 items=1500 categories=18 mean_length=40 seed=0`. Paths are standardised
    /// (`./a/../b` → `b` made absolute against the working directory).
    public var sourceKey: String {
        switch source {
        case .files(let spec):
            let options = spec.options.keys.sorted().map { key -> String in
                let value = spec.options[key]!
                return " \(key)=\(key == "attributes" ? DatasetRequest.standardized(value) : value)"
            }
            return "\(spec.kind.rawValue) path=\(DatasetRequest.standardized(spec.path))" + options.joined()
        case .stored(let name, let sha256):
            return "stored name=\(name) sha256=\(sha256 ?? "unresolved")"
        case .synthetic(let config):
            return "synthetic users=\(config.users) items=\(config.items) categories=\(config.categories)"
                + " mean_length=\(config.meanLength) min_length=\(config.minLength)"
                + " markov=\(config.markovProbability) drift=\(config.drift) seed=\(config.seed)"
        }
    }

    /// The canonical text of the preprocessing without its seed: equal for requests whose prepared datasets
    /// differ only in the user split.
    public var preparationKey: String {
        let p = preprocessing
        return "\(sourceKey) | min_sequence_length=\(p.minSequenceLength) k_core=\(p.kCore.map(String.init) ?? "none")"
            + " max_length=\(p.maxLength) history_fraction=\(p.historyFraction)"
            + " label_categories=\(p.labelCategories) train_fraction=\(p.trainFraction)"
            + " validation_fraction=\(p.validationFraction)"
    }

    /// The canonical key of the prepared dataset: source, preprocessing and seed.
    public var key: String { "\(preparationKey) seed=\(preprocessing.seed)" }

    /// A name for messages: the dataset kind (`movielens1m`, `synthetic`, …).
    public var kindName: String {
        switch source {
        case .files(let spec): spec.kind.rawValue
        case .synthetic: "synthetic"
        case .stored(let name, _): name
        }
    }

    /// Reads files or generates synthetic data: the loader of the CLI and of tests. No caching; see
    /// ``DatasetCache``.
    /// - Throws: `DatasetError` (file, line, field) for bad files, `DatasetRequestError` for bad options or for a
    ///   stored dataset (which needs a ``DatasetSourceLoader`` with a database).
    public func loadSource() throws -> InteractionDataset {
        try LocalDatasetSource().loadSource(self)
    }

    /// Prepares `dataset` (filters, dense ids, split, label vocabulary) with ``preprocessing``.
    /// - Throws: `DatasetRequestError` when no split is possible.
    public func prepare(_ dataset: InteractionDataset) throws -> PreparedDataset {
        try PreparedDataset(dataset, config: preprocessing)
    }

    /// Loads and prepares, without caching.
    public func load() throws -> PreparedDataset { try prepare(loadSource()) }

    static func standardized(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

extension PreparedDataset {
    /// The spec names of the tasks this dataset supports, for ``ExperimentSpec/validate(supportedTasks:datasetName:)``.
    public var supportedTaskNames: Set<String> { Set(supportedTasks.map(\.rawValue)) }

    /// The same prepared dataset under another experiment seed: only `config.seed`, `splits` and the split user
    /// lists change (`PreparedDataset.userSplit`); every other array is shared, not copied (copy-on-write), so
    /// the seeds of one experiment cost one dataset's memory. Equal to `PreparedDataset(source, config:)` with
    /// the new seed.
    public func reseeded(_ seed: UInt64) -> PreparedDataset {
        var copy = self
        copy.config.seed = seed
        let split = PreparedDataset.userSplit(userCount: userCount, config: copy.config)
        var train: [Int32] = []
        var validation: [Int32] = []
        var test: [Int32] = []
        for (user, part) in split.enumerated() {
            switch part {
            case .train: train.append(Int32(user))
            case .validation: validation.append(Int32(user))
            case .test: test.append(Int32(user))
            }
        }
        copy.splits = split
        copy.trainUsers = train
        copy.validationUsers = validation
        copy.testUsers = test
        return copy
    }
}

extension ExperimentSpec {
    /// Checks the spec's tasks against `dataset`'s metadata (see ``validate(supportedTasks:datasetName:)``).
    /// - Throws: ``ExperimentSpecError`` at `tasks[i]` naming the supported tasks.
    public func validate(against dataset: PreparedDataset) throws {
        try validate(supportedTasks: dataset.supportedTaskNames, datasetName: dataset.name)
    }
}
