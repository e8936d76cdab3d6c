import Foundation
import Testing

@testable import Learning

/// The plain `Double` loops the GEMM objective replaced: `J(W, b)` and its gradient for multinomial regression.
func referenceMultinomial(
    _ x: FeatureMatrix, labels: [Int], classes c: Int, l2: Double, theta: [Double]
) -> (loss: Double, gradient: [Double]) {
    let n = x.rows
    let d = x.columns
    var gradient = [Double](repeating: 0, count: c * d + c)
    var loss = 0.0
    for i in 0..<n {
        let z = (0..<c).map { k in
            (0..<d).reduce(theta[c * d + k]) { $0 + theta[k * d + $1] * x.values[i * d + $1] }
        }
        let largest = z.max()!
        let total = z.reduce(0) { $0 + exp($1 - largest) }
        loss += log(total) - (z[labels[i]] - largest)
        for k in 0..<c {
            let residual = exp(z[k] - largest) / total - (k == labels[i] ? 1 : 0)
            for j in 0..<d { gradient[k * d + j] += residual * x.values[i * d + j] / Double(n) }
            gradient[c * d + k] += residual / Double(n)
        }
    }
    for k in 0..<(c * d) {
        gradient[k] += l2 * theta[k]
        loss += 0.5 * l2 * theta[k] * theta[k] * Double(n)
    }
    return (loss / Double(n), gradient)
}

@Suite("LogisticRegression GEMM objective")
struct LogisticRegressionObjectiveTests {
    @Test func multinomialObjectiveMatchesTheDoubleReference() {
        var generator = TestGenerator(state: 41)
        let (raw, labels) = plantedProblem(n: 300, d: 7, classes: 5, spread: 2, generator: &generator)
        let x = Standardizer(fitting: raw).transform(raw)
        let theta = (0..<(5 * 7 + 5)).map { _ in 0.3 * generator.normal() }
        var objective = MultinomialObjective(design: DesignMatrix(x), labels: labels, classes: 5, l2: 0.05)
        var gradient = [Double](repeating: .nan, count: theta.count)
        let loss = objective.evaluate(theta, gradient: &gradient)
        let reference = referenceMultinomial(x, labels: labels, classes: 5, l2: 0.05, theta: theta)
        #expect(abs(loss - reference.loss) < 1e-5 * max(1, reference.loss))
        let error = zip(gradient, reference.gradient).map { abs($0 - $1) }.max()!
        #expect(error < 1e-5, "largest gradient difference \(error)")
        var exactGradient = [Double](repeating: .nan, count: theta.count)
        let exactLoss = objective.evaluate(theta, gradient: &exactGradient, exact: true)
        #expect(abs(exactLoss - reference.loss) < 1e-12 * max(1, reference.loss))
        #expect(zip(exactGradient, reference.gradient).allSatisfy { abs($0 - $1) < 1e-12 })
    }

    @Test func binaryColumnsObjectiveMatchesTheDoubleReferencePerColumn() {
        var generator = TestGenerator(state: 43)
        let (raw, classes) = plantedProblem(n: 200, d: 5, classes: 3, spread: 2, generator: &generator)
        let x = Standardizer(fitting: raw).transform(raw)
        let columns = 2
        let targets: [Double] = classes.flatMap { c -> [Double] in [c == 0 ? 1 : 0, c <= 1 ? 1 : 0] }
        let theta = (0..<(columns * 5 + columns)).map { _ in 0.3 * generator.normal() }
        var objective = BinaryColumnsObjective(design: DesignMatrix(x), targets: targets, columnCount: 2, l2: 0.1)
        var gradient = [Double](repeating: .nan, count: theta.count)
        let loss = objective.evaluate(theta, gradient: &gradient)
        var referenceLoss = 0.0
        var largestError = 0.0
        for l in 0..<columns {
            // A binary model is the 2-class multinomial model with class-0 logit fixed at 0: check it directly.
            var columnLoss = 0.0
            var g = [Double](repeating: 0, count: 6)
            for i in 0..<200 {
                var z = theta[columns * 5 + l]
                for j in 0..<5 { z += theta[l * 5 + j] * x.values[i * 5 + j] }
                let y = targets[i * columns + l]
                columnLoss += log(1 + exp(z)) - y * z
                let residual = 1 / (1 + exp(-z)) - y
                for j in 0..<5 { g[j] += residual * x.values[i * 5 + j] / 200 }
                g[5] += residual / 200
            }
            var penalty = 0.0
            for j in 0..<5 {
                penalty += theta[l * 5 + j] * theta[l * 5 + j]
                largestError = max(largestError, abs(gradient[l * 5 + j] - (g[j] + 0.1 * theta[l * 5 + j])))
            }
            largestError = max(largestError, abs(gradient[columns * 5 + l] - g[5]))
            referenceLoss += columnLoss / 200 + 0.05 * penalty
        }
        #expect(abs(loss - referenceLoss) < 1e-5)
        #expect(largestError < 1e-5, "largest gradient difference \(largestError)")
    }

