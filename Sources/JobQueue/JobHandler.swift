import Foundation

/// Runs jobs of one kind. Handlers are looked up by kind in a `JobRegistry`.
///
/// `run` is synchronous and may be CPU-bound: it runs on the worker's main thread while a heartbeat thread renews
/// the lease. From its loop it calls `context.checkCancelled()` (cheap, no database round trip) and
/// `context.reportProgress(_:_:)` (stored, sent with the next heartbeat). To write results, it calls
/// `context.withFencedTransaction { tx in ... }`, which commits the writes together with the `succeeded`
/// transition, or nothing when the lease was lost. A handler that returns without calling it is completed by the
/// worker. Throwing fails the attempt: a transient error is retried with backoff, a permanent one (`PermanentJobFailure`,
/// or what `errorClass(of:)` says is permanent) fails the job at once (see `JobErrorClass`).
public protocol JobHandler: Sendable {
    /// The kind this handler runs, e.g. `sleep`.
    var kind: String { get }
    /// One line for `seqtwins.job_kinds.description`.
    var summary: String { get }
    /// Checks a payload before it is enqueued.
    /// - Throws: `JobQueueError.invalidPayload` naming the field and what was expected.
    func validate(payload: Data) throws
    /// Runs one attempt of a job.
    func run(_ context: JobContext) throws
    /// Whether an error `run` threw is permanent (fail at once) or transient (retry), for the errors of this
    /// handler's domain; `nil` leaves the decision to `JobErrorClass.of(_:handler:)` (transient unless known).
    func errorClass(of error: any Error) -> JobErrorClass?
}

extension JobHandler {
    /// Accepts any JSON payload.
    public func validate(payload: Data) throws {}

    /// No opinion: the queue's defaults classify the error.
    public func errorClass(of error: any Error) -> JobErrorClass? { nil }

    /// Decodes the payload as a JSON object.
    /// - Throws: `JobQueueError.invalidPayload` when it is not a JSON object.
    public func payloadObject(_ payload: Data) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: payload), let dictionary = object as? [String: Any]
        else {
            throw JobQueueError.invalidPayload(kind: kind, reason: "expected a JSON object, got "
                                               + String(decoding: payload.prefix(80), as: UTF8.self))
        }
        return dictionary
    }
}

/// The handlers a worker can run, by kind.
public struct JobRegistry: Sendable {
    private var handlers: [String: any JobHandler] = [:]

    /// An empty registry.
    public init() {}

    /// A registry holding the given handlers.
    public init(_ handlers: [any JobHandler]) {
        for handler in handlers { register(handler) }
    }

    /// The handlers every worker ships: `noop` and `sleep`.
    public static var standard: JobRegistry { JobRegistry([NoopHandler(), SleepHandler()]) }

    /// Adds or replaces the handler for its kind.
    public mutating func register(_ handler: any JobHandler) {
        handlers[handler.kind] = handler
    }

    /// The handler for `kind`, if any.
    public subscript(kind: String) -> (any JobHandler)? { handlers[kind] }

    /// The registered kinds, sorted.
    public var kinds: [String] { handlers.keys.sorted() }

    /// Kind → summary, for `seqtwins.job_kinds`.
    public var summaries: [String: String] { handlers.mapValues(\.summary) }

    /// Checks a job before it is enqueued: a known kind and a payload its handler accepts.
    /// - Throws: `JobQueueError.unknownKind` or `JobQueueError.invalidPayload`.
    public func validate(kind: String, payload: String) throws {
        guard let handler = handlers[kind] else { throw JobQueueError.unknownKind(kind, known: kinds) }
        let data = Data(payload.utf8)
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw JobQueueError.invalidPayload(kind: kind, reason: "not valid JSON (\(Self.describe(error))): "
                                               + String(payload.prefix(80)))
        }
        try handler.validate(payload: data)
    }

    /// Foundation's JSON errors hide the position in `userInfo`; surface its description.
    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        return (nsError.userInfo[NSDebugDescriptionErrorKey] as? String) ?? nsError.localizedDescription
    }
}
