import Tensors

/// Rescales all gradients so their global L2 norm is at most `maxNorm`: if `‖g‖ > maxNorm`,
/// `g ← g·maxNorm/‖g‖` (trainable parameters only).
///
/// With `sparseRows`, a row-sparse parameter (see `Parameter.gradientRows`) contributes and is rescaled over its
/// touched rows only: the same norm up to float rounding (the other rows are zero) at O(rows touched) cost. It
/// goes with the lazy optimiser; the default visits every element, as before.
/// - Returns: the global norm before clipping.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float, sparseRows: Bool = false) -> Float {
    var total: Double = 0
    for parameter in parameters where parameter.trainable {
        if sparseRows, let rows = parameter.gradientRows {
            let width = parameter.grad.columns
            parameter.grad.withUnsafeBufferPointer { g in
                for row in rows {
                    total += Double(Kernels.sumOfSquares(g.baseAddress! + Int(row) * width, count: width))
                }
            }
        } else {
            total += Double(parameter.grad.squaredNorm())
        }
    }
    let norm = Float(total.squareRoot())
    if norm > maxNorm && norm > 0 {
        let scale = maxNorm / norm
        for parameter in parameters where parameter.trainable {
            if sparseRows, let rows = parameter.gradientRows {
                let width = parameter.grad.columns
                parameter.grad.withUnsafeMutableBufferPointer { g in
                    for row in rows { Kernels.scale(g.baseAddress! + Int(row) * width, by: scale, count: width) }
                }
            } else {
                parameter.grad.scale(by: scale)
            }
        }
    }
    return norm
}
