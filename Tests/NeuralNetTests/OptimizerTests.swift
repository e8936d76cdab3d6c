import Foundation
import Testing
import NeuralNet
import Tensors

private func pair() -> (weight: Parameter, bias: Parameter) {
    (Parameter(name: "w", value: Tensor(shape: [2], storage: [1, -2])),
     Parameter(name: "b", value: Tensor(shape: [2], storage: [1, -2]), decays: false))
}

@Test func adamWFirstStepAndDecoupledDecaySkipsBiases() {
    let (w, b) = pair()
    let buffer = Parameter(name: "running", value: Tensor(shape: [1], storage: [5]), trainable: false)
    w.grad = Tensor(shape: [2], storage: [0.5, -3])
    b.grad = Tensor(shape: [2], storage: [0.5, -3])
    let adamW = Adam.adamW(parameters: [w, b, buffer], learningRate: 0.1, weightDecay: 0.5)
    adamW.step()
    // First step: m̂ = g, v̂ = g², update = g/(|g| + ε) ≈ sign(g); weights also shrink by (1 − lr·λ).
    #expect(abs(w.value.storage[0] - (1 * 0.95 - 0.1)) < 1e-5)
    #expect(abs(w.value.storage[1] - (-2 * 0.95 + 0.1)) < 1e-5)
    #expect(abs(b.value.storage[0] - 0.9) < 1e-5)
    #expect(abs(b.value.storage[1] - -1.9) < 1e-5)
    #expect(buffer.value.storage == [5])
    #expect(adamW.stepCount == 1)
}

@Test func adamL2AddsDecayToGradient() {
    let (w, _) = pair()
    w.grad = Tensor(zeros: [2])
    let adam = Adam(parameters: [w], learningRate: 0.1, weightDecay: 0.5, style: .l2)
    adam.step()
    // g = λw, so the update is lr·sign(w).
    #expect(abs(w.value.storage[0] - 0.9) < 1e-5 && abs(w.value.storage[1] - -1.9) < 1e-5)
}

@Test func sgdMomentumKnownValues() {
    let (w, _) = pair()
    let sgd = SGD(parameters: [w], learningRate: 0.1, momentum: 0.9)
    w.grad = Tensor(shape: [2], storage: [1, 1])
    sgd.step()
    #expect(abs(w.value.storage[0] - 0.9) < 1e-6)
    sgd.step()  // buffer = 0.9·1 + 1 = 1.9
    #expect(abs(w.value.storage[0] - 0.71) < 1e-6)
}

@Test func larsScalesDecayingParametersByTrustRatio() {
    let (w, b) = pair()
    w.grad = Tensor(shape: [2], storage: [3, 4])
    b.grad = Tensor(shape: [2], storage: [3, 4])
    let lars = LARS(parameters: [w, b], learningRate: 1, momentum: 0, weightDecay: 0, trustCoefficient: 0.1)
    lars.step()
    // ratio = 0.1·‖w‖/‖g‖ = 0.1·√5/5.
    let ratio = Float(0.1 * 5.0.squareRoot() / 5)
    #expect(abs(w.value.storage[0] - (1 - ratio * 3)) < 1e-5)
    #expect(abs(b.value.storage[0] - (1 - 3)) < 1e-5)
}

@Test func warmupCosineSchedule() {
    let schedule = WarmupCosineSchedule(peak: 1, warmupSteps: 10, totalSteps: 110, floor: 0.1)
    #expect(abs(schedule(0) - 0.1) < 1e-6)
    #expect(abs(schedule(9) - 1) < 1e-6)
    #expect(abs(schedule(10) - 1) < 1e-6)
    #expect(abs(schedule(60) - 0.55) < 1e-5)
    #expect(abs(schedule(110) - 0.1) < 1e-6)
    #expect(abs(schedule(500) - 0.1) < 1e-6)
    #expect(schedule(30) > schedule(40))
}

@Test func gradientClipping() {
    let (w, b) = pair()
    w.grad = Tensor(shape: [2], storage: [3, 0])
    b.grad = Tensor(shape: [2], storage: [0, 4])
    let norm = clipGradientNorm([w, b], maxNorm: 1)
    #expect(abs(norm - 5) < 1e-6)
    #expect(abs(w.grad.storage[0] - 0.6) < 1e-6 && abs(b.grad.storage[1] - 0.8) < 1e-6)
    let again = clipGradientNorm([w, b], maxNorm: 10)
    #expect(abs(again - 1) < 1e-6 && abs(w.grad.storage[0] - 0.6) < 1e-6)
}
