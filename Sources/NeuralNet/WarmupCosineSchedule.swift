import RealModule
import Tensors

/// Linear warm-up then cosine decay. For 0-based step `s`: `lr = peak·(s + 1)/warmup` while `s < warmup`,
/// then `lr = floor + (peak − floor)·½(1 + cos(π·p))`, `p = min(1, (s − warmup)/(total − warmup))`.
public struct WarmupCosineSchedule: Sendable, Equatable {
    /// Peak learning rate.
    public var peak: Float
    /// Warm-up steps.
    public var warmupSteps: Int
    /// Total steps.
    public var totalSteps: Int
    /// Final learning rate.
    public var floor: Float

    /// A schedule.
    public init(peak: Float, warmupSteps: Int, totalSteps: Int, floor: Float = 0) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
        self.floor = floor
    }

    /// The learning rate at 0-based step `step`.
    public func callAsFunction(_ step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = Swift.max(totalSteps - warmupSteps, 1)
        let progress = Swift.min(1, Double(step - warmupSteps) / Double(span))
        return floor + (peak - floor) * Float(0.5 * (1 + Double.cos(Double.pi * progress)))
    }
}
