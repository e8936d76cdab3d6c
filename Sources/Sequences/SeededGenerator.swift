@_exported import Randomness

/// The data-preparation generator (SplitMix64), under the name the data code uses; see ``SplitMix64``.
public typealias SeededGenerator = SplitMix64
