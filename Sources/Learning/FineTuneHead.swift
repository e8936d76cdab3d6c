import NeuralNet
import Randomness
import Tensors

/// The fine-tuning head: a fixed standardisation of the user embedding with the labelled users' statistics (as
/// the linear probe does), then a linear layer that starts at zero (uniform predictions):
/// `logits = ((u − μ) ⊙ r)·W + b`, `u` `[n, d]` → `[n, C]`, `r = 1/√(σ² + ε)`, μ and σ² fixed per column.
/// Backward: `∂u = (∂logits·Wᵀ) ⊙ r`. The standardisation keeps the head's steps well scaled whatever the
/// pretraining left as the embedding scale.
final class FineTuneHead: ParameterOwner {
    let linear: Linear
    let mean: [Float]
    let inverseStd: [Float]

    /// A head for `classes` outputs over embeddings whose column statistics are taken from `reference` `[m, d]`.
    init(reference: Tensor, classes: Int, epsilon: Float = 1e-6, generator: inout Xoshiro256StarStar) {
        let (m, d) = (reference.rows, reference.columns)
        var mean = [Float](repeating: 0, count: d)
        var variance = [Float](repeating: 0, count: d)
        for r in 0..<m { for c in 0..<d { mean[c] += reference.storage[r * d + c] } }
        for c in 0..<d { mean[c] /= Float(max(m, 1)) }
        for r in 0..<m {
            for c in 0..<d {
                let centred = reference.storage[r * d + c] - mean[c]
                variance[c] += centred * centred
            }
        }
        self.mean = mean
        inverseStd = variance.map { 1 / ($0 / Float(max(m, 1)) + epsilon).squareRoot() }
        linear = Linear(d, classes, name: "head", generator: &generator)
        linear.weight.value.fill(0)
    }

    /// A head with a given standardisation (`means`, `inverseStd`, `[d]`) and starting weights `[d, C]` and bias
    /// `[C]` (probe-then-fine-tune: a fitted linear probe's).
    init(means: [Float], inverseStd: [Float], weights: [Float], bias: [Float], classes: Int,
         generator: inout Xoshiro256StarStar) {
        let d = means.count
        precondition(inverseStd.count == d && weights.count == d * classes && bias.count == classes,
                      "FineTuneHead: shapes disagree (d \(d), C \(classes))")
        mean = means
        self.inverseStd = inverseStd
        linear = Linear(d, classes, name: "head", generator: &generator)
        linear.weight.value = Tensor(shape: [d, classes], storage: weights)
        linear.bias?.value = Tensor(shape: [classes], storage: bias)
    }

    var parameters: [Parameter] { linear.parameters }

    /// `[n, d]` → `[n, C]`.
    func forward(_ u: Tensor) -> Tensor {
        var x = u.matrixView
        let d = mean.count
        x.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = (p[i] - mean[i % d]) * inverseStd[i % d] }
        }
        return linear.forward(x)
    }

    /// Given `∂logits` `[n, C]`, accumulates the linear layer's gradients and returns `∂u` `[n, d]`.
    func backward(_ dy: Tensor) -> Tensor {
        var dx = linear.backward(dy)
        let d = mean.count
        dx.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] *= inverseStd[i % d] }
        }
        return dx
    }
}
