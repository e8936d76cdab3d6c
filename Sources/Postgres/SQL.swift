/// A SQL statement whose values travel as bound parameters, never as SQL text.
///
/// Write queries as string literals; every interpolated value becomes a `$n` parameter:
/// ```swift
/// let rows = try db.query("SELECT id FROM seqtwins.jobs WHERE state = \(state) AND priority > \(minimum)")
/// ```
/// Only string literals and other `SQL` fragments contribute text, so a value can never be spliced into the
/// statement. Fragments compose: `"SELECT ... \(whereClause)"` inlines `whereClause` and renumbers its parameters.
public struct SQL: Sendable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Segment: Sendable {
        case text(String)
        case parameter(PostgresBinding)
    }

    var segments: [Segment] = []

    /// Creates a statement from a literal with no parameters.
    ///
    /// - Warning: the compiler calls this with a literal's text. Calling it by hand with a runtime string puts
    ///   that string into the SQL text unescaped; interpolate values instead.
    public init(stringLiteral value: String) {
        segments = [.text(value)]
    }

    /// Creates a statement from an interpolated literal; interpolated values become parameters.
    public init(stringInterpolation: StringInterpolation) {
        segments = stringInterpolation.segments
    }

    /// Builds the segments of an interpolated `SQL` literal.
    public struct StringInterpolation: StringInterpolationProtocol {
        var segments: [Segment] = []

        /// Reserves room for the literal's parts.
        public init(literalCapacity: Int, interpolationCount: Int) {
            segments.reserveCapacity(2 * interpolationCount + 1)
        }

        /// Appends literal SQL text (only the compiler calls this, with the literal's own text).
        public mutating func appendLiteral(_ literal: String) {
            segments.append(.text(literal))
        }

        /// Appends a value as a bound parameter.
        public mutating func appendInterpolation(_ value: some PostgresEncodable) {
            segments.append(.parameter(value.postgresBinding))
        }

        /// Appends an optional value as a bound parameter; `nil` binds SQL NULL.
        public mutating func appendInterpolation<Value: PostgresEncodable>(_ value: Value?) {
            segments.append(.parameter(value?.postgresBinding ?? PostgresBinding(null: Value.postgresType)))
        }

        /// Inlines another statement fragment, keeping its parameters bound.
        public mutating func appendInterpolation(_ fragment: SQL) {
            segments.append(contentsOf: fragment.segments)
        }
    }

    /// The statement text with `$1`, `$2`, ... in place of the values, and the values in order.
    public var rendered: (text: String, bindings: [PostgresBinding]) {
        var text = ""
        var bindings: [PostgresBinding] = []
        for segment in segments {
            switch segment {
            case .text(let part):
                text += part
            case .parameter(let binding):
                bindings.append(binding)
                text += "$\(bindings.count)"
            }
        }
        return (text, bindings)
    }

    /// The statement text with parameter placeholders (values are never shown, they may be secrets).
    public var description: String { rendered.text }

    /// Joins fragments with a separator, e.g. a list of `VALUES` rows.
    public static func joined(_ fragments: [SQL], separator: StaticString = ", ") -> SQL {
        var result = SQL(stringLiteral: "")
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { result.segments.append(.text(separator.description)) }
            result.segments.append(contentsOf: fragment.segments)
        }
        return result
    }
}
