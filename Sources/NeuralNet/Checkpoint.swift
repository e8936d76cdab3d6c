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
/// data: each entry's Float32 values (IEEE bit patterns), in entry order
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

    /// Decodes and verifies bytes written by `encoded()`.
    /// - Throws: `CheckpointError` for a bad magic, an unknown version, truncation, or a checksum mismatch
    ///   (naming the parameter whose data is corrupt).
    public init(decoding bytes: [UInt8]) throws(CheckpointError) {
        var reader = ByteReader(bytes: bytes)
        guard bytes.count >= 8, Array(bytes[0..<8]) == Checkpoint.magic else { throw .badMagic }
        reader.position = 8
        let version: UInt32 = try reader.read("format version")
        guard version == Checkpoint.formatVersion else { throw .unsupportedVersion(version) }
        let step = Int64(bitPattern: try reader.read("step") as UInt64)
        let count: UInt32 = try reader.read("entry count")
        var headers: [(name: String, kind: Kind, shape: [Int], checksum: UInt64)] = []
        for index in 0..<Int(count) {
            let nameLength: UInt32 = try reader.read("name length of entry \(index)")
            let nameBytes = try reader.bytes(Int(nameLength), "name of entry \(index)")
            let name = String(decoding: nameBytes, as: UTF8.self)
            let kindByte: UInt8 = try reader.read("kind of '\(name)'")
            let rank: UInt32 = try reader.read("rank of '\(name)'")
            guard rank <= 16 else { throw .headerChecksumMismatch }
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try reader.read("shape of '\(name)'") as UInt64)) }
            let checksum: UInt64 = try reader.read("checksum of '\(name)'")
            headers.append((name, Kind(rawValue: kindByte) ?? .parameter, shape, checksum))
        }
        let headerEnd = reader.position
        let headerChecksum: UInt64 = try reader.read("header checksum")
        guard fnv1a(bytes[0..<headerEnd]) == headerChecksum else { throw .headerChecksumMismatch }
        var entries: [Entry] = []
        for header in headers {
            let count = header.shape.reduce(1, *)
            let raw = try reader.bytes(4 * count, "data of '\(header.name)'")
            guard fnv1a(raw) == header.checksum else { throw .checksumMismatch(name: header.name) }
            var values = [Float](repeating: 0, count: count)
            raw.withUnsafeBytes { p in
                for i in 0..<count {
                    let bits = p.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)
                    values[i] = Float(bitPattern: UInt32(littleEndian: bits))
                }
            }
            let tensor = Tensor(shape: header.shape, storage: values)
            entries.append(Entry(name: header.name, kind: header.kind, tensor: tensor))
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

private struct ByteReader {
    let bytes: [UInt8]
    var position = 0

    mutating func read<T: FixedWidthInteger>(_ what: String) throws(CheckpointError) -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= bytes.count else { throw .truncated(what: what) }
        var value: T = 0
        for i in 0..<size { value |= T(bytes[position + i]) << (8 * i) }
        position += size
        return value
    }

    mutating func bytes(_ count: Int, _ what: String) throws(CheckpointError) -> ArraySlice<UInt8> {
        guard count >= 0, position + count <= bytes.count else { throw .truncated(what: what) }
        defer { position += count }
        return bytes[position..<(position + count)]
    }
}
