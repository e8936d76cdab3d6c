/// Loads the dataset a `DatasetSpec` names (the entry point the experiments call).
public enum DatasetLoader {
    /// Reads the dataset. For `synthetic`, first writes the files into `spec.path` unless the same configuration
    /// was written there before (options: `preset`, `users`, `items`, `categories`, `mean_length`, `seed`).
    /// - Throws: `DatasetError` for bad files, `DatasetRequestError` for bad options.
    public static func load(_ spec: DatasetSpec) throws -> InteractionDataset {
        switch spec.kind {
        case .movielens1m: return try MovieLens1MReader.load(directory: spec.path)
        case .movielens100k: return try MovieLens100KReader.load(directory: spec.path)
        case .movielens20m: return try MovieLensCSVReader.load(directory: spec.path)
        case .yelp:
            return try YelpReader.load(
                directory: spec.path, review: spec.options["review"] ?? "review.json",
                business: spec.options["business"] ?? "business.json")
        case .sequences:
            return try SequenceFileReader.load(path: spec.path, attributes: spec.options["attributes"])
        case .synthetic:
            let config = try syntheticConfig(spec.options)
            let written = try SyntheticWriter.writtenConfiguration(in: spec.path)
            if written == nil && TextFileReader.fileExists(spec.path + "/ratings.dat") {
                throw DatasetRequestError(
                    "\(spec.path) holds a ratings.dat that the synthetic generator did not write; "
                        + "refusing to overwrite it (use an empty folder for synthetic data)")
            }
            if written != config {
                try SyntheticWriter.write(SyntheticWorld(config: config), to: spec.path)
            }
            return try MovieLens1MReader.load(directory: spec.path, name: "synthetic")
        }
    }

    /// The synthetic configuration named by spec options (a `preset`, default `small`, then overrides).
    public static func syntheticConfig(_ options: [String: String]) throws -> SyntheticConfig {
        func integer(_ key: String) throws -> Int? {
            guard let text = options[key] else { return nil }
            guard let value = Int(text), value > 0 else {
                throw DatasetRequestError("dataset option '\(key)': expected a positive integer, found \"\(text)\"")
            }
            return value
        }
        let seed = try integer("seed").map(UInt64.init) ?? 0
        let presetName = options["preset"] ?? "small"
        guard var config = SyntheticConfig.preset(presetName, seed: seed) else {
            throw DatasetRequestError(
                "dataset option 'preset': expected tiny, small, ml1m or ml20m, found \"\(presetName)\"")
        }
        if let users = try integer("users") { config.users = users }
        if let items = try integer("items") { config.items = items }
        if let categories = try integer("categories") { config.categories = max(categories, 2) }
        if let text = options["mean_length"] {
            guard let value = Double(text), value >= 1 else {
                throw DatasetRequestError("dataset option 'mean_length': expected a number ≥ 1, found \"\(text)\"")
            }
            config.meanLength = value
        }
        return config
    }
}
