/// A bad experiment spec: the JSON path of the offending field (`methods[2].name`, empty for the whole document)
/// and what is wrong with it, naming the allowed values and what was found.
///
/// `description` reads `methods[2].name: unknown method "bt"; allowed: barlow_twins, dual_encoder, …`.
public struct ExperimentSpecError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON path of the field, e.g. `preprocessing.max_length` or `label_fractions[3]`; empty for the root.
    public var path: String
    /// What is wrong, with the allowed values and the value found.
    public var message: String

    /// Creates an error for the field at `path`.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, or the message alone for the root.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
