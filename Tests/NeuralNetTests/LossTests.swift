import Foundation
import NeuralNet
import Randomness
import Tensors
import Testing

@Test func barlowTwinsGradients() {
    var g = Xoshiro256StarStar(seed: 21)
    let z1 = InputBox(Tensor.normal(shape: [8, 5], std: 1, using: &g))
    let z2 = InputBox(Tensor.normal(shape: [8, 5], std: 1, using: &g))
    // The checker weights the output; wrap the scalar loss as a [1] tensor.
    let mismatches = GradientChecker().check(parameters: [], inputs: [z1, z2], forward: {
        Tensor(shape: [1], storage: [Losses.barlowTwins(z1.value, z2.value, lambda: 0.2).loss])
    }, backward: { dy in
        let r = Losses.barlowTwins(z1.value, z2.value, lambda: 0.2)
        return [dy.storage[0] * r.gradient1, dy.storage[0] * r.gradient2]
    })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func barlowTwinsOfIdenticalViewsHasZeroOnDiagonalTerm() {
    var g = Xoshiro256StarStar(seed: 22)
    let z = Tensor.normal(shape: [64, 6], std: 3, using: &g)
    let r = Losses.barlowTwins(z, z, lambda: 1.0 / 6)
    // C_ii = σ²/(σ² + ε) ≈ 1 − ε/σ², so the on-diagonal term is O(ε²).
    #expect(r.onDiagonal < 1e-6)
    #expect(r.offDiagonal > 0)
    #expect(abs(r.loss - (r.onDiagonal + r.offDiagonal)) < 1e-6)
    // Perfectly decorrelated identical views (orthogonal ±1 columns) give loss 0.
    var hadamard = Tensor(zeros: [4, 2])
    let rows: [[Float]] = [[1, 1], [1, -1], [-1, 1], [-1, -1]]
    for r in 0..<4 { for c in 0..<2 { hadamard[r, c] = rows[r][c] } }
    #expect(Losses.barlowTwins(hadamard, hadamard, lambda: 0.5).loss < 1e-4)
}

@Test func softmaxCrossEntropyKnownValuesAndGradients() {
    let uniform = Tensor(zeros: [3, 7])
    let r = Losses.softmaxCrossEntropy(uniform, labels: [0, 3, 6])
    #expect(abs(Double(r.loss) - log(7.0)) < 1e-6)
    #expect(abs(r.gradient[0, 0] - (1.0 / 7 - 1) / 3) < 1e-6)
    var g = Xoshiro256StarStar(seed: 23)
    let x = InputBox(Tensor.normal(shape: [5, 4], std: 2, using: &g))
    let labels = [0, 1, 2, 3, 1]
    let mismatches = GradientChecker().check(parameters: [], inputs: [x], forward: {
        Tensor(shape: [1], storage: [Losses.softmaxCrossEntropy(x.value, labels: labels).loss])
    }, backward: { dy in [dy.storage[0] * Losses.softmaxCrossEntropy(x.value, labels: labels).gradient] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test func binaryCrossEntropyKnownValuesAndGradients() {
    let r = Losses.binaryCrossEntropyWithLogits(Tensor(zeros: [4]), targets: Tensor(shape: [4], storage: [0, 1, 1, 0]))
    #expect(abs(Double(r.loss) - log(2.0)) < 1e-6)
    // Large logits stay finite: log(1 + e^{-100}) ≈ 0 and 100 for the wrong side.
    let extreme = Losses.binaryCrossEntropyWithLogits(Tensor(shape: [2], storage: [100, -100]),
                                                      targets: Tensor(shape: [2], storage: [1, 1]))
    #expect(abs(extreme.loss - 50) < 1e-3)
    var g = Xoshiro256StarStar(seed: 24)
    let x = InputBox(Tensor.normal(shape: [6], std: 2, using: &g))
    let t = Tensor(shape: [6], storage: [0, 1, 0.5, 1, 0, 1])
    let mismatches = GradientChecker().check(parameters: [], inputs: [x], forward: {
        Tensor(shape: [1], storage: [Losses.binaryCrossEntropyWithLogits(x.value, targets: t).loss])
    }, backward: { dy in [dy.storage[0] * Losses.binaryCrossEntropyWithLogits(x.value, targets: t).gradient] })
    #expect(mismatches.isEmpty, "\(mismatches)")
}

@Test(arguments: [false, true])
func infoNCEKnownValueAndGradients(symmetric: Bool) {
    // Orthonormal anchors equal to positives: S = I/τ, loss = −log(e^{1/τ}/(e^{1/τ} + B − 1)).
    var eye = Tensor(zeros: [4, 4])
    for i in 0..<4 { eye[i, i] = 1 }
    let tau: Float = 0.5
    let r = Losses.infoNCE(eye, 2 * eye, temperature: tau, symmetric: symmetric)
    let expected = -log(exp(2.0) / (exp(2.0) + 3))
    #expect(abs(Double(r.loss) - expected) < 1e-5)
    var g = Xoshiro256StarStar(seed: 25)
    let a = InputBox(Tensor.normal(shape: [5, 3], std: 1, using: &g))
    let b = InputBox(Tensor.normal(shape: [5, 3], std: 1, using: &g))
    let mismatches = GradientChecker().check(parameters: [], inputs: [a, b], forward: {
        Tensor(shape: [1], storage: [Losses.infoNCE(a.value, b.value, temperature: tau, symmetric: symmetric).loss])
    }, backward: { dy in
        let r = Losses.infoNCE(a.value, b.value, temperature: tau, symmetric: symmetric)
        return [dy.storage[0] * r.gradientA, dy.storage[0] * r.gradientB]
    })
    #expect(mismatches.isEmpty, "\(mismatches)")
}
