import Dispatch
import Foundation

/// Turns SIGTERM and SIGINT into a callback on a dispatch queue instead of the default exit, for graceful stops.
///
/// Keep the returned trap alive for as long as the signals should be caught.
public final class SignalTrap: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "seqtwins.signals")

    /// Catches `signals` (default SIGTERM and SIGINT) and calls `handler` with each signal number.
    public init(signals: [Int32] = [SIGTERM, SIGINT], handler: @escaping @Sendable (Int32) -> Void) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { handler(number) }
            source.resume()
            sources.append(source)
        }
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
