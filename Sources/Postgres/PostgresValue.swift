import Foundation

/// A PostgreSQL type object id, as libpq names parameter and column types.
public struct PostgresType: RawRepresentable, Hashable, Sendable {
    /// The type's OID.
    public var rawValue: UInt32
    /// Wraps an OID.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Let the server infer the type from context (used for text, so it can land in any text-like column).
    public static let unknown = PostgresType(rawValue: 0)
    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let textArray = PostgresType(rawValue: 1009)
    public static let float4Array = PostgresType(rawValue: 1021)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let jsonb = PostgresType(rawValue: 3802)
}

/// One bound parameter: its type and its value in libpq's text or binary format (`nil` is SQL NULL).
public struct PostgresBinding: Sendable {
    /// The parameter's declared type.
    public var type: PostgresType
    /// The value's bytes (text format unless `isBinary`), or `nil` for NULL.
    public var bytes: [UInt8]?
    /// Whether `bytes` are in binary format (used for bytea, so large blobs skip hex encoding).
    public var isBinary: Bool

    /// A text-format parameter.
    public init(type: PostgresType, text: String) {
        self.type = type
        self.bytes = Array(text.utf8)
        self.isBinary = false
    }

    /// A binary-format parameter.
    public init(type: PostgresType, binary: [UInt8]) {
        self.type = type
        self.bytes = binary
        self.isBinary = true
    }

    /// SQL NULL of the given type.
    public init(null type: PostgresType) {
        self.type = type
        self.bytes = nil
        self.isBinary = false
    }
}

/// A Swift value that can be sent to PostgreSQL as a bound parameter.
public protocol PostgresEncodable {
    /// The parameter type sent with NULLs of this Swift type.
    static var postgresType: PostgresType { get }
    /// The value as a parameter.
    var postgresBinding: PostgresBinding { get }
}

/// A Swift value that can be read from a column in PostgreSQL's text output format.
public protocol PostgresDecodable {
    /// Parses the column's text; throws `PostgresDecodingError` when it is not of this type.
    init(postgresText text: String) throws
}

/// A column value could not be read as the requested Swift type.
public struct PostgresDecodingError: Error, CustomStringConvertible, Sendable {
    /// The column's name.
    public var column: String
    /// The Swift type asked for.
    public var expected: String
    /// The column's text (cut to 80 characters), or "NULL".
    public var found: String

    /// Creates an error.
    public init(column: String, expected: String, found: String) {
        self.column = column
        self.expected = expected
        self.found = found
    }

    public var description: String { "column \(column): expected \(expected), found \(found)" }
}

struct InvalidText: Error { let expected: String }

extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .int8, text: String(self)) }
    public init(postgresText text: String) throws {
        guard let value = Int(text) else { throw InvalidText(expected: "an integer") }
        self = value
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int8 }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .int8, text: String(self)) }
    public init(postgresText text: String) throws {
        guard let value = Int64(text) else { throw InvalidText(expected: "a 64-bit integer") }
        self = value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .int4 }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .int4, text: String(self)) }
    public init(postgresText text: String) throws {
        guard let value = Int32(text) else { throw InvalidText(expected: "a 32-bit integer") }
        self = value
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .float8 }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .float8, text: Self.postgresText(self)) }
    public init(postgresText text: String) throws {
        guard let value = Double(postgresFloatText: text) else { throw InvalidText(expected: "a double") }
        self = value
    }
    static func postgresText(_ value: Double) -> String {
        value.isNaN ? "NaN" : value == .infinity ? "Infinity" : value == -.infinity ? "-Infinity" : "\(value)"
    }
}

extension Float: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .float4 }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .float4, text: Self.postgresText(self)) }
    public init(postgresText text: String) throws {
        guard let value = Float(postgresFloatText: text) else { throw InvalidText(expected: "a real") }
        self = value
    }
    static func postgresText(_ value: Float) -> String {
        value.isNaN ? "NaN" : value == .infinity ? "Infinity" : value == -.infinity ? "-Infinity" : "\(value)"
    }
}

extension BinaryFloatingPoint where Self: LosslessStringConvertible {
    init?(postgresFloatText text: String) {
        switch text {
        case "NaN": self = .nan
        case "Infinity": self = .infinity
        case "-Infinity": self = -.infinity
        default:
            guard let value = Self(text) else { return nil }
            self = value
        }
    }
}

extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .unknown }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .unknown, text: self) }
    public init(postgresText text: String) throws { self = text }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bool }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .bool, text: self ? "t" : "f") }
    public init(postgresText text: String) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw InvalidText(expected: "a boolean")
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .uuid }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .uuid, text: uuidString) }
    public init(postgresText text: String) throws {
        guard let value = UUID(uuidString: text) else { throw InvalidText(expected: "a uuid") }
        self = value
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .timestamptz }
    /// Sent as seconds since the Unix epoch, through `to_timestamp` semantics: exact to the microsecond.
    public var postgresBinding: PostgresBinding {
        PostgresBinding(type: .timestamptz, text: PostgresTimestamp.format(self))
    }
    public init(postgresText text: String) throws {
        guard let value = PostgresTimestamp.parse(text) else { throw InvalidText(expected: "a timestamp") }
        self = value
    }
}

