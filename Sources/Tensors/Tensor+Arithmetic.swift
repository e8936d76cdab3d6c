extension Tensor {
    /// Elementwise `self + other` (same shape).
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "Tensor +: shapes \(lhs.shape) and \(rhs.shape) differ")
        var out = lhs
        out += rhs
        return out
    }

    /// Elementwise `self − other` (same shape).
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "Tensor -: shapes \(lhs.shape) and \(rhs.shape) differ")
        var out = lhs
        out.addScaled(rhs, by: -1)
        return out
    }

    /// Elementwise `lhs += rhs` (same element count).
    public static func += (lhs: inout Tensor, rhs: Tensor) {
        precondition(lhs.count == rhs.count, "Tensor +=: counts \(lhs.count) and \(rhs.count) differ")
        rhs.withUnsafeBufferPointer { src in
            lhs.withUnsafeMutableBufferPointer { dst in
                // Elementwise, so splitting it across the workers changes no result.
                let pointers = UncheckedSendable((src.baseAddress!, dst.baseAddress!))
                Parallel.forEachChunk(dst.count, minimumChunk: 16_384) { range in
                    let (src, dst) = pointers.value
                    Kernels.add(src + range.lowerBound, into: dst + range.lowerBound, count: range.count)
                }
            }
        }
    }

    /// Scalar multiple `α·self`.
    public static func * (lhs: Float, rhs: Tensor) -> Tensor {
        var out = rhs
        out.scale(by: lhs)
        return out
    }

    /// `self ← self + α·other` (same element count).
    public mutating func addScaled(_ other: Tensor, by alpha: Float) {
        precondition(count == other.count, "Tensor.addScaled: counts \(count) and \(other.count) differ")
        other.withUnsafeBufferPointer { src in
            withUnsafeMutableBufferPointer { dst in
                Kernels.axpy(alpha, src.baseAddress!, dst.baseAddress!, count: dst.count)
            }
        }
    }

    /// `self ← α·self`.
    public mutating func scale(by alpha: Float) {
        withUnsafeMutableBufferPointer { Kernels.scale($0.baseAddress!, by: alpha, count: $0.count) }
    }

    /// Sets every element to `value`.
    public mutating func fill(_ value: Float) {
        withUnsafeMutableBufferPointer { buffer in
            for i in buffer.indices { buffer[i] = value }
        }
    }

    /// `Σ self[i]`.
    public func sum() -> Float {
        withUnsafeBufferPointer { Kernels.sum($0.baseAddress!, count: $0.count) }
    }

    /// `Σ self[i]²`.
    public func squaredNorm() -> Float {
        withUnsafeBufferPointer { Kernels.sumOfSquares($0.baseAddress!, count: $0.count) }
    }

    /// `Σ self[i]·other[i]` (same element count).
    public func dot(_ other: Tensor) -> Float {
        precondition(count == other.count, "Tensor.dot: counts \(count) and \(other.count) differ")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in Kernels.dot(a.baseAddress!, b.baseAddress!, count: a.count) }
        }
    }

    /// `max_i |self[i] − other[i]|` (same element count).
    public func maxAbsDifference(_ other: Tensor) -> Float {
        precondition(count == other.count, "Tensor.maxAbsDifference: counts differ")
        var result: Float = 0
        for i in 0..<count { result = Swift.max(result, abs(storage[i] - other.storage[i])) }
        return result
    }

    /// The transpose of a rank-2 tensor, `[r, c] → [c, r]`.
    public func transposed() -> Tensor {
        precondition(rank == 2, "Tensor.transposed: rank \(rank), expected 2")
        let (r, c) = (shape[0], shape[1])
        var out = Tensor(uninitialized: [c, r])
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<r { for j in 0..<c { dst[j * r + i] = src[i * c + j] } }
            }
        }
        return out
    }
}
