import Randomness

extension Tensor {
    /// Xavier/Glorot uniform: each element from U(−a, a), `a = gain·√(6 / (fanIn + fanOut))`.
    public static func xavierUniform(shape: [Int], fanIn: Int, fanOut: Int, gain: Float = 1,
                                     using generator: inout Xoshiro256StarStar) -> Tensor {
        let bound = gain * (6 / Float(fanIn + fanOut)).squareRoot()
        var out = Tensor(uninitialized: shape)
        out.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = (2 * generator.nextUniform() - 1) * bound }
        }
        return out
    }

    /// Normal N(mean, std²) elements.
    public static func normal(shape: [Int], mean: Float = 0, std: Float,
                              using generator: inout Xoshiro256StarStar) -> Tensor {
        var out = Tensor(uninitialized: shape)
        out.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = mean + std * Float(generator.nextNormal()) }
        }
        return out
    }

    /// Truncated normal: N(0, std²) redrawn until within `±bound·std` (bound 2 by default).
    public static func truncatedNormal(shape: [Int], std: Float, bound: Float = 2,
                                       using generator: inout Xoshiro256StarStar) -> Tensor {
        var out = Tensor(uninitialized: shape)
        out.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices {
                var z = generator.nextNormal()
                while abs(z) > Double(bound) { z = generator.nextNormal() }
                buffer[i] = std * Float(z)
            }
        }
        return out
    }

    /// Uniform U(low, high) elements.
    public static func uniform(shape: [Int], low: Float = 0, high: Float = 1,
                               using generator: inout Xoshiro256StarStar) -> Tensor {
        var out = Tensor(uninitialized: shape)
        out.withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = low + (high - low) * generator.nextUniform() }
        }
        return out
    }
}
