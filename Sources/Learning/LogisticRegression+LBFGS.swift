/// Settings for the deterministic full-batch L-BFGS minimiser used by every logistic model.
public struct LBFGSOptions: Sendable, Equatable, Codable {
    /// The number of correction pairs kept (the memory `m`).
    public var memory: Int = 10
    /// Stop when the largest absolute gradient entry is at most this.
    public var gradientTolerance: Double = 1e-8
    /// Stop when an iteration lowers the objective by less than `relativeTolerance · max(1, |f|)`.
    public var relativeTolerance: Double = 1e-14
    /// Stop after this many iterations at most.
    public var maxIterations: Int = 2_000
    /// Whether to continue with the exact `Double` objective when the fast Float32-GEMM objective can no longer
    /// lower `J` (its rounding noise is reached) before the gradient tolerance is met.
    public var refineInDouble: Bool = true

    /// The defaults: `m = 10`, gradient tolerance 1e-8, relative tolerance 1e-14, 2000 iterations, refined in
    /// `Double` once Float32 stalls.
    public init() {}

    /// Sets every field.
    public init(
        memory: Int = 10, gradientTolerance: Double, relativeTolerance: Double, maxIterations: Int,
        refineInDouble: Bool
    ) {
        self.memory = memory
        self.gradientTolerance = gradientTolerance
        self.relativeTolerance = relativeTolerance
        self.maxIterations = maxIterations
        self.refineInDouble = refineInDouble
    }

    /// The linear probe's stopping rule: gradient tolerance 1e-5, relative tolerance 1e-9, 500 iterations, Float32
    /// only. On standardised features its accuracies match the tight defaults' (see `bench-probe` and the tests)
    /// at a fraction of the work.
    public static let probe = LBFGSOptions(
        gradientTolerance: 1e-5, relativeTolerance: 1e-9, maxIterations: 500, refineInDouble: false)
}

extension LBFGSOptions {
    private enum CodingKeys: String, CodingKey {
        case memory, gradientTolerance, relativeTolerance, maxIterations, refineInDouble
    }

    /// Decodes the options; `refineInDouble` may be absent (options written before it existed) and then is `true`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        memory = try container.decode(Int.self, forKey: .memory)
        gradientTolerance = try container.decode(Double.self, forKey: .gradientTolerance)
        relativeTolerance = try container.decode(Double.self, forKey: .relativeTolerance)
        maxIterations = try container.decode(Int.self, forKey: .maxIterations)
        refineInDouble = try container.decodeIfPresent(Bool.self, forKey: .refineInDouble) ?? true
    }
}

/// What a minimisation ended with.
struct LBFGSResult {
    var x: [Double]
    var value: Double
    var iterations: Int
    var converged: Bool
    /// Whether it ended by meeting the gradient tolerance (not by stalling, small decreases or the iteration cap).
    var metGradientTolerance = false
}

/// Minimises with a fast, rounded objective `objective(x, &gradient, false)` first and, when that stops short of
/// the gradient tolerance (its rounding noise stalls the line search or makes the decreases tiny) with iterations
/// left and `options.refineInDouble` set, continues from where it stopped with the exact objective
/// `objective(x, &gradient, true)`.
func minimizeLBFGSMixed(
    start: [Double], options: LBFGSOptions,
    objective: (_ x: [Double], _ gradient: inout [Double], _ exact: Bool) -> Double
) -> LBFGSResult {
    let fast = minimizeLBFGS(start: start, options: options) { objective($0, &$1, false) }
    guard !fast.metGradientTolerance, options.refineInDouble, fast.iterations < options.maxIterations else {
        return fast
    }
    var rest = options
    rest.maxIterations = options.maxIterations - fast.iterations
    var refined = minimizeLBFGS(start: fast.x, options: rest) { objective($0, &$1, true) }
    refined.iterations += fast.iterations
    return refined
}

