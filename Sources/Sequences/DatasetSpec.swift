/// Names a dataset: its kind, where it lives, and reader options.
///
/// `path` is a directory for the MovieLens kinds, Yelp and synthetic data, and a file for `sequences`.
/// Options (all strings, as they come from a JSON spec):
/// - `sequences`: `attributes` = path of the item → attribute-list JSON file (optional).
/// - `yelp`: `review`, `business` = file names inside `path` (defaults `review.json`, `business.json`; the
///   business file is optional; `user.json` holds nothing the tasks use and is not read).
/// - `synthetic`: `preset` (`tiny`, `small`, `ml1m`, `ml20m`), `users`, `items`, `categories`, `mean_length`,
///   `seed`; the files are written in MovieLens-1M format into `path` (unless the same configuration was
///   written there before) and read back.
public struct DatasetSpec: Sendable, Hashable, Codable {
    /// The dataset formats the loader understands.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// MovieLens-1M: `ratings.dat`, `users.dat`, `movies.dat`.
        case movielens1m
        /// MovieLens-100K: `u.data`, `u.item`, `u.user` (and `u.genre` when present).
        case movielens100k
        /// MovieLens-20M / ml-latest: `ratings.csv`, `movies.csv`.
        case movielens20m
        /// Yelp open dataset JSON lines.
        case yelp
        /// One line per user: `user item item ...` in time order.
        case sequences
        /// The synthetic generator, written in MovieLens-1M format and read back.
        case synthetic
    }

    /// The format.
    public var kind: Kind
    /// Directory or file, see the type's documentation.
    public var path: String
    /// Reader options, see the type's documentation.
    public var options: [String: String]

    /// A spec from its parts.
    public init(kind: Kind, path: String, options: [String: String] = [:]) {
        self.kind = kind
        self.path = path
        self.options = options
    }
}
