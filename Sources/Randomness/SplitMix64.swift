import RealModule

/// SplitMix64 (Steele, Lea and Flood 2014): a small, seeded, splittable generator for data preparation (splits,
/// label subsets, augmentation, synthetic worlds), retry jitter and tests.
///
/// `next()`: `state += 0x9E3779B97F4A7C15; return mix(state)`, with ``StreamHash/mix(_:)`` the SplitMix64 finaliser.
/// The algorithm is fixed and implemented here, and every draw (integers below a bound, doubles, shuffles) goes
/// through the methods below rather than the standard library's unspecified algorithms, so results are
/// reproducible across runs, machines and Swift versions.
///
/// Child streams are derived from a parent's seed and a label: `SplitMix64(seed: 7).child("user-split")` is a fixed
/// function of (7, "user-split"), independent of how many numbers the parent has drawn.
public struct SplitMix64: RandomNumberGenerator, Sendable, Hashable {
    /// The seed this stream was created from; children derive from it, never from the running state.
    public let seed: UInt64
    private var state: UInt64

    /// A stream from a 64-bit seed; equal seeds give equal sequences.
    public init(seed: UInt64) {
        self.seed = seed
        self.state = seed
    }

    /// A stream from a seed and a label: `SplitMix64(seed: s).child(label)`.
    public init(seed: UInt64, stream label: String) {
        self = SplitMix64(seed: seed).child(label)
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= StreamHash.golden
        return StreamHash.mix(state)
    }

    /// An independent stream derived from this stream's seed and `label`:
    /// `seed' = mix(seed ⊕ mix(fnv1a(label)))`.
    public func child(_ label: String) -> SplitMix64 {
        SplitMix64(seed: StreamHash.mix(seed ^ StreamHash.mix(StreamHash.fnv1a(label))))
    }

    /// An independent stream derived from this stream's seed and an integer (a user index, a fraction's bits):
    /// `seed' = mix(seed + mix(index ⊕ 0xD1B54A32D192ED03))`.
    public func child(_ index: UInt64) -> SplitMix64 {
        SplitMix64(seed: StreamHash.mix(seed &+ StreamHash.mix(index ^ 0xD1B5_4A32_D192_ED03)))
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

    /// A standard normal draw (Box-Muller with two uniforms: `sqrt(-2 log(1 - u1)) · cos(2π u2)`).
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextDouble()
        let u2 = nextDouble()
        return (-2.0 * Double.log(u1)).squareRoot() * Double.cos(2.0 * Double.pi * u2)
    }
}

extension MutableCollection where Self: RandomAccessCollection, Index == Int {
    /// Fisher-Yates shuffle with the stable ``SplitMix64/nextInt(below:)``.
    public mutating func seededShuffle(using generator: inout SplitMix64) {
        guard count > 1 else { return }
        var i = endIndex - 1
        while i > startIndex {
            let j = startIndex + generator.nextInt(below: i - startIndex + 1)
            if i != j { swapAt(i, j) }
            i -= 1
        }
    }
}
