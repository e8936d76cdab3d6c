import Foundation

/// `sleep`: waits `seconds` (default 1) in small steps, reporting progress and honouring cancellation; the first
/// `fail_times` attempts (default 0) fail after the wait, so retries can be exercised.
///
/// Payload: `{"seconds": 2.5, "fail_times": 1}`.
public struct SleepHandler: JobHandler {
    /// The parsed payload.
    public struct Payload: Sendable, Equatable {
        /// How long each attempt sleeps.
        public var seconds: Double
        /// How many attempts fail before one succeeds.
        public var failTimes: Int

        /// Creates a payload.
        public init(seconds: Double, failTimes: Int) {
            self.seconds = seconds
            self.failTimes = failTimes
        }
    }

    /// Creates the handler.
    public init() {}

    /// The kind this handler runs.
    public var kind: String { "sleep" }
    /// One line for `seqtwins.job_kinds`.
    public var summary: String {
        "Sleeps for payload.seconds, reporting progress; payload.fail_times makes the first attempts fail."
    }

    /// The payload's JSON shape; both fields optional.
    private struct Fields: Decodable {
        var seconds: Double?
        var fail_times: Int?
    }

    /// Parses and checks a payload.
    /// - Throws: `JobQueueError.invalidPayload` naming the field and what was expected.
    public func parse(_ payload: Data) throws -> Payload {
        let object = try payloadObject(payload)
        for key in object.keys.sorted() where key != "seconds" && key != "fail_times" {
            throw JobQueueError.invalidPayload(kind: kind,
                                               reason: "unknown field '\(key)'; expected seconds, fail_times")
        }
        let fields: Fields
        do {
            fields = try JSONDecoder().decode(Fields.self, from: payload)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.dataCorrupted(let context) {
            let field = context.codingPath.first?.stringValue ?? "payload"
            let expected = field == "fail_times" ? "an integer >= 0" : "a number of seconds >= 0"
            throw JobQueueError.invalidPayload(kind: kind, reason: "field '\(field)': expected \(expected)")
        } catch {
            throw JobQueueError.invalidPayload(kind: kind, reason: "\(error)")
        }
        let seconds = fields.seconds ?? 1
        guard seconds >= 0, seconds.isFinite else {
            throw JobQueueError.invalidPayload(kind: kind,
                                               reason: "field 'seconds': expected a number >= 0, got \(seconds)")
        }
        let failTimes = fields.fail_times ?? 0
        guard failTimes >= 0 else {
            throw JobQueueError.invalidPayload(kind: kind,
                                               reason: "field 'fail_times': expected an integer >= 0, got \(failTimes)")
        }
        return Payload(seconds: seconds, failTimes: failTimes)
    }

    /// Checks the payload with `parse(_:)`.
    public func validate(payload: Data) throws {
        _ = try parse(payload)
    }

    /// Sleeps in steps of at most 50 ms, checking cancellation and reporting progress, then fails if this attempt is
    /// among the first `fail_times`.
    public func run(_ context: JobContext) throws {
        let payload: Payload
        do {
            payload = try parse(context.job.payload)
        } catch {
            throw PermanentJobFailure("\(error)")
        }
        let start = Date()
        while true {
            try context.checkCancelled()
            let elapsed = Date().timeIntervalSince(start)
            if elapsed >= payload.seconds { break }
            context.reportProgress(elapsed / max(payload.seconds, 1e-9),
                                   String(format: "slept %.1f of %.1f s", elapsed, payload.seconds))
            Thread.sleep(forTimeInterval: min(0.05, payload.seconds - elapsed))
        }
        if context.job.attempt <= payload.failTimes {
            throw SleepFailure(attempt: context.job.attempt, failTimes: payload.failTimes)
        }
        context.reportProgress(1, "done")
    }

    /// The planned failure of an early attempt.
    public struct SleepFailure: Error, CustomStringConvertible {
        /// The attempt that failed.
        public var attempt: Int
        /// How many attempts were meant to fail.
        public var failTimes: Int

        /// A one-line, human-readable message.
        public var description: String { "sleep: planned failure of attempt \(attempt) of \(failTimes)" }
    }
}
