import RealModule

/// Elementwise and reduction kernels over raw Float32 buffers. Reductions use swift-numerics `Relaxed`
/// arithmetic so the compiler may reassociate and vectorise them; for a fixed build the order is still fixed,
/// so results are reproducible run to run.
public enum Kernels {
    /// `y[i] += x[i]` for `i < n`.
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] += x[i] }
    }

    /// `y[i] += α·x[i]` for `i < n`.
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n { y[i] = Relaxed.multiplyAdd(alpha, x[i], y[i]) }
    }

    /// `x[i] *= α` for `i < n`.
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, by alpha: Float, count n: Int) {
        for i in 0..<n { x[i] *= alpha }
    }

    /// `Σ x[i]`.
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        var s: Float = 0
        for i in 0..<n { s = Relaxed.sum(s, x[i]) }
        return s
    }

    /// `Σ x[i]·y[i]`.
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count n: Int) -> Float {
        var s: Float = 0
        for i in 0..<n { s = Relaxed.multiplyAdd(x[i], y[i], s) }
        return s
    }

    /// `Σ x[i]²`.
    @inlinable
    public static func sumOfSquares(_ x: UnsafePointer<Float>, count n: Int) -> Float {
        dot(x, x, count: n)
    }

    /// Adds `vector` (length `columns`) to every row of the row-major `[rows, columns]` matrix `m`.
    @inlinable
    public static func addRowVector(_ vector: UnsafePointer<Float>, to m: UnsafeMutablePointer<Float>,
                                    rows: Int, columns: Int) {
        for r in 0..<rows {
            let row = m + r * columns
            for c in 0..<columns { row[c] += vector[c] }
        }
    }

    /// `out[c] += Σ_r m[r, c]`: column sums of the `[rows, columns]` matrix `m` accumulated into `out`.
    @inlinable
    public static func accumulateColumnSums(_ m: UnsafePointer<Float>, rows: Int, columns: Int,
                                            into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = m + r * columns
            for c in 0..<columns { out[c] += row[c] }
        }
    }

    /// `e^x` without a library call, so loops using it vectorise: `e^x = 2^n·2^f` with `n = round(x·log₂e)`,
    /// `2^f = e^{g}`, `g = f·ln 2 ∈ [−0.347, 0.347]`, by its degree-7 Taylor polynomial (truncation error below
    /// 2e-8 relative). Arguments are clamped to `[−87, 88]` (results stay normal); relative error about 1e-7 near
    /// 0, growing to about 1e-5 at |x| ≈ 80 from the rounding of `x·log₂e`.
    @inlinable @inline(__always)
    public static func exp(_ x: Float) -> Float {
        let clamped = Swift.min(Swift.max(x, -87), 88)
        let y = clamped * 1.442_695_04
        // Round to nearest with the 1.5·2²³ trick: the low mantissa bits of `t` then hold n + 2²², so n and 2ⁿ
        // come from integer bit operations (no floor call, so the loop vectorises).
        let t = y + 12_582_912
        let n = t - 12_582_912
        let g = (y - n) * 0.693_147_18
        var p: Float = 1.0 / 5040
        p = p * g + 1.0 / 720
        p = p * g + 1.0 / 120
        p = p * g + 1.0 / 24
        p = p * g + 1.0 / 6
        p = p * g + 0.5
        p = p * g + 1
        p = p * g + 1
        return p * Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    }

    /// GELU (exact erf form) and its derivative in one pass, vectorisable:
    /// `y = x·Φ(x)`, `y′ = Φ(x) + x·φ(x)`, with `erf(u)` (u = x/√2) from Abramowitz & Stegun 7.1.26
    /// (`1 − (a₁t + … + a₅t⁵)e^{−u²}`, `t = 1/(1 + p·u)`, absolute error ≤ 1.5e-7) and `φ(x) = e^{−x²/2}/√(2π)`
    /// sharing the same exponential.
    @inlinable
    public static func gelu(_ x: UnsafePointer<Float>, output y: UnsafeMutablePointer<Float>,
                            derivative: UnsafeMutablePointer<Float>, count n: Int) {
        for i in 0..<n {
            let v = x[i]
            let u = Swift.min(abs(v) * 0.707_106_78, 10)
            let t = 1 / (1 + 0.327_591_1 * u)
            var poly: Float = 1.061_405_429
            poly = poly * t - 1.453_152_027
            poly = poly * t + 1.421_413_741
            poly = poly * t - 0.284_496_736
            poly = poly * t + 0.254_829_592
            poly *= t
            let e = exp(-u * u)
            let erfAbs = 1 - poly * e
            let erfValue = v < 0 ? -erfAbs : erfAbs
            let cdf = 0.5 * (1 + erfValue)
            y[i] = v * cdf
            derivative[i] = cdf + v * e * 0.398_942_28
        }
    }

    /// Softmax of each row of the `[rows, columns]` matrix `m` in place (stride `ld`):
    /// `m[r, c] ← exp(m[r, c] − max_r) / Σ_c' exp(m[r, c'] − max_r)`.
    @inlinable
    public static func softmaxRows(_ m: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ld: Int) {
        guard columns > 0 else { return }
        for r in 0..<rows {
            let row = m + r * ld
            var maxValue = row[0]
            for c in 1..<max(columns, 1) where row[c] > maxValue { maxValue = row[c] }
            var total: Float = 0
            for c in 0..<columns {
                let e = exp(row[c] - maxValue)
                row[c] = e
                total = Relaxed.sum(total, e)
            }
            let inverse = 1 / total
            for c in 0..<columns { row[c] *= inverse }
        }
    }
}
