import Foundation
import Logging

/// A swift-log handler writing one JSON object per line to standard error, for log collectors:
/// `{"time":"2026-11-29T18:20:01.123Z","level":"info","label":"seqtwins.worker","message":"...","job":"12",...}`;
/// metadata keys become fields (as strings), except that `time`, `level`, `label` and `message` are never overwritten.
struct JSONLogHandler: LogHandler {
    /// The logger's label.
    let label: String
    /// The lowest level written.
    var logLevel: Logger.Level = .info
    /// Metadata attached to every line.
    var metadata: Logger.Metadata = [:]

    private static let lock = NSLock()

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata { fields[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { fields[key] = "\(value)" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        fields["time"] = formatter.string(from: Date())
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(fields) else { return }
        line.append(0x0A)
        Self.lock.withLock { FileHandle.standardError.write(line) }
    }
}
