/// A dense Float32 tensor: row-major, contiguous, with value semantics.
///
/// Ownership: the elements live in a Swift `[Float]`, so a `Tensor` is a value with copy-on-write. Copying a
/// tensor is O(1); the first mutation of a shared copy duplicates the storage. Hot loops reach the elements
/// through `withUnsafeBufferPointer` / `withUnsafeMutableBufferPointer` and never keep the pointer past the
/// closure. Layers cache their inputs by holding a copy (no element copy happens unless someone mutates).
///
/// Layout: element `(i0, i1, …, i{r-1})` sits at `Σ i_k · stride_k` with `stride_{r-1} = 1`. A rank-3 tensor
/// `[batch, time, features]` is viewed as the matrix `[batch·time, features]` by `matrixView` or through
/// `rows`/`columns` without copying.
public struct Tensor: Sendable, Equatable {
    /// The extent of each axis; `[]` is a scalar holding one element.
    public var shape: [Int]
    /// The elements in row-major order; `storage.count == shape.reduce(1, *)`.
    public var storage: [Float]

    /// Wraps existing elements. Precondition: `storage.count` equals the product of `shape`.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in shape \(shape)")
        precondition(storage.count == shape.reduce(1, *),
                     "Tensor: \(storage.count) elements do not fill shape \(shape)")
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, storage: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, repeating: 0)
    }

    /// A tensor whose elements are left for the caller to write (no zero fill); used for outputs that a
    /// kernel or GEMM with `beta = 0` overwrites completely. Reading an element before writing it is a bug.
    public init(uninitialized shape: [Int]) {
        let count = shape.reduce(1, *)
        let storage = [Float](unsafeUninitializedCapacity: count) { _, initialised in initialised = count }
        self.init(shape: shape, storage: storage)
    }

    /// The number of elements.
    @inlinable public var count: Int { storage.count }

    /// The number of axes.
    @inlinable public var rank: Int { shape.count }

    /// The leading extent (1 for a scalar): the number of rows of the matrix view `[rows, columns]`.
    @inlinable public var rows: Int { shape.first ?? 1 }

    /// The product of every extent but the first: the row length of the matrix view `[rows, columns]`.
    @inlinable public var columns: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    /// The same elements seen as a matrix `[d0·…·d{r-2}, d{r-1}]`, e.g. `[batch, time, features]` →
    /// `[batch·time, features]`. O(1).
    public var matrixView: Tensor {
        guard let last = shape.last, shape.count >= 2 else { return self }
        return Tensor(shape: [count / Swift.max(last, 1), last], storage: storage)
    }

    /// The same elements with a new shape of the same element count. O(1).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// Element of a rank-2 tensor at `(row, column)`.
    @inlinable public subscript(row: Int, column: Int) -> Float {
        get { storage[row * shape[1] + column] }
        set { storage[row * shape[1] + column] = newValue }
    }

    /// Element of a rank-3 tensor at `(i, j, k)`, e.g. `(batch, time, feature)`.
    @inlinable public subscript(i: Int, j: Int, k: Int) -> Float {
        get { storage[(i * shape[1] + j) * shape[2] + k] }
        set { storage[(i * shape[1] + j) * shape[2] + k] = newValue }
    }

    /// A copy of rows `range` of the matrix view, shape `[range.count, columns]` (rank-3 keeps its trailing axes).
    public func rowSlice(_ range: Range<Int>) -> Tensor {
        let width = columns
        var newShape = shape
        if newShape.isEmpty { newShape = [1] }
        newShape[0] = range.count
        return Tensor(shape: newShape, storage: Array(storage[(range.lowerBound * width)..<(range.upperBound * width)]))
    }

    /// Changes the shape in place keeping the allocation when it is large enough: a scratch buffer reused across
    /// steps whose sizes vary (no new pages, so no page faults). The contents afterwards are unspecified (old
    /// values, zeros where the buffer grew); callers overwrite them.
    public mutating func resize(keepingCapacity newShape: [Int]) {
        let newCount = newShape.reduce(1, *)
        if newCount < storage.count {
            storage.removeLast(storage.count - newCount)
        } else if newCount > storage.count {
            storage.append(contentsOf: repeatElement(0, count: newCount - storage.count))
        }
        shape = newShape
    }

    /// A copy of entry `index` along the first axis, e.g. sequence `b` of a `[batch, time, features]` tensor as
    /// `[time, features]`.
    public func batch(_ index: Int) -> Tensor {
        precondition(rank >= 2 && (0..<shape[0]).contains(index), "Tensor.batch: index \(index) outside \(shape)")
        return rowSlice(index..<(index + 1)).reshaped(Array(shape.dropFirst()))
    }

    /// Concatenates tensors along the first axis; every trailing extent must agree.
    public static func concatenateRows(_ parts: [Tensor]) -> Tensor {
        precondition(!parts.isEmpty, "Tensor.concatenateRows: nothing to concatenate")
        let tail = Array(parts[0].shape.dropFirst())
        var storage: [Float] = []
        storage.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        var rows = 0
        for part in parts {
            precondition(Array(part.shape.dropFirst()) == tail, "Tensor.concatenateRows: trailing shapes differ")
            storage.append(contentsOf: part.storage)
            rows += part.rows
        }
        return Tensor(shape: [rows] + tail, storage: storage)
    }

    /// Calls `body` with a read-only pointer to the elements; the pointer must not escape.
    @inlinable public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with a mutable pointer to the elements (unsharing them first); the pointer must not escape.
    @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }
}

extension Tensor: CustomStringConvertible {
    /// Shape and up to the first eight elements.
    public var description: String {
        let head = storage.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(head)\(count > 8 ? ", …" : "")])"
    }
}
