import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Serves a ``DashboardSite`` over HTTP/1.1 on Hummingbird (`seqtwins serve`).
///
/// Every request goes to ``DashboardSite/respond(to:)``, which does its database work on the
/// ``DashboardDatabase`` threads, never on the server's event loops.
public enum DashboardServer {
    /// Runs the server until SIGINT or SIGTERM.
    /// - Parameters:
    ///   - site: the pages.
    ///   - host: the address to bind, such as `127.0.0.1` (loopback only) or `0.0.0.0`.
    ///   - port: the port; 0 picks a free one (reported through `onRunning`).
    ///   - logger: the server's logger.
    ///   - onRunning: called once the server listens, with the URL it serves.
    /// - Throws: when the address cannot be bound.
    public static func run(
        site: DashboardSite, host: String, port: Int, logger: Logger,
        onRunning: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let answer = await site.respond(to: DashboardRequest(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query))
            var headers = HTTPFields()
            headers[.contentType] = answer.contentType
            for (name, value) in answer.headers {
                if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
            }
            return Response(status: HTTPResponse.Status(code: answer.status), headers: headers,
                            body: ResponseBody(byteBuffer: ByteBuffer(string: answer.body)))
        }
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "seqtwins"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                let shown = host.contains(":") ? "[\(host)]" : host
                onRunning("http://\(shown):\(bound)/")
            },
            logger: logger)
        try await app.runService()
    }
}