/// `bytea` values as byte arrays; sent in binary format, read from the server's hex format.
extension Array: PostgresEncodable where Element == UInt8 {
    public static var postgresType: PostgresType { .bytea }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .bytea, binary: self) }
}

extension Array: PostgresDecodable where Element: PostgresArrayElement {
    public init(postgresText text: String) throws {
        self = try Element.decodeArray(postgresText: text)
    }
}

/// Element types whose arrays decode from a column: `UInt8` (bytea) and `Float` (real[]).
public protocol PostgresArrayElement {
    /// Decodes a whole column of this element type.
    static func decodeArray(postgresText text: String) throws -> [Self]
}

extension UInt8: PostgresArrayElement {
    public static func decodeArray(postgresText text: String) throws -> [UInt8] {
        try PostgresHex.decodeBytea(text)
    }
}

extension Float: PostgresArrayElement {
    public static func decodeArray(postgresText text: String) throws -> [Float] {
        try PostgresArrayText.parseFloats(text)
    }
}

extension Data: PostgresEncodable, PostgresDecodable {
    public static var postgresType: PostgresType { .bytea }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .bytea, binary: [UInt8](self)) }
    public init(postgresText text: String) throws { self = Data(try PostgresHex.decodeBytea(text)) }
}

/// A `real[]` parameter: `"\(FloatArray(values))"`.
public struct FloatArray: PostgresEncodable, Sendable {
    /// The elements.
    public var values: [Float]
    /// Wraps the elements.
    public init(_ values: [Float]) { self.values = values }
    public static var postgresType: PostgresType { .float4Array }
    public var postgresBinding: PostgresBinding {
        PostgresBinding(type: .float4Array, text: PostgresArrayText.format(values))
    }
}

/// A `text[]` parameter: `"\(TextArray(names))"`.
public struct TextArray: PostgresEncodable, Sendable {
    /// The elements.
    public var values: [String]
    /// Wraps the elements.
    public init(_ values: [String]) { self.values = values }
    public static var postgresType: PostgresType { .textArray }
    public var postgresBinding: PostgresBinding {
        let quoted = values.map { value in
            "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return PostgresBinding(type: .textArray, text: "{" + quoted.joined(separator: ",") + "}")
    }
}

/// A `jsonb` value held as its JSON text.
public struct PostgresJSON: PostgresEncodable, PostgresDecodable, Sendable, Equatable {
    /// The JSON text.
    public var text: String

    /// Wraps JSON text; the server validates it and rejects invalid JSON with SQLSTATE 22P02.
    public init(text: String) { self.text = text }

    /// Encodes a value with `JSONEncoder` (sorted keys, so equal values give equal text).
    public init(encoding value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        self.text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the JSON text with `JSONDecoder`.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    public static var postgresType: PostgresType { .jsonb }
    public var postgresBinding: PostgresBinding { PostgresBinding(type: .jsonb, text: text) }
    public init(postgresText text: String) throws { self.text = text }
}

enum PostgresTimestamp {
    /// ISO 8601 with microseconds in UTC, which timestamptz input accepts.
    static func format(_ date: Date) -> String {
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int((micros / 1_000_000).rounded(.down))
        let fraction = Int(micros - Double(seconds) * 1_000_000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        let fractionText = String(fraction)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2)) "
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - fractionText.count) + fractionText + "+00"
    }

    /// Parses `YYYY-MM-DD HH:MM:SS[.ffffff]±HH[:MM]` (the ISO DateStyle the connection sets).
    static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19 else { return nil }
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[from..<(from + count)] {
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
              let hour = number(11, 2), let minute = number(14, 2), let second = number(17, 2) else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let hours = number(index + 1, 2) else { return nil }
            var minutes = 0
            if index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":") { minutes = number(index + 4, 2) ?? 0 }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }
}

enum PostgresHex {
    /// Decodes bytea's hex output format `\x0a1b...`.
    static func decodeBytea(_ text: String) throws -> [UInt8] {
        var utf8 = text.utf8[...]
        guard utf8.starts(with: "\\x".utf8) else { throw InvalidText(expected: "bytea in hex format") }
        utf8 = utf8.dropFirst(2)
        guard utf8.count % 2 == 0 else { throw InvalidText(expected: "an even number of hex digits") }
        var result = [UInt8]()
        result.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for byte in utf8 {
            let nibble: UInt8
            switch byte {
            case 48...57: nibble = byte - 48
            case 97...102: nibble = byte - 87
            case 65...70: nibble = byte - 55
            default: throw InvalidText(expected: "hex digits")
            }
            if let value = high {
                result.append(value << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return result
    }
}

enum PostgresArrayText {
    /// `{1.5,-2,NaN}`: the array literal for a one-dimensional real[].
    static func format(_ values: [Float]) -> String {
        "{" + values.map(Float.postgresText).joined(separator: ",") + "}"
    }

    /// Parses a one-dimensional real[] literal; NULL elements are an error.
    static func parseFloats(_ text: String) throws -> [Float] {
        guard text.hasPrefix("{"), text.hasSuffix("}") else { throw InvalidText(expected: "a real[] literal") }
        let body = text.dropFirst().dropLast()
        if body.isEmpty { return [] }
        return try body.split(separator: ",").map { part in
            guard let value = Float(postgresFloatText: String(part)) else {
                throw InvalidText(expected: "real elements (found \(part))")
            }
            return value
        }
    }
}
