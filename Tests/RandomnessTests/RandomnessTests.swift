import Randomness
import Testing

/// Known answers (the published SplitMix64 sequence for seed 0; the others computed with an independent Python
/// transcription of the formulas), so a change to any stream — and so to every result — fails here first.
@Suite("Randomness")
struct RandomnessTests {
    @Test func splitMix64MatchesTheReferenceSequence() {
        var generator = SplitMix64(seed: 0)
        #expect([generator.next(), generator.next(), generator.next()]
                == [0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F])
        var other = SplitMix64(seed: 42)
        #expect([other.next(), other.next()] == [0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103])
    }

    @Test func childStreamsDependOnTheSeedAndLabelOnly() {
        var parent = SplitMix64(seed: 7)
        let before = parent.child("user-split")
        _ = parent.next()
        let after = parent.child("user-split")
        #expect(before == after, "drawing from the parent does not move its children")
        #expect(before.seed == 0x1269_90C8_C271_5F16)
        var child = before
        #expect(child.next() == 0xD63C_B404_E96A_FC7C)
        #expect(SplitMix64(seed: 7, stream: "user-split") == before)
        #expect(parent.child("other").seed != before.seed)
        #expect(parent.child(1).seed != parent.child(2).seed)
    }

    @Test func xoshiroMatchesItsReferenceFromSplitMixSeeding() {
        var generator = Xoshiro256StarStar(seed: 1)
        #expect([generator.next(), generator.next(), generator.next()]
                == [0xB3F2_AF6D_0FC7_10C5, 0x853B_5596_4736_4CEA, 0x92F8_9756_082A_4514])
        let parent = Xoshiro256StarStar(seed: 1)
        #expect(parent.derived("dropout") == parent.derived("dropout"))
        #expect(parent.derived("dropout") != parent.derived("init"))
    }

    @Test func namedStreamSeedsAreStableAndFitIn53Bits() {
        #expect(StreamHash.fnv1a("") == 0xCBF2_9CE4_8422_2325)
        #expect(StreamHash.fnv1a("a") == 0xAF63_DC4C_8601_EC8C)
        #expect(StreamHash.streamSeed(purpose: "pretrain/barlow_twins/seed=3", seed: 3) == 0x16_9BFC_43E0_6234)
        for seed in 0..<100 {
            #expect(StreamHash.streamSeed(purpose: "evaluate/x", seed: seed) < 1 << 53)
        }
    }

    @Test func drawsStayInRangeAndShufflesArePermutations() {
        var generator = SplitMix64(seed: 3)
        for bound in [1, 2, 3, 7, 1_000] {
            for _ in 0..<200 { #expect((0..<bound).contains(generator.nextInt(below: bound))) }
        }
        for _ in 0..<200 { #expect((0..<1).contains(generator.nextDouble())) }
        var items = Array(0..<50)
        items.seededShuffle(using: &generator)
        #expect(items.sorted() == Array(0..<50))
        #expect(items != Array(0..<50))
        var model = Xoshiro256StarStar(seed: 9)
        let normals = (0..<4_000).map { _ in model.nextNormal() }
        let mean = normals.reduce(0, +) / Double(normals.count)
        #expect(abs(mean) < 0.1, "a standard normal's mean over 4,000 draws")
    }
}
