
import Foundation
import Randomness
import Testing
@testable import Learning

/// A small seeded generator for test data (SplitMix64), passed `inout`.
struct TestGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal draw by Box–Muller.
    mutating func normal() -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let v = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

/// Draws `n` points around `classes` centres in `d` dimensions (a planted linear problem).
func plantedProblem(
    n: Int, d: Int, classes: Int, spread: Double, generator: inout TestGenerator
)
    -> (FeatureMatrix, [Int])
{
    let centres = (0..<classes).map { _ in (0..<d).map { _ in 3 * generator.normal() } }
    var rows: [[Double]] = []
    var labels: [Int] = []
    for i in 0..<n {
        let label = i % classes
        labels.append(label)
        rows.append(centres[label].map { $0 + spread * generator.normal() + 10 })
    }
    return (FeatureMatrix(rows, columns: d), labels)
}

/// Solves `f(a) = 0` for increasing `f` on `[low, high]` by bisection.
func bisect(_ low: Double, _ high: Double, _ f: (Double) -> Double) -> Double {
    var low = low
    var high = high
    for _ in 0..<200 {
        let middle = (low + high) / 2
        if f(middle) < 0 { low = middle } else { high = middle }
    }
    return (low + high) / 2
}

@Suite("LogisticRegression")
struct LogisticRegressionTests {
    @Test func standardizerCentresAndScalesAndKeepsConstantColumns() {
        let matrix = FeatureMatrix([[1, 5], [3, 5], [5, 5]] as [[Float]])
        let standardizer = Standardizer(fitting: matrix)
        #expect(standardizer.means == [3, 5])
        #expect(abs(standardizer.scales[0] - (8.0 / 3).squareRoot()) < 1e-12)
        #expect(standardizer.scales[1] == 1)
        let out = standardizer.transform(matrix)
        #expect(abs(out.values[0] + 1.224744871391589) < 1e-9)
        #expect(out.values[1] == 0 && out.values[3] == 0)
        let flat = FeatureMatrix(flat: [1, 5, 3, 5, 5, 5], rows: 3, columns: 2)
        #expect(flat == matrix)
    }

    @Test func matchesTheKnownSolutionOfASymmetricProblem() throws {
        // x = −1 → class 0, x = +1 → class 1. By symmetry W = [−a, a], b = 0 and
        // J(a) = log(1 + e^{−2a}) + λ a², so the optimum solves λ a = 1 / (1 + e^{2a}).
        let x = FeatureMatrix(rows: 2, columns: 1, values: [-1, 1])
        let lambda = 0.1
        let model = LogisticRegression.fit(x, labels: [0, 1], classes: 2, l2: lambda)
        let a = bisect(0, 10) { lambda * $0 - 1 / (1 + exp(2 * $0)) }
        #expect(model.converged)
        #expect(abs(model.weights[0] + a) < 1e-6)
        #expect(abs(model.weights[1] - a) < 1e-6)
        #expect(abs(model.bias[0]) < 1e-6 && abs(model.bias[1]) < 1e-6)

        // The binary model: J(w) = log(1 + e^{−w}) + (λ/2) w², optimum λ w = 1 / (1 + e^{w}).
        let binary = LogisticRegression.Binary.fit(x, labels: [false, true], l2: lambda)
        let w = bisect(0, 10) { lambda * $0 - 1 / (1 + exp($0)) }
        #expect(abs(binary.weights[0] - w) < 1e-6)
        #expect(abs(binary.bias) < 1e-6)
    }

