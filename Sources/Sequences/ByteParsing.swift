/// One line of a text file as bytes, with its position for error messages (pure; no I/O).
public struct TextLine {
    /// The line's bytes without the line terminator (`\n` or `\r\n`). Valid only inside the reader's callback.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// 1-based line number.
    public let number: Int

    /// A line from its bytes and number.
    public init(bytes: UnsafeBufferPointer<UInt8>, number: Int) {
        self.bytes = bytes
        self.number = number
    }

    /// The line decoded as UTF-8 (invalid sequences repaired).
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The line quoted for an error message: at most `DatasetError.maxQuotedCharacters` characters (see
    /// `DatasetError.quoted`), decoded from a bounded prefix, so a long line costs nothing more.
    public var quoted: String { Field(bytes: bytes, column: 1).quoted }
}

/// One field of a line: a byte range plus its 1-based column.
public struct Field {
    /// The field's bytes (quotes already removed for unquoted CSV; see `CSVFields` for quoted ones).
    public let bytes: UnsafeBufferPointer<UInt8>
    /// 1-based byte column where the field starts.
    public let column: Int

    /// A field from bytes and column.
    public init(bytes: UnsafeBufferPointer<UInt8>, column: Int) {
        self.bytes = bytes
        self.column = column
    }

    /// Whether the field is empty.
    public var isEmpty: Bool { bytes.isEmpty }

    /// The bytes as UTF-8 text (invalid sequences repaired), for messages and ids.
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The field quoted for an error message as UTF-8 (invalid sequences repaired): at most
    /// `DatasetError.maxQuotedCharacters` characters, decoded from a bounded prefix of the bytes.
    public var quoted: String {
        let limit = 4 * (DatasetError.maxQuotedCharacters + 1)
        let prefix = UnsafeBufferPointer(rebasing: bytes.prefix(limit))
        return DatasetError.quoted(String(decoding: prefix, as: UTF8.self), truncated: bytes.count > limit)
    }

    /// The field quoted for an error message as Latin-1 (see `quoted`).
    public var quotedLatin1: String {
        let limit = DatasetError.maxQuotedCharacters + 1
        let prefix = Field(bytes: UnsafeBufferPointer(rebasing: bytes.prefix(limit)), column: column)
        return DatasetError.quoted(prefix.latin1, truncated: bytes.count > limit)
    }

    /// The bytes as Latin-1 text (every byte is one Unicode scalar U+0000...U+00FF).
    public var latin1: String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(Unicode.Scalar(byte)) }
        return String(scalars)
    }

    /// The bytes as strict UTF-8, or nil when they are not valid UTF-8.
    public var strictUTF8: String? {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        var scalars = String.UnicodeScalarView()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): scalars.append(scalar)
            case .emptyInput: return String(scalars)
            case .error: return nil
            }
        }
    }

    /// The field as a decimal integer (optional leading '-'), or nil when it is not one.

    public var integer: Int64? {
        var index = 0
        let count = bytes.count
        guard count > 0 else { return nil }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
            guard count > 1 else { return nil }
        }
        var value: Int64 = 0
        while index < count {
            let digit = bytes[index] &- 48
            guard digit < 10, value < 922_337_203_685_477_580 else { return nil }
            value = value * 10 + Int64(digit)
            index += 1
        }
        return negative ? -value : value
    }

    /// The field as a decimal number (`3`, `3.5`, `-0.25`, `4e2`), or nil when it is not one.
    public var number: Double? {
        guard !bytes.isEmpty else { return nil }
        // Fast path: digits with an optional single fraction part.
        var index = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        var mantissa: Int64 = 0
        var digits = 0
        var scale = 0
        var seenDot = false
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else if byte &- 48 < 10, digits < 17 {
                mantissa = mantissa * 10 + Int64(byte &- 48)
                digits += 1
                if seenDot { scale += 1 }
            } else {
                return Double(text)  // exponents and long numbers: the standard parser
            }
            index += 1
        }
        guard digits > 0 else { return nil }
        var value = Double(mantissa)
        if scale > 0 { value /= pow10(scale) }
        return negative ? -value : value
    }

    private func pow10(_ n: Int) -> Double {
        var result = 1.0
        for _ in 0..<n { result *= 10 }
        return result
    }

    /// Whether the field equals an ASCII string.
    public func equals(_ string: StaticString) -> Bool {
        guard bytes.count == string.utf8CodeUnitCount else { return false }
        let other = UnsafeBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount)
        return bytes.elementsEqual(other)
    }
}

