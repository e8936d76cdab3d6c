import NeuralNet
import Randomness
import Tensors
import Testing

// Corrupt checkpoints must never crash a worker: every malformed input throws a `CheckpointError`. A trap would
// end the test process, so each loop below fails loudly if decoding can trap.

/// FNV-1a 64, as the format documents it (written here again so the tests can forge well-sealed headers).
private func fnv1a(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    return hash
}

private func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
}

/// One entry of a hand-made checkpoint: raw header fields, so a test can write values `encoded()` never would.
private struct RawEntry {
    var name: [UInt8]
    var kind: UInt8 = 0
    var dims: [UInt64]
    var data: [UInt8]
}

/// A checkpoint laid out by hand with correct checksums, and the offset where its header checksum sits.
private func forge(step: UInt64 = 0, count: UInt32? = nil, entries: [RawEntry]) -> (bytes: [UInt8], headerEnd: Int) {
    var header = Array("STWCKPT1".utf8)
    append(UInt32(1), to: &header)
    append(step, to: &header)
    append(count ?? UInt32(entries.count), to: &header)
    var data: [UInt8] = []
    for entry in entries {
        append(UInt32(entry.name.count), to: &header)
        header += entry.name
        header.append(entry.kind)
        append(UInt32(entry.dims.count), to: &header)
        for dim in entry.dims { append(dim, to: &header) }
        append(fnv1a(entry.data[...]), to: &header)
        data += entry.data
    }
    let headerEnd = header.count
    append(fnv1a(header[...]), to: &header)
    return (header + data, headerEnd)
}

/// Rewrites the header checksum at `headerEnd` so that header corruption reaches the field checks.
private func reseal(_ bytes: inout [UInt8], headerEnd: Int) {
    let checksum = fnv1a(bytes[0..<headerEnd])
    withUnsafeBytes(of: checksum.littleEndian) { for (i, b) in $0.enumerated() { bytes[headerEnd + i] = b } }
}

private func validCheckpoint() -> [UInt8] {
    var g = Xoshiro256StarStar(seed: 7)
    let linear = Linear(3, 4, name: "fc", generator: &g)
    let norm = BatchNorm1d(4, name: "bn")
    let parameters = linear.parameters + norm.parameters
    return Checkpoint(parameters: parameters, optimizer: Adam.adamW(parameters: parameters, learningRate: 0.01))
        .encoded()
}

/// The offset of the header checksum in bytes written by `encoded()`.
private func headerEnd(of bytes: [UInt8]) throws -> Int {
    let checkpoint = try Checkpoint(decoding: bytes)
    return checkpoint.entries.reduce(24) { $0 + 4 + $1.name.utf8.count + 1 + 4 + 8 * $1.tensor.rank + 8 }
}

