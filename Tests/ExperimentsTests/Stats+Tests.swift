import Experiments
import Testing

@Suite("Stats")
struct StatsTests {
    @Test func meanAndSampleStandardDeviation() throws {
        #expect(Stats.mean([1, 2, 3, 6]) == 3)
        #expect(Stats.mean([]) == nil)
        let sd = try #require(Stats.sampleStandardDeviation([2, 4, 4, 4, 5, 5, 7, 9]))
        #expect(abs(sd - (32.0 / 7).squareRoot()) < 1e-12)
        #expect(Stats.sampleStandardDeviation([1]) == nil)
    }

    @Test func incompleteBetaMatchesClosedForms() {
        // I_0.5(2, 3) = Σ_{j=2}^{4} C(4, j) / 16 = 11/16; I_x(1, 1) = x; I_x(a, 1) = xᵃ.
        #expect(abs(Stats.regularizedIncompleteBeta(0.5, a: 2, b: 3) - 11.0 / 16) < 1e-12)
        #expect(abs(Stats.regularizedIncompleteBeta(0.3, a: 1, b: 1) - 0.3) < 1e-12)
        #expect(abs(Stats.regularizedIncompleteBeta(0.9, a: 3.5, b: 1) - 0.9.squareRoot() * 0.729) < 1e-12)
    }

    /// Reference values from scipy.stats.t.ppf(0.975, df).
    @Test(arguments: [
        (1, 12.706204736174694), (2, 4.302652729749462), (4, 2.7764451051977934), (9, 2.262157162798205),
        (30, 2.0422724563012378), (1000, 1.9623390808264083),
    ])
    func tQuantilesMatchKnownValues(df: Int, expected: Double) {
        #expect(abs(Stats.tCritical95(degreesOfFreedom: df) - expected) < 1e-9)
    }

    @Test func tQuantileDf4RoundsTo2776AndIsSymmetric() {
        #expect((Stats.tCritical95(degreesOfFreedom: 4) * 1000).rounded() == 2776)
        #expect(abs(Stats.studentTQuantile(0.025, degreesOfFreedom: 4) + 2.7764451051977934) < 1e-9)
        #expect(abs(Stats.studentTCDF(0, degreesOfFreedom: 3) - 0.5) < 1e-15)
        // For df = 1 (Cauchy): P(T ≤ 1) = 3/4.
        #expect(abs(Stats.studentTCDF(1, degreesOfFreedom: 1) - 0.75) < 1e-12)
    }

    @Test func pairedDifferenceWithInterval() throws {
        // Differences 1, 1, 2, 2: mean 1.5, sd √(1/3), half-width t₃ · sd / 2.
        let result = try #require(Stats.pairedDifference([1, 2, 3, 4], baseline: [0, 1, 1, 2]))
        let halfWidth = 3.1824463052837078 * (1.0 / 3).squareRoot() / 2
        #expect(result.count == 4)
        #expect(result.meanDifference == 1.5)
        #expect(abs(try #require(result.lower95) - (1.5 - halfWidth)) < 1e-9)
        #expect(abs(try #require(result.upper95) - (1.5 + halfWidth)) < 1e-9)
        #expect(result.baselineMean == 1)
        #expect(result.relativeGain == 1.5)
        let single = try #require(Stats.pairedDifference([0.5], baseline: [0.4]))
        #expect(single.lower95 == nil && single.standardDeviation == nil)
        #expect(Stats.pairedDifference([1, 2], baseline: [1]) == nil)
        #expect(Stats.pairedDifference([1], baseline: [0])?.relativeGain == nil)
    }
}
