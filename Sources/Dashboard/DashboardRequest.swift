import Foundation

/// A request as the dashboard sees it: the method, the path and the query parameters.
public struct DashboardRequest: Sendable {
    /// The HTTP method (`GET`; anything else is answered with 405).
    public var method: String
    /// The path, such as `/experiments/3`.
    public var path: String
    /// The query parameters in order, percent-decoded (`+` is a space, as HTML forms send it).
    public var parameters: [(name: String, value: String)]

    /// A request for `path` with a raw query string such as `state=failed&kind=pretrain`.
    public init(method: String = "GET", path: String, query: String? = nil) {
        self.method = method
        self.path = path
        parameters = Self.parse(query ?? "")
    }

    /// The first value of a parameter, or `nil` when it is absent or empty.
    public func parameter(_ name: String) -> String? {
        guard let value = parameters.first(where: { $0.name == name })?.value, !value.isEmpty else { return nil }
        return value
    }

    /// This request's path with its parameters, `changes` applied (a `nil` value removes the parameter); the
    /// result is for an `href`, relative to the site.
    public func link(_ changes: [String: String?]) -> String {
        var kept = parameters.filter { changes[$0.name] == nil }
        for (name, value) in changes.sorted(by: { $0.key < $1.key }) {
            if let value { kept.append((name, value)) }
        }
        let query = kept.map { Self.encode($0.name) + "=" + Self.encode($0.value) }.joined(separator: "&")
        return query.isEmpty ? path : path + "?" + query
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986).
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        var out = ""
        for byte in text.utf8 {
            let scalar = Unicode.Scalar(byte)
            if byte < 0x80 && allowed.contains(scalar) {
                out.unicodeScalars.append(scalar)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func parse(_ query: String) -> [(name: String, value: String)] {
        query.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }
}

/// What the dashboard answers: a status, a content type, extra headers and a body.
public struct DashboardResponse: Sendable {
    /// The HTTP status code.
    public var status: Int
    /// The `Content-Type`.
    public var contentType: String
    /// Headers beyond the content type (security headers, `Allow`, `Content-Disposition`).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: String

    /// A response.
    public init(status: Int = 200, contentType: String, headers: [(name: String, value: String)] = [], body: String) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}

/// A request the dashboard refuses, with the status and message to show.
struct RequestError: Error, Sendable {
    /// 400, 404 or 405.
    var status: Int
    /// Shown on the error page.
    var message: String

    static func notFound(_ message: String) -> RequestError { RequestError(status: 404, message: message) }
    static func badRequest(_ message: String) -> RequestError { RequestError(status: 400, message: message) }
}