@Test func headerFieldsWithTheTopBitSetThrowInsteadOfTrapping() throws {
    // The defect: a shape of 2⁶³ trapped converting to Int before anything was checked.
    let huge = forge(entries: [RawEntry(name: Array("w".utf8), dims: [1 << 63, 2], data: [])])
    #expect(throws: CheckpointError.invalidHeader(
        reason: "entry 'w' has an axis of 9223372036854775808; expected at most 2147483647")) {
        try Checkpoint(decoding: huge.bytes)
    }
    let product = forge(entries: [RawEntry(name: Array("w".utf8), dims: [1 << 31 - 1, 1 << 31 - 1, 1 << 31 - 1],
                                           data: [])])
    #expect(throws: CheckpointError.self) { try Checkpoint(decoding: product.bytes) }
    let overflowBeforeZero = forge(entries: [RawEntry(name: Array("w".utf8),
                                                      dims: [1 << 31 - 1, 1 << 31 - 1, 1 << 31 - 1, 0], data: [])])
    #expect(throws: CheckpointError.self) { try Checkpoint(decoding: overflowBeforeZero.bytes) }
    let negativeStep = forge(step: 1 << 63, entries: [])
    #expect(throws: CheckpointError.invalidHeader(reason: "step -9223372036854775808: expected >= 0")) {
        try Checkpoint(decoding: negativeStep.bytes)
    }
    let manyEntries = forge(count: .max, entries: [])
    #expect(throws: CheckpointError.truncated(what: "the headers of 4294967295 entries")) {
        try Checkpoint(decoding: manyEntries.bytes)
    }
    let longName = forge(entries: [RawEntry(name: Array("w".utf8), dims: [1], data: [0, 0, 0, 0])])
    var bytes = longName.bytes
    bytes[24] = 0xFF; bytes[25] = 0xFF; bytes[26] = 0xFF; bytes[27] = 0xFF  // name length 2³²−1
    #expect(throws: CheckpointError.truncated(what: "name of entry 0")) { try Checkpoint(decoding: bytes) }
    let badKind = forge(entries: [RawEntry(name: Array("w".utf8), kind: 9, dims: [1], data: [0, 0, 0, 0])])
    #expect(throws: CheckpointError.invalidHeader(reason: "entry 'w' has kind 9; expected 0 or 1")) {
        try Checkpoint(decoding: badKind.bytes)
    }
    let deep = forge(entries: [RawEntry(name: Array("w".utf8), dims: Array(repeating: 1, count: 17),
                                        data: [0, 0, 0, 0])])
    #expect(throws: CheckpointError.invalidHeader(reason: "entry 'w' has rank 17; expected at most 16")) {
        try Checkpoint(decoding: deep.bytes)
    }
    let badName = forge(entries: [RawEntry(name: [0xC3], dims: [1], data: [0, 0, 0, 0])])
    #expect(throws: CheckpointError.invalidHeader(reason: "the name of entry 0 is not valid UTF-8")) {
        try Checkpoint(decoding: badName.bytes)
    }
    let trailing = forge(entries: [RawEntry(name: Array("w".utf8), dims: [1], data: [0, 0, 0, 0])]).bytes + [1]
    let after = "expected nothing after the last entry's data, found 1 more bytes"
    #expect(throws: CheckpointError.invalidHeader(reason: after)) {
        try Checkpoint(decoding: trailing)
    }
    // The forger itself writes what the decoder reads.
    let good = forge(step: 3, entries: [RawEntry(name: Array("w".utf8), dims: [1], data: [0, 0, 0x80, 0x3F])])
    let decoded = try Checkpoint(decoding: good.bytes)
    #expect(decoded.step == 3 && decoded.entries.first?.tensor.storage == [1])
}

@Test func randomByteFlipsAndTruncationsNeverCrash() throws {
    let valid = validCheckpoint()
    var g = Xoshiro256StarStar(seed: 2024)
    // Flips anywhere: the checksums catch every one.
    var rejected = 0
    let flips = 3000
    for _ in 0..<flips {
        var bytes = valid
        var positions = Set<Int>()
        while positions.count < 1 + g.nextInt(below: 4) { positions.insert(g.nextInt(below: bytes.count)) }
        for position in positions { bytes[position] ^= UInt8(1 + g.nextInt(below: 255)) }
        do {
            _ = try Checkpoint(decoding: bytes)
        } catch {
            rejected += 1
        }
    }
    #expect(rejected == flips)
    // Every truncation, and a few extensions.
    for length in 0..<valid.count {
        #expect(throws: CheckpointError.self) { try Checkpoint(decoding: Array(valid.prefix(length))) }
    }
    for extra in 1...8 {
        let longer = valid + [UInt8](repeating: 0xFF, count: extra)
        #expect(throws: CheckpointError.self) { try Checkpoint(decoding: longer) }
    }
}

@Test func corruptHeadersWithValidChecksumsNeverCrash() throws {
    // Flips inside the header, re-sealed so the checksum matches: the field checks alone must hold. Whatever still
    // decodes must encode back to exactly the bytes it came from.
    let valid = validCheckpoint()
    let end = try headerEnd(of: valid)
    var g = Xoshiro256StarStar(seed: 99)
    var decodedCount = 0
    var rejectedCount = 0
    for round in 0..<4000 {
        var bytes = valid
        for _ in 0..<(1 + g.nextInt(below: 3)) {
            let position = 8 + g.nextInt(below: end - 8)
            // Alternate small flips with whole bytes set to extremes (0x00, 0x80, 0xFF), which hit lengths hardest.
            bytes[position] = round % 2 == 0 ? bytes[position] ^ UInt8(1 << g.nextInt(below: 8))
                                             : [0x00, 0x80, 0xFF][g.nextInt(below: 3)]
        }
        reseal(&bytes, headerEnd: end)
        do {
            let checkpoint = try Checkpoint(decoding: bytes)
            decodedCount += 1
            #expect(checkpoint.encoded() == bytes)
        } catch {
            rejectedCount += 1
        }
    }
    #expect(decodedCount + rejectedCount == 4000)
    #expect(rejectedCount > 0)
}
