import NeuralNet
import Randomness
import Tensors

/// A mutable input tensor shared between a forward closure and the gradient checker.
final class InputBox {
    var value: Tensor
    init(_ value: Tensor) { self.value = value }
}

/// One mismatch between an analytic and a finite-difference derivative.
struct GradientMismatch: CustomStringConvertible {
    let what: String
    let index: Int
    let analytic: Double
    let numeric: Double
    var description: String { "\(what)[\(index)]: analytic \(analytic), numeric \(numeric)" }
}

/// Finite-difference gradient check of a scalar function of Float32 tensors.
///
/// The checked scalar is `L = Σ_i y_i·r_i` with fixed random weights `r` (computed in Double), so `∂L/∂y = r`.
/// Numeric derivatives use central differences with step `h`. Tolerance: the forward pass runs in Float32, so
/// each output carries a relative rounding error near 6e-8; summed over the outputs and divided by 2h this gives
/// an absolute error of about 1e-4 for h = 1e-2 at our sizes, and the truncation error O(h²) is of the same
/// order. A match is `|a − n| ≤ atol + rtol·max(|a|, |n|)` with atol 2e-3, rtol 2e-2: an order of magnitude
/// above the noise, and far below the O(1) relative error a wrong formula gives.
struct GradientChecker {
    var step: Float = 1e-2
    var absoluteTolerance: Double = 2e-3
    var relativeTolerance: Double = 2e-2
    /// How many coordinates of each tensor to probe (all when the tensor is smaller).
    var probes = 24

    /// Checks `parameters` and `inputs`. `forward` computes the output from the current values; `backward` is
    /// called with `∂L/∂y` after zeroed gradients and must accumulate parameter gradients and return the input
    /// gradients in the order of `inputs`.
    func check(parameters: [Parameter], inputs: [InputBox] = [], seed: UInt64 = 99,
               forward: () -> Tensor, backward: (Tensor) -> [Tensor]) -> [GradientMismatch] {
        var generator = Xoshiro256StarStar(seed: seed)
        let y0 = forward()
        let weights = Tensor.normal(shape: y0.shape, std: 1, using: &generator)
        func loss() -> Double {
            let y = forward()
            var total = 0.0
            for i in 0..<y.count { total += Double(y.storage[i]) * Double(weights.storage[i]) }
            return total
        }
        Parameter.zeroGrads(parameters)
        _ = forward()
        let inputGrads = backward(weights)
        var mismatches: [GradientMismatch] = []
        func probe(_ what: String, count: Int, analytic: (Int) -> Float, get: (Int) -> Float,
                   set: (Int, Float) -> Void) {
            let indices: [Int] = count <= probes
                ? Array(0..<count) : (0..<probes).map { _ in generator.nextInt(below: count) }
            for index in indices {
                let original = get(index)
                set(index, original + step)
                let plus = loss()
                set(index, original - step)
                let minus = loss()
                set(index, original)
                let numeric = (plus - minus) / (2 * Double(step))
                let a = Double(analytic(index))
                if abs(a - numeric) > absoluteTolerance + relativeTolerance * max(abs(a), abs(numeric)) {
                    mismatches.append(GradientMismatch(what: what, index: index, analytic: a, numeric: numeric))
                }
            }
        }
        for parameter in parameters where parameter.trainable {
            let grad = parameter.grad
            probe(parameter.name, count: parameter.value.count, analytic: { grad.storage[$0] },
                  get: { parameter.value.storage[$0] }, set: { parameter.value.storage[$0] = $1 })
        }
        for (k, box) in inputs.enumerated() {
            let grad = inputGrads[k]
            probe("input\(k)", count: box.value.count, analytic: { grad.storage[$0] },
                  get: { box.value.storage[$0] }, set: { box.value.storage[$0] = $1 })
        }
        return mismatches
    }
}