    @Test func warmStartedGridReachesTheColdSolutions() {
        var generator = TestGenerator(state: 47)
        let (raw, labels) = plantedProblem(n: 500, d: 6, classes: 4, spread: 4, generator: &generator)
        let x = Standardizer(fitting: raw).transform(raw)
        let design = DesignMatrix(x)
        var order: [Double] = []
        let grid = LogisticRegression.fitGrid([1e-3, 1, 1e-2, 1e-1, 1e-2]) { l2, previous in
            order.append(l2)
            return LogisticRegression.fit(
                design: design, labels: labels, classes: 4, l2: l2, options: LBFGSOptions(), start: previous)
        }
        #expect(order == [1, 1e-1, 1e-2, 1e-3])
        for (l2, warm) in grid {
            let cold = LogisticRegression.fit(x, labels: labels, classes: 4, l2: l2)
            let difference = zip(warm.weights + warm.bias, cold.weights + cold.bias).map { abs($0 - $1) }.max()!
            // J is strongly convex with modulus ≥ λ on W, so both fits lie near the one optimum.
            #expect(difference < 1e-3, "l2 \(l2): warm and cold solutions differ by \(difference)")
            #expect(warm.converged && cold.converged)
        }
    }

    @Test func jointOneVsRestMatchesSeparateBinaryFits() {
        var generator = TestGenerator(state: 53)
        let (raw, classes) = plantedProblem(n: 240, d: 5, classes: 4, spread: 3, generator: &generator)
        let x = Standardizer(fitting: raw).transform(raw)
        let labels = classes.map { c in [c == 0, c <= 1, false, c != 2, true] }
        let joint = LogisticRegression.OneVsRest.fit(x, labels: labels, l2: 0.01)
        #expect(joint.models.count == 5)
        #expect(joint.models[2].weights.allSatisfy { $0 == 0 } && joint.models[2].bias < 0)
        #expect(joint.models[4].weights.allSatisfy { $0 == 0 } && joint.models[4].bias > 0)
        for column in [0, 1, 3] {
            let single = LogisticRegression.Binary.fit(x, labels: labels.map { $0[column] }, l2: 0.01)
            let a = joint.models[column]
            let difference = zip(a.weights + [a.bias], single.weights + [single.bias]).map { abs($0 - $1) }.max()!
            #expect(difference < 1e-3, "column \(column): joint and separate fits differ by \(difference)")
        }
    }

    @Test func probeStoppingRuleGivesTheTightRulesPredictions() throws {
        var generator = TestGenerator(state: 59)
        let (all, allLabels) = plantedProblem(n: 900, d: 12, classes: 6, spread: 6, generator: &generator)
        let train = all.selecting(rows: Array(0..<600))
        let labels = Array(allLabels[0..<600])
        let validation = all.selecting(rows: Array(600..<900))
        let validationLabels = Array(allLabels[600..<900])
        let fast = LogisticRegression.Probe.fit(
            train: train, labels: labels, classes: 6, validation: validation, validationLabels: validationLabels,
            options: .probe)
        let tight = LogisticRegression.Probe.fit(
            train: train, labels: labels, classes: 6, validation: validation, validationLabels: validationLabels)
        #expect(fast.selection.l2 == tight.selection.l2)
        let agreement = zip(fast.predict(validation), tight.predict(validation)).filter { $0 == $1 }.count
        #expect(Double(agreement) / 300 >= 0.99, "\(agreement) of 300 predictions agree")
        #expect(fast.model.iterations <= tight.model.iterations)
        // Same inputs, same outputs.
        let again = LogisticRegression.Probe.fit(
            train: train, labels: labels, classes: 6, validation: validation, validationLabels: validationLabels,
            options: .probe)
        #expect(again == fast)
    }
}

@Suite("LBFGSOptions")
struct LBFGSOptionsTests {
    @Test func probeSettingsUseTheProbeStoppingRule() {
        #expect(LinearProbeEvaluation.Settings().options == .probe)
        #expect(LBFGSOptions.probe.gradientTolerance == 1e-5 && !LBFGSOptions.probe.refineInDouble)
        #expect(LBFGSOptions().refineInDouble && LBFGSOptions().gradientTolerance == 1e-8)
    }

    @Test func decodesOptionsWrittenWithoutTheRefinementFlag() throws {
        let json = #"{"memory": 7, "gradientTolerance": 1e-6, "relativeTolerance": 1e-12, "maxIterations": 50}"#
        let options = try JSONDecoder().decode(LBFGSOptions.self, from: Data(json.utf8))
        #expect(options.memory == 7 && options.maxIterations == 50 && options.refineInDouble)
        let roundTrip = try JSONDecoder().decode(LBFGSOptions.self, from: JSONEncoder().encode(LBFGSOptions.probe))
        #expect(roundTrip == .probe)
    }

    @Test func exactRefinementMeetsATightToleranceTheFloatObjectiveCannot() {
        var generator = TestGenerator(state: 61)
        let (raw, labels) = plantedProblem(n: 200, d: 4, classes: 3, spread: 4, generator: &generator)
        let x = Standardizer(fitting: raw).transform(raw)
        var floatOnly = LBFGSOptions()
        floatOnly.refineInDouble = false
        let refined = LogisticRegression.fit(x, labels: labels, classes: 3, l2: 1e-3)
        let rounded = LogisticRegression.fit(x, labels: labels, classes: 3, l2: 1e-3, options: floatOnly)
        func largestGradient(_ model: LogisticRegression) -> Double {
            let theta = model.weights + model.bias
            return referenceMultinomial(x, labels: labels, classes: 3, l2: 1e-3, theta: theta).gradient
                .map(abs).max()!
        }
        #expect(largestGradient(refined) < 1e-7, "refined: \(largestGradient(refined))")
        #expect(largestGradient(rounded) < 1e-4, "Float32 only: \(largestGradient(rounded))")
    }
}
