import Tensors

/// Why a checkpoint could not be decoded or restored; every case names what was wrong.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The bytes do not start with the checkpoint magic.
    case badMagic
    /// A format version this build cannot read.
    case unsupportedVersion(UInt32)
    /// The bytes end early while reading `what`.
    case truncated(what: String)
    /// The header checksum does not match (names, shapes or counts corrupted).
    case headerChecksumMismatch
    /// The data of entry `name` does not match its checksum.
    case checksumMismatch(name: String)
    /// The model or optimiser expects `name`, the checkpoint lacks it.
    case missingEntry(name: String)
    /// Entry `name` has shape `found` where `expected` is required.
    case shapeMismatch(name: String, expected: [Int], found: [Int])
    /// A header whose checksum matches but whose fields are impossible (a negative step, an unknown kind, a rank
    /// over 16, a size larger than the data): `reason` names the entry and the field.
    case invalidHeader(reason: String)

    /// A sentence naming the entry and what was expected.
    public var description: String {
        switch self {
        case .badMagic: "checkpoint: bad magic bytes (not a SeqTwins checkpoint)"
        case .unsupportedVersion(let v):
            "checkpoint: format version \(v) is not supported (expected \(Checkpoint.formatVersion))"
        case .truncated(let what): "checkpoint: data ends early while reading \(what)"
        case .headerChecksumMismatch: "checkpoint: header checksum mismatch (names or shapes corrupted)"
        case .checksumMismatch(let name): "checkpoint: checksum mismatch in the data of parameter '\(name)'"
        case .missingEntry(let name): "checkpoint: no entry for parameter '\(name)'"
        case .shapeMismatch(let name, let expected, let found):
            "checkpoint: parameter '\(name)' has shape \(found) in the checkpoint, the model expects \(expected)"
        case .invalidHeader(let reason): "checkpoint: invalid header: \(reason)"
        }
    }
}

/// A model's parameters (and buffers) plus optional optimiser state, as a versioned binary blob.
///
/// Layout (all integers little-endian):
/// ```
/// "STWCKPT1"                      8 bytes magic
/// formatVersion  UInt32           currently 1
/// step           Int64            optimiser step count
/// entryCount     UInt32
/// entryCount × { nameLength UInt32, name UTF-8, kind UInt8 (0 parameter, 1 optimiser state),
///                rank UInt32, rank × dims UInt64, dataChecksum UInt64 (FNV-1a 64 of the entry's data bytes) }
/// headerChecksum UInt64           FNV-1a 64 of every byte above
/// data: each entry's Float32 values (IEEE bit patterns), in entry order, and nothing after them
/// ```
/// Round trip is bit for bit (values are stored as bit patterns, NaN payloads included).
public struct Checkpoint: Equatable, Sendable {
    /// The format version this build writes and reads.
    public static let formatVersion: UInt32 = 1
    static let magic: [UInt8] = Array("STWCKPT1".utf8)

    /// What an entry holds.
    public enum Kind: UInt8, Sendable {
        /// A model parameter or buffer.
        case parameter = 0
        /// An optimiser state tensor.
        case optimizerState = 1
    }

    /// One named tensor.
    public struct Entry: Equatable, Sendable {
        /// Parameter or state name.
        public var name: String
        /// What it holds.
        public var kind: Kind
        /// The values.
        public var tensor: Tensor

        /// An entry.
        public init(name: String, kind: Kind, tensor: Tensor) {
            self.name = name
            self.kind = kind
            self.tensor = tensor
        }
    }

    /// Optimiser step count (0 without an optimiser).
    public var step: Int
    /// Entries in order: parameters, then optimiser state.
    public var entries: [Entry]

    /// A checkpoint from explicit entries.
    public init(step: Int, entries: [Entry]) {
        self.step = step
        self.entries = entries
    }

    /// A snapshot of `parameters` (values, buffers included) and, if given, `optimizer`'s state and step.
    public init(parameters: [Parameter], optimizer: (any Optimizer)? = nil) {
        var entries = parameters.map { Entry(name: $0.name, kind: .parameter, tensor: $0.value) }
        if let optimizer {
            entries += optimizer.stateTensors().map { Entry(name: $0.name, kind: .optimizerState, tensor: $0.tensor) }
        }
        self.init(step: optimizer?.stepCount ?? 0, entries: entries)
    }

