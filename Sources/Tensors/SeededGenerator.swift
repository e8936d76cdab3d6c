/// A seeded, splittable pseudo-random generator (xoshiro256** seeded through SplitMix64).
///
/// Determinism: the same seed gives the same stream on every platform. Streams for jobs, data-loader workers
/// or layers are derived without touching the parent: `SeededGenerator(seed: experimentSeed).derived(jobIndex)`
/// depends only on the parent's state and the label, so a rerun of one job reproduces it alone.
/// Pass generators `inout`; there is no global generator.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose state is expanded from `seed` with SplitMix64.
    public init(seed: UInt64) {
        var x = seed
        s0 = SeededGenerator.splitMix(&x)
        s1 = SeededGenerator.splitMix(&x)
        s2 = SeededGenerator.splitMix(&x)
        s3 = SeededGenerator.splitMix(&x)
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// SplitMix64 step: advances `x` and returns a well-mixed 64-bit value.
    @inlinable
    public static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= 0x9E37_79B9_7F4A_7C15
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Hashes a label string to a 64-bit stream id (FNV-1a), for `derived(_:)` with readable labels.
    public static func streamID(_ label: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// A child generator for stream `stream`, a pure function of this generator's state and `stream`;
    /// `self` is not advanced. Distinct streams give independent-looking sequences.
    public func derived(_ stream: UInt64) -> SeededGenerator {
        var x = s0 ^ SeededGenerator.rotate(s1, 17) ^ SeededGenerator.rotate(s2, 31) ^ SeededGenerator.rotate(s3, 47)
        var mixed = SeededGenerator.splitMix(&x)
        var y = stream ^ 0xD1B5_4A32_D192_ED03
        mixed ^= SeededGenerator.splitMix(&y)
        return SeededGenerator(seed: mixed)
    }

    /// A child generator for a named stream, e.g. `derived("dropout")`; `self` is not advanced.
    public func derived(_ label: String) -> SeededGenerator {
        derived(SeededGenerator.streamID(label))
    }

    /// Advances `self` and returns a fresh child generator seeded from its next output.
    public mutating func split() -> SeededGenerator {
        SeededGenerator(seed: next())
    }

    @inlinable
    static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = SeededGenerator.rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = SeededGenerator.rotate(s3, 45)
        return result
    }

    /// A uniform Float in `[0, 1)` with 24 random bits.
    public mutating func nextUniform() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform Double in `[0, 1)` with 53 random bits.
    public mutating func nextUniformDouble() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal sample N(0, 1) (Box–Muller in Double precision, one value per call).
    public mutating func nextNormal() -> Double {
        var u1 = nextUniformDouble()
        while u1 <= 0 { u1 = nextUniformDouble() }
        let u2 = nextUniformDouble()
        return (-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound` (bound > 0), unbiased (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "SeededGenerator.nextInt: bound must be positive")
        return Int(next(upperBound: UInt64(bound)))
    }
}

import RealModule

@inline(__always) private func _log(_ x: Double) -> Double { Double.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Double.cos(x) }
