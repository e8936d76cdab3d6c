import Tensors

/// Rescales all gradients so their global L2 norm is at most `maxNorm`: if `‖g‖ > maxNorm`,
/// `g ← g·maxNorm/‖g‖` (trainable parameters only).
/// - Returns: the global norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    var total: Double = 0
    for parameter in parameters where parameter.trainable { total += Double(parameter.grad.squaredNorm()) }
    let norm = Float(total.squareRoot())
    if norm > maxNorm && norm > 0 {
        let scale = maxNorm / norm
        for parameter in parameters where parameter.trainable { parameter.grad.scale(by: scale) }
    }
    return norm
}