    /// Writes every parameter's value (and the optimiser state) back from this checkpoint.
    /// - Throws: `CheckpointError.missingEntry` or `.shapeMismatch` naming the first offending parameter;
    ///   nothing is modified unless every parameter matches.
    public func restore(into parameters: [Parameter], optimizer: (any Optimizer)? = nil) throws(CheckpointError) {
        var values: [String: Tensor] = [:]
        var state: [String: Tensor] = [:]
        for entry in entries {
            if entry.kind == .parameter { values[entry.name] = entry.tensor } else { state[entry.name] = entry.tensor }
        }
        for parameter in parameters {
            guard let value = values[parameter.name] else { throw .missingEntry(name: parameter.name) }
            guard value.shape == parameter.value.shape else {
                throw .shapeMismatch(name: parameter.name, expected: parameter.value.shape, found: value.shape)
            }
        }
        try optimizer?.loadState(state, stepCount: step)
        for parameter in parameters { parameter.value = values[parameter.name]! }
    }

    /// The binary encoding described on the type.
    public func encoded() -> [UInt8] {
        var header: [UInt8] = Checkpoint.magic
        append(Checkpoint.formatVersion, to: &header)
        append(UInt64(bitPattern: Int64(step)), to: &header)
        append(UInt32(entries.count), to: &header)
        var data: [UInt8] = []
        data.reserveCapacity(entries.reduce(0) { $0 + 4 * $1.tensor.count })
        for entry in entries {
            let name = Array(entry.name.utf8)
            append(UInt32(name.count), to: &header)
            header += name
            header.append(entry.kind.rawValue)
            append(UInt32(entry.tensor.rank), to: &header)
            for dim in entry.tensor.shape { append(UInt64(dim), to: &header) }
            let start = data.count
            for value in entry.tensor.storage { append(value.bitPattern, to: &data) }
            append(fnv1a(data[start...]), to: &header)
        }
        append(fnv1a(header[...]), to: &header)
        return header + data
    }

    /// The largest rank an entry may have.
    public static let maxRank = 16
    /// The largest extent of one axis.
    public static let maxExtent = Int(Int32.max)

