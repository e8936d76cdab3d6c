/// Bytes for one `COPY ... FROM STDIN (FORMAT binary)`, sent to the server in 1 MiB pieces as they fill.
///
/// The format (PostgreSQL's "Binary Format" of COPY): the signature `PGCOPY\n\377\r\n\0`, 32-bit flags and header
/// extension length (both 0); then per row a 16-bit field count and per field a 32-bit byte length (−1 for NULL)
/// followed by the value in the type's binary send format, all integers big-endian; then a 16-bit −1 trailer.
/// Start each row with ``beginRow(fields:)``, then write exactly that many fields.
public struct BinaryCopyInWriter {
    private var buffer: [UInt8] = []
    private let flush: (inout [UInt8]) throws -> Void

    /// The OID of `float4` (`real`), the element type of a `real[]` column.
    static let float4OID: UInt32 = 700

    init(flush: @escaping (inout [UInt8]) throws -> Void) {
        self.flush = flush
        buffer.reserveCapacity(1 << 20)
        buffer.append(contentsOf: [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])  // PGCOPY\n\377\r\n\0
        appendBigEndian(UInt32(0))  // flags
        appendBigEndian(UInt32(0))  // header extension length
    }

    /// Starts a row of `fields` fields, sending the buffer first when it holds 1 MiB.
    public mutating func beginRow(fields: Int) throws {
        if buffer.count >= 1 << 20 { try flush(&buffer) }
        appendBigEndian(UInt16(fields))
    }

    /// A `bigint` field.
    public mutating func appendBigInt(_ value: Int64) {
        appendBigEndian(UInt32(8))
        appendBigEndian(UInt64(bitPattern: value))
    }

    /// A `text` field: its UTF-8 bytes (no escaping in the binary format).
    public mutating func appendText(_ value: String) {
        var value = value
        value.withUTF8 { bytes in
            appendBigEndian(UInt32(bytes.count))
            buffer.append(contentsOf: bytes)
        }
    }

    /// A one-dimensional `real[]` field without NULLs: `ndim = 1, has-null = 0, element type float4, length n,
    /// lower bound 1`, then each element as a 4-byte length and its IEEE-754 bits (NaN and ±Infinity included).
    public mutating func appendRealArray(_ values: [Float]) {
        appendBigEndian(UInt32(20 + 8 * values.count))
        appendBigEndian(UInt32(1))
        appendBigEndian(UInt32(0))
        appendBigEndian(Self.float4OID)
        appendBigEndian(UInt32(values.count))
        appendBigEndian(UInt32(1))
        for value in values {
            appendBigEndian(UInt32(4))
            appendBigEndian(value.bitPattern)
        }
    }

    /// A NULL field.
    public mutating func appendNull() { appendBigEndian(UInt32.max) }

    /// Writes the trailer and sends what is left.
    mutating func finish() throws {
        appendBigEndian(UInt16.max)
        try flush(&buffer)
    }

    private mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }
}
