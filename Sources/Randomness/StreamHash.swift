/// The hashing behind every named random stream: FNV-1a for labels and the SplitMix64 finaliser for mixing.
/// Both are fixed here (unlike `Hasher`, which is seeded per process), so a stream's name gives the same numbers on
/// every machine and in every release.
public enum StreamHash {
    /// The golden-ratio increment of SplitMix64, `0x9E3779B97F4A7C15`.
    public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The SplitMix64 finaliser, a bijective 64-bit mix:
    /// `z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31`.
    @inlinable
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a (64-bit) over the label's UTF-8 bytes.
    public static func fnv1a(_ label: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in label.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// The seed of a named stream of an experiment: `mix(fnv1a(purpose) ⊕ seed + golden)`, kept to 53 bits so it
    /// survives any JSON reader. `purpose` names what the stream is for and where (a plan job's key such as
    /// `pretrain/barlow_twins/seed=3`), `seed` is the experiment seed.
    public static func streamSeed(purpose: String, seed: Int) -> UInt64 {
        mix((fnv1a(purpose) ^ UInt64(truncatingIfNeeded: seed)) &+ golden) & ((1 << 53) - 1)
    }
}