    @Test func gradientVanishesAtTheFittedSolution() {
        var generator = TestGenerator(state: 11)
        let (x, labels) = plantedProblem(n: 60, d: 3, classes: 3, spread: 4, generator: &generator)
        let standardized = Standardizer(fitting: x).transform(x)
        let lambda = 0.01
        let model = LogisticRegression.fit(standardized, labels: labels, classes: 3, l2: lambda)
        // Recompute ∂J/∂W = (1/n)(P − Y)ᵀX + λW and ∂J/∂b independently.
        let p = model.probabilities(standardized)
        var largest = 0.0
        for k in 0..<3 {
            var gradientBias = 0.0
            for i in 0..<60 { gradientBias += p[i][k] - (labels[i] == k ? 1 : 0) }
            largest = max(largest, abs(gradientBias / 60))
            for j in 0..<3 {
                var g = 0.0
                for i in 0..<60 { g += (p[i][k] - (labels[i] == k ? 1 : 0)) * standardized.values[i * 3 + j] }
                largest = max(largest, abs(g / 60 + lambda * model.weights[k * 3 + j]))
            }
        }
        #expect(model.converged)
        #expect(largest < 1e-6)
    }

    @Test func separatesAPlantedLinearProblemDeterministically() throws {
        var generator = TestGenerator(state: 3)
        let (train, labels) = plantedProblem(n: 400, d: 8, classes: 4, spread: 1, generator: &generator)
        var testGenerator = TestGenerator(state: 3)
        // Same centres (same seed), fresh noise after the centres: draw and discard the training set's noise.
        let (all, allLabels) = plantedProblem(n: 800, d: 8, classes: 4, spread: 1, generator: &testGenerator)
        let testRows = Array(400..<800)
        let test = all.selecting(rows: testRows)
        let testLabels = testRows.map { allLabels[$0] }
        let probe = LogisticRegression.Probe.fit(
            train: train, labels: labels, classes: 4, validation: test, validationLabels: testLabels)
        let accuracy = try #require(Metrics.accuracy(truth: testLabels, predicted: probe.predict(test)))
        #expect(accuracy > 0.95)
        #expect(probe.selection.chosenOnValidation)
        #expect(probe.selection.validationScores.count == 5)
        let again = LogisticRegression.Probe.fit(
            train: train, labels: labels, classes: 4, validation: test, validationLabels: testLabels)
        #expect(again == probe)
    }

    @Test func probeFallsBackToTheDefaultL2WithFewValidationLabels() {
        var generator = TestGenerator(state: 5)
        let (x, labels) = plantedProblem(n: 40, d: 2, classes: 2, spread: 1, generator: &generator)
        let probe = LogisticRegression.Probe.fit(
            train: x, labels: labels, classes: 2,
            validation: x.selecting(rows: Array(0..<19)), validationLabels: Array(labels[0..<19]))
        #expect(!probe.selection.chosenOnValidation)
        #expect(probe.selection.l2 == 1e-2)
        #expect(probe.model.l2 == 1e-2)
    }

    @Test func oneVsRestProbeScoresEveryColumnAndHandlesConstantColumns() throws {
        var generator = TestGenerator(state: 9)
        let (x, classes) = plantedProblem(n: 120, d: 4, classes: 3, spread: 1, generator: &generator)
        // Column c: "class is c"; column 3: never set.
        let labels = classes.map { c in (0..<4).map { $0 == c } }
        let probe = LogisticRegression.MultiLabelProbe.fit(
            train: x, labels: labels, validation: x, validationLabels: labels)
        #expect(probe.model.models.count == 4)
        #expect(probe.model.models[3].weights.allSatisfy { $0 == 0 })
        #expect(probe.model.models[3].bias < 0)
        let result = Metrics.macroROCAUC(truth: labels, scores: probe.decision(x))
        #expect(result.columnsUsed == 3)
        #expect(try #require(result.auc) > 0.95)
    }
}

@Suite("LogisticRegression settings")
struct LogisticRegressionSettingsTests {
    @Test func minimumValidationCountIsConfigurable() {
        var generator = TestGenerator(state: 21)
        let (x, labels) = plantedProblem(n: 40, d: 2, classes: 2, spread: 1, generator: &generator)
        let validation = x.selecting(rows: Array(0..<10))
        let probe = LogisticRegression.Probe.fit(
            train: x, labels: labels, classes: 2, validation: validation, validationLabels: Array(labels[0..<10]),
            grid: [0.5, 2], minimumValidation: 10)
        #expect(probe.selection.chosenOnValidation)
        #expect(probe.selection.validationScores.count == 2)
        #expect([0.5, 2].contains(probe.selection.l2))
    }
}
