import Foundation

extension ExperimentSpec {
    /// The complete spec with every default filled in, as pretty-printed JSON with sorted keys: the normalised
    /// form to store with the experiment and to show with `--dry-run`. It decodes back to an equal spec.
    /// - Throws: `EncodingError` (not expected: every number in a valid spec is finite).
    public func canonicalJSON() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
