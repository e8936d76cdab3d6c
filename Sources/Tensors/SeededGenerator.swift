@_exported import Randomness

/// The training generator (xoshiro256**), under the name the model code uses; see ``Xoshiro256StarStar``.
public typealias SeededGenerator = Xoshiro256StarStar
