import Foundation

/// Summary statistics for results over seeds: means, sample standard deviations, Student t quantiles and
/// paired differences with 95% intervals. Pure functions on `[Double]`.
public enum Stats {
    /// The arithmetic mean `Σ xᵢ / n`; `nil` for an empty sample.
    public static func mean(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    /// The sample standard deviation `sqrt(Σ (xᵢ − x̄)² / (n − 1))`; `nil` when `n < 2`.
    public static func sampleStandardDeviation(_ values: [Double]) -> Double? {
        guard values.count >= 2, let m = mean(values) else { return nil }
        let squares = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        return (squares / Double(values.count - 1)).squareRoot()
    }

    /// The regularised incomplete beta function `I_x(a, b) = B(x; a, b) / B(a, b)` for `a, b > 0`, `x ∈ [0, 1]`,
    /// by the continued fraction of Numerical Recipes §6.4 evaluated with the modified Lentz method.
    public static func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
        precondition(a > 0 && b > 0, "regularizedIncompleteBeta needs a, b > 0")
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let logFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        let front = exp(logFront)
        // The continued fraction converges fast for x < (a + 1) / (a + b + 2); use the symmetry otherwise.
        if x < (a + 1) / (a + b + 2) {
            return front * betaContinuedFraction(x, a: a, b: b) / a
        }
        return 1 - front * betaContinuedFraction(1 - x, a: b, b: a) / b
    }

    private static func betaContinuedFraction(_ x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300
        let epsilon = 1e-15
        var c = 1.0
        var d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var result = d
        for m in 1...10_000 {
            let mm = Double(m)
            // Even step.
            var numerator = mm * (b - mm) * x / ((a + 2 * mm - 1) * (a + 2 * mm))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            result *= d * c
            // Odd step.
            numerator = -(a + mm) * (a + b + mm) * x / ((a + 2 * mm) * (a + 2 * mm + 1))
            d = 1 + numerator * d
            if abs(d) < tiny { d = tiny }
            c = 1 + numerator / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            result *= delta
            if abs(delta - 1) < epsilon { break }
        }
        return result
    }

    /// The Student t cumulative distribution `P(T ≤ t)` with `df > 0` degrees of freedom:
    /// `1 − ½ I_{df/(df+t²)}(df/2, ½)` for `t ≥ 0`, and by symmetry for `t < 0`.
    public static func studentTCDF(_ t: Double, degreesOfFreedom df: Double) -> Double {
        precondition(df > 0, "studentTCDF needs df > 0")
        let tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), a: df / 2, b: 0.5)
        return t >= 0 ? 1 - tail : tail
    }

    /// The Student t quantile: the `t` with `P(T ≤ t) = p` for `p ∈ (0, 1)` and `df > 0`, found by bisection
    /// on ``studentTCDF(_:degreesOfFreedom:)`` to a relative precision of about 1e-12.
    public static func studentTQuantile(_ p: Double, degreesOfFreedom df: Double) -> Double {
        precondition(p > 0 && p < 1, "studentTQuantile needs p in (0, 1)")
        if p == 0.5 { return 0 }
        if p < 0.5 { return -studentTQuantile(1 - p, degreesOfFreedom: df) }
        var low = 0.0
        var high = 1.0
        while studentTCDF(high, degreesOfFreedom: df) < p { high *= 2 }
        for _ in 0..<200 {
            let middle = (low + high) / 2
            if studentTCDF(middle, degreesOfFreedom: df) < p { low = middle } else { high = middle }
            if high - low <= 1e-13 * max(1, high) { break }
        }
        return (low + high) / 2
    }

    /// The two-sided 95% critical value `t_{0.975, df}` (`df = 4` → 2.776, `df = 1` → 12.706).
    public static func tCritical95(degreesOfFreedom df: Int) -> Double {
        studentTQuantile(0.975, degreesOfFreedom: Double(df))
    }

    /// A paired comparison of a method with a baseline over the same seeds.
    public struct PairedDifference: Sendable, Equatable, Codable {
        /// The number of pairs `n`.
        public var count: Int
        /// The mean paired difference `d̄ = Σ (aᵢ − bᵢ) / n`.
        public var meanDifference: Double
        /// The sample standard deviation of the differences; `nil` when `n < 2`.
        public var standardDeviation: Double?
        /// The 95% t-interval `d̄ ± t_{0.975, n−1} · sd / √n`; `nil` when `n < 2`.
        public var lower95: Double?
        /// The upper end of the 95% t-interval; `nil` when `n < 2`.
        public var upper95: Double?
        /// The mean of the baseline values `b̄`.
        public var baselineMean: Double
        /// The relative gain `d̄ / b̄`; `nil` when `b̄ = 0`.
        public var relativeGain: Double?
    }

    /// Compares paired samples: `values[i]` and `baseline[i]` come from the same seed.
    /// - Returns: `nil` when the samples are empty or of different lengths.
    public static func pairedDifference(_ values: [Double], baseline: [Double]) -> PairedDifference? {
        guard !values.isEmpty, values.count == baseline.count else { return nil }
        let differences = zip(values, baseline).map { $0 - $1 }
        let meanDifference = mean(differences)!
        let baselineMean = mean(baseline)!
        let sd = sampleStandardDeviation(differences)
        var lower: Double?
        var upper: Double?
        if let sd {
            let halfWidth =
                tCritical95(degreesOfFreedom: differences.count - 1) * sd
                / Double(differences.count).squareRoot()
            lower = meanDifference - halfWidth
            upper = meanDifference + halfWidth
        }
        return PairedDifference(
            count: differences.count, meanDifference: meanDifference, standardDeviation: sd,
            lower95: lower, upper95: upper, baselineMean: baselineMean,
            relativeGain: baselineMean == 0 ? nil : meanDifference / baselineMean
        )
    }
}