/// Splits a line at a one- or two-byte separator (`\t`, `|`, `::`, `,` without quotes, ` `).
public struct FieldSplitter {
    private let line: UnsafeBufferPointer<UInt8>
    private let first: UInt8
    private let second: UInt8?
    private var position = 0
    private var finished = false

    /// A splitter over a line; `separator` is one or two ASCII bytes.
    public init(_ line: UnsafeBufferPointer<UInt8>, separator: StaticString) {
        precondition(separator.utf8CodeUnitCount == 1 || separator.utf8CodeUnitCount == 2)
        self.line = line
        self.first = separator.utf8Start[0]
        self.second = separator.utf8CodeUnitCount == 2 ? separator.utf8Start[1] : nil
    }

    /// The column (1-based) where the next field would start.
    public var column: Int { position + 1 }

    /// Whether every field has been returned.
    public var isAtEnd: Bool { finished }

    /// The next field, or nil after the last one.

    public mutating func next() -> Field? { nextField() }

    mutating func nextField() -> Field? {
        guard !finished else { return nil }
        let start = position
        var index = position
        let count = line.count
        if let second {
            while index < count {
                if line[index] == first && index + 1 < count && line[index + 1] == second { break }
                index += 1
            }
        } else {
            while index < count && line[index] != first { index += 1 }
        }
        let field = Field(bytes: UnsafeBufferPointer(rebasing: line[start..<index]), column: start + 1)
        if index >= count {
            finished = true
        } else {
            position = index + (second == nil ? 1 : 2)
        }
        return field
    }
}

/// Splits one RFC 4180 CSV line (comma separated; fields may be quoted with `"`, a quote inside doubled `""`).
///
/// Quoted fields may not span lines (MovieLens files never do); an unterminated quote is an error.
public struct CSVFields {
    /// The line's fields as decoded strings (quotes removed, `""` → `"`), with their 1-based columns.
    public private(set) var values: [(text: String, column: Int)] = []

    /// Splits `line`; throws a `DatasetError` naming `file` for an unterminated or misplaced quote, or for text
    /// that is not UTF-8.
    public init(_ line: TextLine, file: String) throws {
        let bytes = line.bytes
        var index = 0
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        while true {
            let column = index + 1
            var fieldBytes: [UInt8] = []
            if index < bytes.count && bytes[index] == quote {
                index += 1
                var closed = false
                while index < bytes.count {
                    if bytes[index] == quote {
                        if index + 1 < bytes.count && bytes[index + 1] == quote {
                            fieldBytes.append(quote)
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    fieldBytes.append(bytes[index])
                    index += 1
                }
                guard closed else {
                    throw DatasetError(
                        file: file, line: line.number, column: column,
                        message: "unterminated quoted field (expected a closing '\"')")
                }
                guard index == bytes.count || bytes[index] == comma else {
                    throw DatasetError(
                        file: file, line: line.number, column: index + 1,
                        message: "expected ',' or end of line after a closing quote")
                }
            } else {
                while index < bytes.count && bytes[index] != comma {
                    if bytes[index] == quote {
                        throw DatasetError(
                            file: file, line: line.number, column: index + 1,
                            message: "quote inside an unquoted field (RFC 4180 expects the field quoted)")
                    }
                    fieldBytes.append(bytes[index])
                    index += 1
                }
            }
            let text = fieldBytes.withUnsafeBufferPointer { Field(bytes: $0, column: column).strictUTF8 }
            guard let text else {
                throw DatasetError(
                    file: file, line: line.number, column: column,
                    message: "text is not valid UTF-8")
            }
            values.append((text, column))
            if index >= bytes.count { break }
            index += 1  // skip the comma
        }
    }
}
