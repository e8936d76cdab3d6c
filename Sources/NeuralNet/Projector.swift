import Randomness
import Tensors

/// The Barlow Twins projector: `Linear → BatchNorm → ReLU` for each hidden width, then a final `Linear`;
/// default `d → 256 → 256 → 256` (PROTOCOL section 4). `[n, d]` → `[n, widths.last]`. Pass `groups: 2` when
/// both views are stacked so each view gets its own batch statistics.
public final class Projector: ParameterOwner {
    /// Linear layers, one per width.
    public let linears: [Linear]
    /// Batch norms after every linear layer but the last.
    public let norms: [BatchNorm1d]
    private let activations: [ReLU]

    /// A projector named `name` from `input` through `widths`.
    public init(input: Int, widths: [Int] = [256, 256, 256], name: String = "projector",
                generator: inout Xoshiro256StarStar) {
        precondition(!widths.isEmpty, "Projector: no widths")
        var linears: [Linear] = []
        var norms: [BatchNorm1d] = []
        var previous = input
        for (i, width) in widths.enumerated() {
            let last = i == widths.count - 1
            linears.append(Linear(previous, width, bias: last, name: scoped(name, "linear\(i)"), generator: &generator))
            if !last { norms.append(BatchNorm1d(width, name: scoped(name, "norm\(i)"))) }
            previous = width
        }
        self.linears = linears
        self.norms = norms
        activations = norms.map { _ in ReLU() }
    }

    /// Every parameter and buffer in layer order.
    public var parameters: [Parameter] {
        var out: [Parameter] = []
        for i in linears.indices {
            out += linears[i].parameters
            if i < norms.count { out += norms[i].parameters }
        }
        return out
    }

    /// Projects `x` `[n, input]` → `[n, widths.last]`.
    public func forward(_ x: Tensor, training: Bool, groups: Int = 1) -> Tensor {
        var h = x
        for i in linears.indices {
            h = linears[i].forward(h)
            if i < norms.count {
                h = activations[i].forward(norms[i].forward(h, training: training, groups: groups))
            }
        }
        return h
    }

    /// Given `∂z`, accumulates parameter gradients and returns `∂x`.
    public func backward(_ dz: Tensor) -> Tensor {
        var g = dz
        for i in linears.indices.reversed() {
            if i < norms.count { g = norms[i].backward(activations[i].backward(g)) }
            g = linears[i].backward(g)
        }
        return g
    }
}
