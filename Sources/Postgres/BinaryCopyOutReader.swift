/// Reads the rows of one CopyData message of `COPY ... TO STDOUT (FORMAT binary)`: per row a 16-bit field count
/// (−1 for the trailer), then per field a 32-bit byte length (−1 for NULL) and the value in its type's binary send
/// format, all integers big-endian. Fields are read left to right with the typed readers.
public struct BinaryCopyOutReader {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var position = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Skips the file header (`PGCOPY\n\377\r\n\0`, flags, header extension).
    mutating func skipHeader() throws {
        let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
        guard bytes.count >= 19, Array(bytes[0..<11]) == signature else {
            throw Self.malformed("the binary COPY header is missing")
        }
        position = 11
        _ = try integer(UInt32.self)  // flags
        position += Int(try integer(UInt32.self))  // header extension
    }

    /// Starts the next row; `false` at the trailer or the end of the message.
    mutating func beginRow() throws -> Bool {
        guard position < bytes.count else { return false }
        return try integer(UInt16.self) != UInt16.max
    }

    /// A `text` field (`nil` for NULL).
    public mutating func text() throws -> String? {
        guard let length = try fieldLength() else { return nil }
        let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + length]), as: UTF8.self)
        position += length
        return value
    }

    /// A one-dimensional `real[]` field without NULL elements (`nil` for a NULL field; an empty array for `{}`).
    public mutating func realArray() throws -> [Float]? {
        guard let length = try fieldLength() else { return nil }
        let end = position + length
        let dimensions = try integer(UInt32.self)
        _ = try integer(UInt32.self)  // has-null flag
        let element = try integer(UInt32.self)
        guard element == BinaryCopyInWriter.float4OID else { throw Self.malformed("expected real[], element oid \(element)") }
        guard dimensions <= 1 else { throw Self.malformed("expected a one-dimensional array, found \(dimensions)") }
        if dimensions == 0 {
            position = end
            return []
        }
        let count = Int(try integer(UInt32.self))
        _ = try integer(UInt32.self)  // lower bound
        var values = [Float]()
        values.reserveCapacity(count)
        for _ in 0..<count {
            guard try integer(UInt32.self) == 4 else { throw Self.malformed("a real[] element is NULL or not 4 bytes") }
            values.append(Float(bitPattern: try integer(UInt32.self)))
        }
        guard position == end else { throw Self.malformed("a real[] field's length does not match its elements") }
        return values
    }

    /// The next field's byte length, `nil` for NULL.
    private mutating func fieldLength() throws -> Int? {
        let length = Int32(bitPattern: try integer(UInt32.self))
        if length < 0 { return nil }
        guard position + Int(length) <= bytes.count else { throw Self.malformed("a field runs past its row") }
        return Int(length)
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= bytes.count else { throw Self.malformed("a row ends inside a field") }
        var value: T = 0
        for index in 0..<size { value = value << 8 | T(bytes[position + index]) }
        position += size
        return value
    }

    private static func malformed(_ what: String) -> PostgresError {
        PostgresError(message: "binary COPY: \(what)", query: "", isConnectionFailure: false)
    }
}
