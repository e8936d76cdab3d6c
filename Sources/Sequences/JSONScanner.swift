/// A small pull parser for JSON text over bytes, used for JSON-lines files (pure; no I/O).
///
/// It reads the values a reader asks for and skips the rest without building them, so a Yelp review's long
/// `text` costs one scan. Errors name the file, line, byte column and what was expected.
public struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private let file: String
    private let line: Int

    /// A scanner over `bytes`; `file` and `line` are used in error messages.
    public init(_ bytes: UnsafeBufferPointer<UInt8>, file: String, line: Int) {
        self.bytes = bytes
        self.file = file
        self.line = line
    }

    /// An error at the current position.
    public func error(_ message: String, field: String? = nil) -> DatasetError {
        DatasetError(file: file, line: line, column: index + 1, field: field, message: message)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func found() -> String {
        guard index < bytes.count else { return "end of line" }
        return "'\(Unicode.Scalar(bytes[index]))'"
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else {
            throw error("expected \(what), found \(found()) (truncated or malformed JSON)")
        }
        index += 1
    }

    /// Whether the next value is `null` (consumed if so).
    public mutating func readNullIfPresent() -> Bool {
        skipWhitespace()
        if index + 4 <= bytes.count, bytes[index] == UInt8(ascii: "n"), bytes[index + 1] == UInt8(ascii: "u"),
            bytes[index + 2] == UInt8(ascii: "l"), bytes[index + 3] == UInt8(ascii: "l")
        {
            index += 4
            return true
        }
        return false
    }

    /// Reads an object, calling `body` with each key; `body` must read or skip the value.
    public mutating func readObject(_ body: (String, inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "{"), "'{' (a JSON object)")
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            let key = try readString()
            try expect(UInt8(ascii: ":"), "':' after an object key")
            try body(key, &self)
            skipWhitespace()
            guard index < bytes.count else { throw error("expected ',' or '}', found end of line (truncated JSON)") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return
            }
            throw error("expected ',' or '}' in an object, found \(found())")
        }
    }

    /// Reads an array, calling `body` once per element; `body` must read or skip the element.
    public mutating func readArray(_ body: (inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "'[' (a JSON array)")
        skipWhitespace()
        if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try body(&self)
            skipWhitespace()
            guard index < bytes.count else { throw error("expected ',' or ']', found end of line (truncated JSON)") }
            if bytes[index] == UInt8(ascii: ",") {
                index += 1
                continue
            }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return
            }
            throw error("expected ',' or ']' in an array, found \(found())")
        }
    }

    /// Reads a string value, decoding escapes (`\"`, `\\`, `\/`, `\n`, `\uXXXX` with surrogate pairs).
    public mutating func readString() throws -> String {
        try expect(UInt8(ascii: "\""), "'\"' (a JSON string)")
        let start = index
        // Fast path: no escapes.
        while index < bytes.count && bytes[index] != UInt8(ascii: "\"") && bytes[index] != UInt8(ascii: "\\") {
            index += 1
        }
        guard index < bytes.count else { throw error("unterminated string (truncated JSON)") }
        if bytes[index] == UInt8(ascii: "\"") {
            let text = Field(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]), column: start).strictUTF8
            guard let text else { throw error("string is not valid UTF-8") }
            index += 1
            return text
        }
        var utf8 = Array(bytes[start..<index])
        while true {
            guard index < bytes.count else { throw error("unterminated string (truncated JSON)") }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                break
            }
            if byte != UInt8(ascii: "\\") {
                utf8.append(byte)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw error("unterminated escape (truncated JSON)") }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
            case UInt8(ascii: "b"): utf8.append(8)
            case UInt8(ascii: "f"): utf8.append(12)
            case UInt8(ascii: "n"): utf8.append(10)
            case UInt8(ascii: "r"): utf8.append(13)
            case UInt8(ascii: "t"): utf8.append(9)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800..<0xDC00).contains(scalar), index + 6 <= bytes.count,
                    bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    let low = try readHex4()
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low &- 0xDC00)
                }
                let value = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                utf8.append(contentsOf: String(Character(value)).utf8)
            default:
                throw error("invalid escape '\\\(Unicode.Scalar(escape))' in a string")
            }
        }
        guard let text = utf8.withUnsafeBufferPointer({ Field(bytes: $0, column: 0).strictUTF8 }) else {
            throw error("string is not valid UTF-8")
        }
        return text
    }

    private mutating func readHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case 48...57: digit = UInt32(byte - 48)
            case 65...70: digit = UInt32(byte - 55)
            case 97...102: digit = UInt32(byte - 87)
            default: throw error("expected a hex digit in a \\u escape")
            }
            value = value * 16 + digit
            index += 1
        }
        return value
    }

    /// Reads a number value.
    public mutating func readNumber() throws -> Double {
        skipWhitespace()
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if (byte >= 48 && byte <= 57) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+")
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            {
                index += 1
            } else {
                break
            }
        }
        let field = Field(bytes: UnsafeBufferPointer(rebasing: bytes[start..<index]), column: start + 1)
        guard let value = field.number else {
            index = start
            throw error("expected a number, found \(found())")
        }
        return value
    }

    /// Skips any value (object, array, string, number, true, false, null).
    public mutating func skipValue() throws {
        skipWhitespace()
        guard index < bytes.count else { throw error("expected a value, found end of line (truncated JSON)") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try readObject { _, scanner in try scanner.skipValue() }
        case UInt8(ascii: "["): try readArray { scanner in try scanner.skipValue() }
        case UInt8(ascii: "\""):
            index += 1
            while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            guard index < bytes.count else { throw error("unterminated string (truncated JSON)") }
            index += 1
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            while index < bytes.count && bytes[index] >= UInt8(ascii: "a") && bytes[index] <= UInt8(ascii: "z") {
                index += 1
            }
        default:
            _ = try readNumber()
        }
    }

    /// Throws unless only whitespace remains.
    public mutating func expectEnd() throws {
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected \(found()) after the JSON value") }
    }
}
