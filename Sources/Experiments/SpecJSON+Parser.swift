/// A strict JSON parser (RFC 8259) for spec documents, with errors a person can act on.
///
/// Every syntax error names the line and column (1-based, columns in characters) and what was expected; a key that
/// appears twice in one object is an error naming its JSON path and both places; numbers must be finite doubles
/// (`1e400` is refused, not read as infinity); strings must be valid UTF-8 with valid escapes (a lone surrogate
/// such as `\ud800` is refused); objects and arrays nest at most ``maxDepth`` levels.
struct SpecJSONParser {
    /// The deepest nesting of objects and arrays a spec may use (a spec needs 4).
    static let maxDepth = 64

    private let bytes: [UInt8]
    private var index = 0

    /// Parses one JSON document (an optional UTF-8 byte-order mark, one value, whitespace).
    /// - Throws: ``ExperimentSpecError``: path `""` and `not valid JSON: line L, column C: …` for a syntax error,
    ///   the key's path for a duplicate key.
    static func parse(_ bytes: [UInt8]) throws -> SpecJSON {
        var parser = SpecJSONParser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipWhitespace()
        guard parser.index < bytes.count else {
            throw parser.syntaxError("the document is empty; expected a JSON object")
        }
        let value = try parser.parseValue(path: "", depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw parser.syntaxError("unexpected \(parser.found()) after the end of the JSON value")
        }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    // MARK: Values

    private mutating func parseValue(path: String, depth: Int) throws -> SpecJSON {
        skipWhitespace()
        guard index < bytes.count else { throw syntaxError("the document ends early; expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(path: path, depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw syntaxError("expected a value (object, array, string, number, true, false or null), found "
                                   + found())
        }
    }

    private mutating func parseObject(path: String, depth: Int) throws -> SpecJSON {
        try checkDepth(depth)
        index += 1  // {
        var fields: [String: SpecJSON] = [:]
        var keyPositions: [String: Int] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(fields)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw syntaxError("expected a key (a string in double quotes), found \(found())")
            }
            let keyStart = index
            let key = try parseString()
            let keyPath = specPath(path, key)
            if let first = keyPositions[key] {
                throw ExperimentSpecError(
                    path: keyPath,
                    message: "duplicate key \"\(Self.quoted(key))\" at \(position(keyStart)) (first at "
                        + "\(position(first))); each key may appear once in an object")
            }
            keyPositions[key] = keyStart
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw syntaxError("expected ':' after the key \"\(Self.quoted(key))\", found \(found())")
            }
            index += 1
            fields[key] = try parseValue(path: keyPath, depth: depth)
            skipWhitespace()
            guard index < bytes.count else { throw syntaxError("the document ends inside an object; expected '}'") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(fields)
            default:
                throw syntaxError("expected ',' or '}' after the value of \"\(Self.quoted(key))\", found \(found())")
            }
        }
    }

    private mutating func parseArray(path: String, depth: Int) throws -> SpecJSON {
        try checkDepth(depth)
        index += 1  // [
        var items: [SpecJSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try parseValue(path: "\(path)[\(items.count)]", depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw syntaxError("the document ends inside an array; expected ']'") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(items)
            default: throw syntaxError("expected ',' or ']' after an array element, found \(found())")
            }
        }
    }

    private func checkDepth(_ depth: Int) throws {
        guard depth <= Self.maxDepth else {
            throw syntaxError("objects and arrays nest deeper than \(Self.maxDepth) levels")
        }
    }

    private mutating func literal(_ word: String, _ value: SpecJSON) throws -> SpecJSON {
        let expected = Array(word.utf8)
        guard bytes[index...].starts(with: expected) else {
            throw syntaxError("expected a value (object, array, string, number, true, false or null), found "
                              + found())
        }
        index += expected.count
        return value
    }

    // MARK: Numbers

    /// A number in JSON's grammar (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`) that is a finite double.
    private mutating func parseNumber() throws -> Double {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
            throw syntaxError("expected a digit after '-', found \(found())")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                throw syntaxError("a number may not start with 0 followed by digits (leading zeros are not JSON)")
            }
        } else {
            _ = digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw syntaxError("expected a digit after the decimal point, found \(found())") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard digits() > 0 else { throw syntaxError("expected a digit in the exponent, found \(found())") }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            throw syntaxError("the number \(Self.excerpt(text)) is too large for a double (at most about 1.8e308)",
                              at: start)
        }
        return value
    }

    // MARK: Strings

    /// A string in double quotes: valid UTF-8, no raw control characters, valid escapes, surrogates in pairs.
    private mutating func parseString() throws -> String {
        let start = index
        index += 1  // "
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else {
                throw syntaxError("the string that starts here is not closed; expected '\"'", at: start)
            }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                let string = String(decoding: utf8, as: UTF8.self)
                guard string.utf8.elementsEqual(utf8) else {
                    throw syntaxError("the string that starts here is not valid UTF-8", at: start)
                }
                return string
            case UInt8(ascii: "\\"):
                try parseEscape(into: &utf8)
            case 0..<0x20:
                throw syntaxError("a control character (U+\(Self.hex(UInt32(byte), width: 4))) inside a string; "
                                  + "write it as an escape such as \\n or \\u00XX")
            default:
                utf8.append(byte)
                index += 1
            }
        }
    }

    private mutating func parseEscape(into utf8: inout [UInt8]) throws {
        let start = index
        index += 1  // backslash
        guard index < bytes.count else { throw syntaxError("the document ends inside an escape", at: start) }
        let letter = bytes[index]
        index += 1
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(letter)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(escapeStart: start)
            if (0xDC00...0xDFFF).contains(scalar) {
                throw syntaxError("invalid escape \\u\(Self.hex(scalar, width: 4)): a low surrogate without a high "
                                  + "surrogate before it", at: start)
            }
            if (0xD800...0xDBFF).contains(scalar) {
                let lowStart = index
                guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                    throw syntaxError("invalid escape \\u\(Self.hex(scalar, width: 4)): a high surrogate must be "
                                      + "followed by a low surrogate escape (\\udc00 to \\udfff)", at: start)
                }
                index += 2
                let low = try hex4(escapeStart: lowStart)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw syntaxError("invalid escape \\u\(Self.hex(scalar, width: 4)): a high surrogate must be "
                                      + "followed by a low surrogate escape (\\udc00 to \\udfff)", at: start)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            utf8.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw syntaxError("invalid escape \\\(Self.printable(letter)); expected one of \\\" \\\\ \\/ \\b \\f \\n "
                              + "\\r \\t \\uXXXX", at: start)
        }
    }

    private mutating func hex4(escapeStart: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = Self.hexValue(bytes[index]) else {
                throw syntaxError("invalid escape: \\u must be followed by four hexadecimal digits", at: escapeStart)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    // MARK: Positions and messages

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// `line L, column C` of byte offset `offset`; the column counts characters (UTF-8 sequences), from 1.
    private func position(_ offset: Int) -> String {
        var line = 1
        var lineStart = 0
        for i in 0..<min(offset, bytes.count) where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        var column = 1
        for i in lineStart..<min(offset, bytes.count) where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return "line \(line), column \(column)"
    }

    private func syntaxError(_ message: String, at offset: Int? = nil) -> ExperimentSpecError {
        ExperimentSpecError(path: "", message: "not valid JSON: \(position(offset ?? index)): \(message)")
    }

    /// What is at the current position, for "found …": `end of document`, `'x'`, `a byte 0xFF`.
    private func found() -> String {
        guard index < bytes.count else { return "the end of the document" }
        return "'" + Self.printable(bytes[index]) + "'"
    }

    private static func printable(_ byte: UInt8) -> String {
        (0x21...0x7E).contains(byte) ? String(UnicodeScalar(byte)) : "\\x" + hex(UInt32(byte), width: 2)
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A key as it may appear in a message: control characters escaped, at most 80 characters.
    static func quoted(_ text: String) -> String {
        excerpt(text.unicodeScalars.map { $0.value < 0x20 ? "\\u" + hex($0.value, width: 4) : String($0) }.joined())
    }

    /// At most 80 characters of `text`, with an ellipsis when cut.
    static func excerpt(_ text: String) -> String {
        text.count <= 80 ? text : String(text.prefix(80)) + "…"
    }
}