    /// Decodes and verifies bytes written by `encoded()`. Never traps, whatever the bytes: every length is checked
    /// against the bytes that remain before it is used, the header checksum is verified before any header field
    /// is converted or trusted, and every entry's data is verified against its checksum.
    /// - Throws: `CheckpointError` for a bad magic, an unknown version, truncation, a checksum mismatch (naming the
    ///   parameter whose data is corrupt), an impossible header (`invalidHeader`), or bytes after the data.
    public init(decoding bytes: [UInt8]) throws(CheckpointError) {
        guard bytes.count >= 8, bytes[0..<8].elementsEqual(Checkpoint.magic) else { throw .badMagic }
        var reader = ByteReader(bytes: bytes, position: 8)
        let version: UInt32 = try reader.read("format version")
        guard version == Checkpoint.formatVersion else { throw .unsupportedVersion(version) }
        let stepBits: UInt64 = try reader.read("step")
        let count: UInt32 = try reader.read("entry count")
        // Pass 1: find the header's end, reading raw fields only; every read is bounded by the bytes that remain,
        // so a corrupt count or length ends in `truncated`, never in a huge allocation.
        let smallestEntry = 4 + 1 + 4 + 8
        guard Int(count) <= reader.remaining / smallestEntry else {
            throw .truncated(what: "the headers of \(count) entries")
        }
        var raw: [(name: ArraySlice<UInt8>, kind: UInt8, dims: [UInt64], checksum: UInt64)] = []
        raw.reserveCapacity(Int(count))
        for index in 0..<Int(count) {
            let nameLength: UInt32 = try reader.read("name length of entry \(index)")
            let name = try reader.bytes(Int(nameLength), "name of entry \(index)")
            let kind: UInt8 = try reader.read("kind of entry \(index)")
            let rank: UInt32 = try reader.read("rank of entry \(index)")
            guard Int(rank) <= reader.remaining / 8 else { throw .truncated(what: "shape of entry \(index)") }
            var dims: [UInt64] = []
            dims.reserveCapacity(Int(rank))
            for _ in 0..<Int(rank) { dims.append(try reader.read("shape of entry \(index)")) }
            let checksum: UInt64 = try reader.read("checksum of entry \(index)")
            raw.append((name, kind, dims, checksum))
        }
        let headerEnd = reader.position
        let headerChecksum: UInt64 = try reader.read("header checksum")
        guard fnv1a(bytes[0..<headerEnd]) == headerChecksum else { throw .headerChecksumMismatch }

        // Pass 2: the header is what the writer wrote; check that its fields make sense before using them.
        let step = Int64(bitPattern: stepBits)
        guard step >= 0 else { throw .invalidHeader(reason: "step \(step): expected >= 0") }
        var available = reader.remaining / 4
        var headers: [(name: String, kind: Kind, shape: [Int], count: Int, checksum: UInt64)] = []
        for (index, entry) in raw.enumerated() {
            let name = String(decoding: entry.name, as: UTF8.self)
            guard name.utf8.elementsEqual(entry.name) else {
                throw .invalidHeader(reason: "the name of entry \(index) is not valid UTF-8")
            }
            guard let kind = Kind(rawValue: entry.kind) else {
                throw .invalidHeader(reason: "entry '\(name)' has kind \(entry.kind); expected 0 or 1")
            }
            guard entry.dims.count <= Checkpoint.maxRank else {
                throw .invalidHeader(reason: "entry '\(name)' has rank \(entry.dims.count); expected at most "
                                     + "\(Checkpoint.maxRank)")
            }
            var shape: [Int] = []
            var elements = 1
            for dim in entry.dims {
                guard dim <= UInt64(Checkpoint.maxExtent) else {
                    throw .invalidHeader(reason: "entry '\(name)' has an axis of \(dim); expected at most "
                                         + "\(Checkpoint.maxExtent)")
                }
                shape.append(Int(dim))
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(dim))
                guard !overflow, product <= available else {
                    throw .invalidHeader(reason: "entry '\(name)' has shape \(entry.dims), more values than the "
                                         + "\(available) left in the data")
                }
                elements = product
            }
            available -= elements
            headers.append((name, kind, shape, elements, entry.checksum))
        }
        var entries: [Entry] = []
        entries.reserveCapacity(headers.count)
        for header in headers {
            let data = try reader.bytes(4 * header.count, "data of '\(header.name)'")
            guard fnv1a(data) == header.checksum else { throw .checksumMismatch(name: header.name) }
            var values = [Float](repeating: 0, count: header.count)
            data.withUnsafeBytes { p in
                for i in 0..<header.count {
                    let bits = p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    values[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            let tensor = Tensor(shape: header.shape, storage: values)
            entries.append(Entry(name: header.name, kind: header.kind, tensor: tensor))
        }
        guard reader.remaining == 0 else {
            throw .invalidHeader(
                reason: "expected nothing after the last entry's data, found \(reader.remaining) more bytes")
        }
        self.init(step: Int(step), entries: entries)
    }
}

private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

/// FNV-1a 64-bit hash.
func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    bytes.withUnsafeBufferPointer { p in
        for byte in p { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    }
    return hash
}

/// Reads little-endian integers and byte ranges, each checked against the bytes that remain.
private struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    /// The bytes not yet read.
    var remaining: Int { bytes.count - position }

    mutating func read<T: FixedWidthInteger>(_ what: String) throws(CheckpointError) -> T {
        let size = MemoryLayout<T>.size
        guard size <= remaining else { throw .truncated(what: what) }
        var value: T = 0
        for i in 0..<size { value |= T(bytes[position + i]) << (8 * i) }
        position += size
        return value
    }

    mutating func bytes(_ count: Int, _ what: String) throws(CheckpointError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated(what: what) }
        defer { position += count }
        return bytes[position..<(position + count)]
    }
}
