import Foundation

extension ExperimentReport {
    /// The report as JSON (`experiment`, `metric`, `baseline`, `label_efficiency`, `gains`), pretty-printed with
    /// sorted keys so that the same results always give the same bytes; absent values are omitted.
    /// - Throws: `EncodingError` for a non-finite number.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
