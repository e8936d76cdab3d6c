import Randomness

/// Exponential backoff with jitter for failed attempts.
///
/// After attempt `n` (from 1) fails, the job waits
/// `delay(n) = min(baseDelay · factor^(n−1), maxDelay) · (1 − jitter + 2 · jitter · u)`, `u ~ U[0, 1)`,
/// so with the defaults (1 s, ×2, ±25%) the waits are about 1 s, 2 s, 4 s, … capped at an hour.
public struct RetryPolicy: Sendable, Equatable {
    /// The wait after the first failure, in seconds, before jitter.
    public var baseDelay: Double
    /// The growth factor per attempt.
    public var factor: Double
    /// The largest wait before jitter, in seconds.
    public var maxDelay: Double
    /// The relative jitter in 0...1: each wait is scaled by a uniform factor in `[1 − jitter, 1 + jitter)`.
    public var jitter: Double

    /// The longest delay a policy may ask for, in seconds (7 days; `seqtwins.fail` clamps to the same bound).
    public static let delayLimit: Double = 604_800
    /// The largest growth factor.
    public static let factorLimit: Double = 1000

    /// Creates a policy.
    /// - Throws: `JobQueueError.invalidOption` for a delay outside `0...delayLimit` (7 days), a factor outside
    ///   `1...factorLimit` or jitter outside 0...1 (NaN and infinities included).
    public init(baseDelay: Double = 1, factor: Double = 2, maxDelay: Double = 3600, jitter: Double = 0.25) throws {
        let seconds = "a number of seconds in 0...\(Int(Self.delayLimit)) (7 days)"
        guard baseDelay >= 0, baseDelay <= Self.delayLimit else {
            throw JobQueueError.invalidOption(name: "retry base delay", value: "\(baseDelay)", expected: seconds)
        }
        guard factor >= 1, factor <= Self.factorLimit else {
            throw JobQueueError.invalidOption(name: "retry factor", value: "\(factor)",
                                              expected: "a number in 1...\(Int(Self.factorLimit))")
        }
        guard maxDelay >= 0, maxDelay <= Self.delayLimit else {
            throw JobQueueError.invalidOption(name: "retry max delay", value: "\(maxDelay)", expected: seconds)
        }
        guard (0...1).contains(jitter) else {
            throw JobQueueError.invalidOption(name: "retry jitter", value: "\(jitter)", expected: "a fraction in 0...1")
        }
        self.baseDelay = baseDelay
        self.factor = factor
        self.maxDelay = maxDelay
        self.jitter = jitter
    }

    /// The wait in seconds after attempt `attempt` (from 1) failed, drawing the jitter from `generator`.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Double {
        let exponent = Double(max(attempt, 1) - 1)
        let raw = min(baseDelay * Self.power(factor, exponent), maxDelay)
        let u = Double.random(in: 0..<1, using: &generator)
        return raw * (1 - jitter + 2 * jitter * u)
    }

    /// `base^exponent` without Foundation, saturating at infinity (min() with maxDelay then caps it).
    static func power(_ base: Double, _ exponent: Double) -> Double {
        var result = 1.0
        var remaining = Int(exponent)
        while remaining > 0 && result.isFinite {
            result *= base
            remaining -= 1
        }
        return result
    }
}
