import RealModule

/// xoshiro256** (Blackman and Vigna 2018), seeded through SplitMix64: the generator of model training
/// (initialisation, dropout, batch order).
///
/// Determinism: the same seed gives the same stream on every platform. Streams for jobs, data-loader workers or
/// layers are derived without touching the parent: `Xoshiro256StarStar(seed: s).derived("dropout")` depends only on
/// the parent's state and the label, so a rerun of one job reproduces it alone. Pass generators `inout`; there is no
/// global generator.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// A generator whose state is four SplitMix64 outputs from `seed`.
    public init(seed: UInt64) {
        var x = seed
        s0 = Self.splitMix(&x)
        s1 = Self.splitMix(&x)
        s2 = Self.splitMix(&x)
        s3 = Self.splitMix(&x)
        if s0 | s1 | s2 | s3 == 0 { s0 = StreamHash.golden }
    }

    /// SplitMix64 step: `x += 0x9E3779B97F4A7C15`, then returns `StreamHash.mix(x)`.
    @inlinable
    public static func splitMix(_ x: inout UInt64) -> UInt64 {
        x &+= StreamHash.golden
        return StreamHash.mix(x)
    }

    /// Hashes a label string to a 64-bit stream id (FNV-1a), for `derived(_:)` with readable labels.
    public static func streamID(_ label: String) -> UInt64 { StreamHash.fnv1a(label) }

    /// A child generator for stream `stream`, a pure function of this generator's state and `stream`; `self` is not
    /// advanced. Distinct streams give independent-looking sequences.
    public func derived(_ stream: UInt64) -> Xoshiro256StarStar {
        var x = s0 ^ Self.rotate(s1, 17) ^ Self.rotate(s2, 31) ^ Self.rotate(s3, 47)
        var mixed = Self.splitMix(&x)
        var y = stream ^ 0xD1B5_4A32_D192_ED03
        mixed ^= Self.splitMix(&y)
        return Xoshiro256StarStar(seed: mixed)
    }

    /// A child generator for a named stream, e.g. `derived("dropout")`; `self` is not advanced.
    public func derived(_ label: String) -> Xoshiro256StarStar {
        derived(Self.streamID(label))
    }

    /// Advances `self` and returns a fresh child generator seeded from its next output.
    public mutating func split() -> Xoshiro256StarStar {
        Xoshiro256StarStar(seed: next())
    }

    @inlinable
    static func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = Self.rotate(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = Self.rotate(s3, 45)
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
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// A uniform integer in `0..<bound` (bound > 0), unbiased (Lemire's method).
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "Xoshiro256StarStar.nextInt: bound must be positive")
        return Int(next(upperBound: UInt64(bound)))
    }
}
