/// HTML that is safe to send: built from literal markup and escaped values only.
///
/// Write markup as string literals; every interpolated `String` (or number) is HTML-escaped, and only
/// interpolated `Markup` is inlined as it is, so a value from the database can never become markup:
/// ```swift
/// let cell: Markup = "<td class=\"name\">\(experiment.name)</td>"   // `<script>` in the name stays text
/// ```
/// Escaping covers `& < > " '`, so an escaped value is safe both as element text and inside a quoted attribute.
public struct Markup: Sendable, Equatable, ExpressibleByStringInterpolation, CustomStringConvertible {
    /// The HTML text.
    public private(set) var html: String

    /// Markup from a literal with no interpolations.
    public init(stringLiteral value: String) { html = value }

    /// Markup from an interpolated literal; interpolated values are escaped.
    public init(stringInterpolation: StringInterpolation) { html = stringInterpolation.html }

    /// Wraps text that is already safe HTML (such as the report's SVG, whose every value is XML-escaped).
    ///
    /// - Warning: the text is sent as it is. Never pass text that holds unescaped values; interpolate them.
    public init(trustedHTML: String) { html = trustedHTML }

    /// No markup.
    public static let empty: Markup = ""

    /// The HTML text.
    public var description: String { html }

    /// Builds the HTML of an interpolated `Markup` literal.
    public struct StringInterpolation: StringInterpolationProtocol {
        var html = ""

        /// Reserves room for the literal.
        public init(literalCapacity: Int, interpolationCount: Int) {
            html.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        /// Appends literal markup (only the compiler calls this, with the literal's own text).
        public mutating func appendLiteral(_ literal: String) { html += literal }

        /// Appends text, escaped.
        public mutating func appendInterpolation(_ text: String) { html += Markup.escape(text) }

        /// Appends text, escaped.
        public mutating func appendInterpolation(_ text: Substring) { html += Markup.escape(String(text)) }

        /// Appends a number.
        public mutating func appendInterpolation<Number: BinaryInteger>(_ number: Number) { html += "\(number)" }

        /// Inlines markup as it is.
        public mutating func appendInterpolation(_ markup: Markup) { html += markup.html }

        /// Inlines each piece of markup in turn.
        public mutating func appendInterpolation(_ pieces: [Markup]) {
            for piece in pieces { html += piece.html }
        }
    }

    /// Joins pieces with a separator.
    public static func joined(_ pieces: [Markup], separator: Markup = .empty) -> Markup {
        Markup(trustedHTML: pieces.map(\.html).joined(separator: separator.html))
    }

    /// Appends another piece.
    public static func + (left: Markup, right: Markup) -> Markup { Markup(trustedHTML: left.html + right.html) }

    /// Appends another piece in place.
    public static func += (left: inout Markup, right: Markup) { left.html += right.html }

    /// Escapes `& < > " '` for HTML text and double- or single-quoted attribute values.
    public static func escape(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for character in text.unicodeScalars {
            switch character {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\0": result += "\u{FFFD}"
            default: result.unicodeScalars.append(character)
            }
        }
        return result
    }
}
