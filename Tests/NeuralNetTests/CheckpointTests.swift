import NeuralNet
import Randomness
import Tensors
import Testing

private func model(seed: UInt64) -> (Linear, BatchNorm1d, [Parameter]) {
    var g = Xoshiro256StarStar(seed: seed)
    let linear = Linear(3, 4, name: "fc", generator: &g)
    let norm = BatchNorm1d(4, name: "bn")
    return (linear, norm, linear.parameters + norm.parameters)
}

private func trainStep(_ linear: Linear, _ norm: BatchNorm1d, _ parameters: [Parameter], _ optimizer: any Optimizer,
                       seed: UInt64) {
    var g = Xoshiro256StarStar(seed: seed)
    let x = Tensor.normal(shape: [6, 3], std: 1, using: &g)
    Parameter.zeroGrads(parameters)
    let y = norm.forward(linear.forward(x), training: true)
    _ = linear.backward(norm.backward(y))  // loss ½‖y‖²
    optimizer.step()
}

@Test func checkpointRoundTripsBitForBit() throws {
    let (linear, norm, parameters) = model(seed: 1)
    let optimizer = Adam.adamW(parameters: parameters, learningRate: 0.01)
    trainStep(linear, norm, parameters, optimizer, seed: 5)
    linear.weight.value.storage[0] = Float(bitPattern: 0x7FC0_1234)  // a NaN with payload
    let checkpoint = Checkpoint(parameters: parameters, optimizer: optimizer)
    let bytes = checkpoint.encoded()
    let decoded = try Checkpoint(decoding: bytes)
    #expect(decoded.step == 1)
    #expect(decoded.entries.count == checkpoint.entries.count)
    for (a, b) in zip(decoded.entries, checkpoint.entries) {
        #expect(a.name == b.name && a.kind == b.kind && a.tensor.shape == b.tensor.shape)
        #expect(a.tensor.storage.map(\.bitPattern) == b.tensor.storage.map(\.bitPattern))
    }
    #expect(decoded.encoded() == bytes)
}

@Test func restoredModelAndOptimizerContinueIdentically() throws {
    let (l1, n1, p1) = model(seed: 1)
    let o1 = Adam.adamW(parameters: p1, learningRate: 0.01, weightDecay: 0.1)
    trainStep(l1, n1, p1, o1, seed: 5)
    let bytes = Checkpoint(parameters: p1, optimizer: o1).encoded()
    let (l2, n2, p2) = model(seed: 2)
    let o2 = Adam.adamW(parameters: p2, learningRate: 0.01, weightDecay: 0.1)
    try Checkpoint(decoding: bytes).restore(into: p2, optimizer: o2)
    #expect(o2.stepCount == 1)
    trainStep(l1, n1, p1, o1, seed: 6)
    trainStep(l2, n2, p2, o2, seed: 6)
    for (a, b) in zip(p1, p2) { #expect(a.value.storage.map(\.bitPattern) == b.value.storage.map(\.bitPattern)) }
}

@Test func shapeMismatchNamesTheParameter() throws {
    let (_, _, parameters) = model(seed: 1)
    let bytes = Checkpoint(parameters: parameters).encoded()
    var g = Xoshiro256StarStar(seed: 3)
    let other = Linear(3, 5, name: "fc", generator: &g)
    #expect(throws: CheckpointError.shapeMismatch(name: "fc.weight", expected: [3, 5], found: [3, 4])) {
        try Checkpoint(decoding: bytes).restore(into: other.parameters)
    }
    let renamed = Linear(3, 4, name: "head", generator: &g)
    #expect(throws: CheckpointError.missingEntry(name: "head.weight")) {
        try Checkpoint(decoding: bytes).restore(into: renamed.parameters)
    }
    let message = CheckpointError.shapeMismatch(name: "fc.weight", expected: [3, 5], found: [3, 4]).description
    #expect(message.contains("fc.weight") && message.contains("[3, 5]"))
}

@Test func corruptionIsDetectedAndNamed() throws {
    let (_, _, parameters) = model(seed: 1)
    var bytes = Checkpoint(parameters: parameters).encoded()
    // The last 4·4 bytes are the data of the final entry, bn.running_var.
    bytes[bytes.count - 3] ^= 0x01
    #expect(throws: CheckpointError.checksumMismatch(name: "bn.running_var")) { try Checkpoint(decoding: bytes) }
    var header = Checkpoint(parameters: parameters).encoded()
    header[30] ^= 0x20  // inside the first entry's name
    #expect(throws: CheckpointError.headerChecksumMismatch) { try Checkpoint(decoding: header) }
    let good = Checkpoint(parameters: parameters).encoded()
    #expect(throws: CheckpointError.badMagic) { try Checkpoint(decoding: Array(good.dropFirst())) }
    #expect(throws: (any Error).self) { try Checkpoint(decoding: Array(good.prefix(good.count - 1))) }
    var version = good
    version[8] = 9
    #expect(throws: CheckpointError.unsupportedVersion(9)) { try Checkpoint(decoding: version) }
}

@Test func missingOptimizerStateNamesTheEntryAndChangesNothing() throws {
    let (_, _, parameters) = model(seed: 1)
    let bytes = Checkpoint(parameters: parameters).encoded()  // no optimiser state
    let (_, _, other) = model(seed: 2)
    let before = other.map(\.value)
    let optimizer = SGD(parameters: other, learningRate: 0.1)
    #expect(throws: CheckpointError.missingEntry(name: "fc.weight.momentum")) {
        try Checkpoint(decoding: bytes).restore(into: other, optimizer: optimizer)
    }
    #expect(other.map(\.value) == before)
    try Checkpoint(decoding: bytes).restore(into: other)
    #expect(other.map(\.value) == parameters.map(\.value))
}
