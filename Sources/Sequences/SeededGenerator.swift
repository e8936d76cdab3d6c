import Foundation

/// A small, seeded, splittable random number generator (SplitMix64, Steele, Lea & Flood 2014).
///
/// The algorithm is fixed and implemented here, and every random draw in `Sequences` (integers below a bound,
/// doubles, shuffles) goes through the methods below rather than the standard library's unspecified algorithms,
/// so results are reproducible across runs, machines and Swift versions.
///
/// Child streams are derived from a parent and a label: `SeededGenerator(seed: 7).child("user-split")`
/// is a fixed function of (7, "user-split"), independent of how many numbers the parent has drawn.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Hashable {
    /// The seed this stream was created from; children derive from it, never from the running state.
    public let seed: UInt64
    private var state: UInt64

    /// A stream from a 64-bit seed.
    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    /// A stream from a seed and a label: `SeededGenerator(seed: s).child(label)`.
    public init(seed: UInt64, stream label: String) {
        self = SeededGenerator(seed: seed).child(label)
    }

    /// The SplitMix64 finaliser: a bijective 64-bit mix.

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a over the label's UTF-8 bytes (stable, unlike `Hasher`, which is seeded per process).
    static func fnv1a(_ label: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The next 64 random bits: `state += 0x9E3779B97F4A7C15; return mix(state)`.

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SeededGenerator.mix(state)
    }

    /// An independent stream derived from this stream's seed and `label`.
    public func child(_ label: String) -> SeededGenerator {
        SeededGenerator(seed: SeededGenerator.mix(seed ^ SeededGenerator.mix(SeededGenerator.fnv1a(label))))
    }

    /// An independent stream derived from this stream's seed and an integer (a user index, a fraction's bits).
    public func child(_ index: UInt64) -> SeededGenerator {
        SeededGenerator(seed: SeededGenerator.mix(seed &+ SeededGenerator.mix(index ^ 0xD1B5_4A32_D192_ED03)))
    }

    /// A uniform integer in `0..<bound` (Lemire's nearly-divisionless method, unbiased). `bound` must be > 0.

    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A uniform double in `[0, 1)` with 53 random bits.

    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box-Muller; uses two uniforms).
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextDouble()
        let u2 = nextDouble()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }
}

extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    /// Fisher-Yates shuffle with the stable `SeededGenerator.nextInt(below:)`.
    public mutating func seededShuffle(using generator: inout SeededGenerator) {
        guard count > 1 else { return }
        var i = endIndex - 1
        while i > startIndex {
            let j = startIndex + generator.nextInt(below: i - startIndex + 1)
            if i != j { swapAt(i, j) }
            i -= 1
        }
    }
}