/// Minimises a smooth convex `f: ℝⁿ → ℝ` with L-BFGS (two-loop recursion) and a backtracking Armijo line search.
/// `objective(x, &gradient)` returns `f(x)` and writes `∇f(x)` into `gradient` (already sized `n`).
func minimizeLBFGS(
    start: [Double], options: LBFGSOptions,
    objective: (_ x: [Double], _ gradient: inout [Double]) -> Double
) -> LBFGSResult {
    let n = start.count
    var x = start
    var gradient = [Double](repeating: 0, count: n)
    var value = objective(x, &gradient)
    var steps: [[Double]] = []
    var gradientChanges: [[Double]] = []
    var rhos: [Double] = []
    var trial = [Double](repeating: 0, count: n)
    var trialGradient = [Double](repeating: 0, count: n)
    var smallDecreases = 0

    func infinityNorm(_ v: [Double]) -> Double { v.reduce(0) { max($0, abs($1)) } }
    func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<a.count { sum += a[i] * b[i] }
        return sum
    }

    if infinityNorm(gradient) <= options.gradientTolerance {
        return LBFGSResult(x: x, value: value, iterations: 0, converged: true, metGradientTolerance: true)
    }
    for iteration in 1...max(1, options.maxIterations) {
        // Two-loop recursion: direction = −H ∇f.
        var q = gradient
        var alphas = [Double](repeating: 0, count: steps.count)
        for k in stride(from: steps.count - 1, through: 0, by: -1) {
            alphas[k] = rhos[k] * dot(steps[k], q)
            for i in 0..<n { q[i] -= alphas[k] * gradientChanges[k][i] }
        }
        if let s = steps.last, let y = gradientChanges.last {
            let gamma = dot(s, y) / dot(y, y)
            for i in 0..<n { q[i] *= gamma }
        } else {
            let scale = 1 / max(1, infinityNorm(gradient))
            for i in 0..<n { q[i] *= scale }
        }
        for k in 0..<steps.count {
            let beta = rhos[k] * dot(gradientChanges[k], q)
            for i in 0..<n { q[i] += (alphas[k] - beta) * steps[k][i] }
        }
        var direction = q.map { -$0 }
        var slope = dot(direction, gradient)
        if !(slope < 0) {
            // Not a descent direction (numerical trouble): restart from steepest descent.
            steps.removeAll()
            gradientChanges.removeAll()
            rhos.removeAll()
            let scale = 1 / max(1, infinityNorm(gradient))
            direction = gradient.map { -$0 * scale }
            slope = dot(direction, gradient)
        }
        // Backtracking line search with the Armijo condition f(x + t d) ≤ f(x) + 1e-4 t ∇fᵀd.
        var step = 1.0
        var trialValue = Double.infinity
        var accepted = false
        for _ in 0..<60 {
            for i in 0..<n { trial[i] = x[i] + step * direction[i] }
            trialValue = objective(trial, &trialGradient)
            if trialValue.isFinite && trialValue <= value + 1e-4 * step * slope {
                accepted = true
                break
            }
            step *= 0.5
        }
        if !accepted {
            // A quasi-Newton direction that no step improves: drop the memory and retry along −∇f. When even
            // that fails, f cannot be lowered at this precision, which is convergence in practice.
            if steps.isEmpty {
                return LBFGSResult(x: x, value: value, iterations: iteration, converged: true)
            }
            steps.removeAll()
            gradientChanges.removeAll()
            rhos.removeAll()
            continue
        }
        var s = [Double](repeating: 0, count: n)
        var y = [Double](repeating: 0, count: n)
        for i in 0..<n {
            s[i] = trial[i] - x[i]
            y[i] = trialGradient[i] - gradient[i]
        }
        let decrease = value - trialValue
        swap(&x, &trial)
        swap(&gradient, &trialGradient)
        value = trialValue
        let curvature = dot(s, y)
        if curvature > 1e-16 * dot(y, y).squareRoot() * dot(s, s).squareRoot() && curvature > 0 {
            if steps.count == options.memory {
                steps.removeFirst()
                gradientChanges.removeFirst()
                rhos.removeFirst()
            }
            steps.append(s)
            gradientChanges.append(y)
            rhos.append(1 / curvature)
        }
        if infinityNorm(gradient) <= options.gradientTolerance {
            return LBFGSResult(
                x: x, value: value, iterations: iteration, converged: true, metGradientTolerance: true)
        }
        if decrease <= options.relativeTolerance * max(1, abs(value)) {
            smallDecreases += 1
            if smallDecreases >= 3 {
                return LBFGSResult(x: x, value: value, iterations: iteration, converged: true)
            }
        } else {
            smallDecreases = 0
        }
    }
    return LBFGSResult(x: x, value: value, iterations: options.maxIterations, converged: false)
}
