/// A bad experiment spec: the JSON path of the offending field (`methods[2].name`, empty for the whole document)
/// and what is wrong with it, naming the allowed values and what was found.
///
/// `description` reads `methods[2].name: unknown method "bt"; allowed: barlow_twins, dual_encoder, …`.
public struct ExperimentSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON path of the field, e.g. `preprocessing.max_length` or `label_fractions[3]`; empty for the root.
    public var path: String
    /// What is wrong, with the allowed values and the value found.
    public var message: String

    /// Further independent errors of the same spec, found after this one (empty for a single error).
    public var more: [ExperimentSpecError] = []

    /// Creates an error for the field at `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// One error standing for all of `errors` (non-empty, flattened), in the order they were found.
    init(collecting errors: [ExperimentSpecError]) {
        let all = errors.flatMap(\.all)
        self = all[0]
        more = Array(all.dropFirst())
    }

    /// This error and every further one, each without ``more``.
    public var all: [ExperimentSpecError] {
        [ExperimentSpecError(path: path, message: message)] + more.flatMap(\.all)
    }

    /// `path: message` (the message alone for the root), one line per error.
    public var description: String {
        all.map { $0.path.isEmpty ? $0.message : "\($0.path): \($0.message)" }.joined(separator: "\n")
    }
}
