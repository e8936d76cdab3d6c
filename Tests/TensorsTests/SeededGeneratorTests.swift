import Randomness
import Tensors
import Testing

@Test func sameSeedSameStreamDifferentSeedDifferentStream() {
    var a = Xoshiro256StarStar(seed: 42)
    var b = Xoshiro256StarStar(seed: 42)
    var c = Xoshiro256StarStar(seed: 43)
    let sa = (0..<16).map { _ in a.next() }
    let sb = (0..<16).map { _ in b.next() }
    let sc = (0..<16).map { _ in c.next() }
    #expect(sa == sb)
    #expect(sa != sc)
}

@Test func derivedStreamsArePureAndDistinct() {
    let parent = Xoshiro256StarStar(seed: 1)
    var job0 = parent.derived(0)
    var job0Again = parent.derived(0)
    var job1 = parent.derived(1)
    var named = parent.derived("dropout")
    #expect(job0.next() == job0Again.next())
    let x = job0.next()
    #expect(x != job1.next())
    var other = parent.derived("augment").derived(0)
    #expect(named.next() != other.next())
    var advancing = parent
    let child = advancing.split()
    #expect(advancing != parent)
    #expect(child != parent)
}

@Test func uniformAndNormalMoments() {
    var g = Xoshiro256StarStar(seed: 3)
    let n = 20_000
    var sum = 0.0
    var sumSquares = 0.0
    for _ in 0..<n {
        let u = g.nextUniform()
        #expect(u >= 0 && u < 1)
        let z = g.nextNormal()
        sum += z
        sumSquares += z * z
    }
    // Mean of N(0,1) over 20k samples: standard error 0.007; 5 standard errors.
    #expect(abs(sum / Double(n)) < 0.035)
    #expect(abs(sumSquares / Double(n) - 1) < 0.05)
    for _ in 0..<100 { #expect((0..<7).contains(g.nextInt(below: 7))) }
}

@Test func initialisersRespectTheirBounds() {
    var g = Xoshiro256StarStar(seed: 5)
    let xavier = Tensor.xavierUniform(shape: [64, 256], fanIn: 64, fanOut: 256, using: &g)
    let bound = (6.0 / 320.0).squareRoot()
    #expect(xavier.storage.allSatisfy { abs(Double($0)) <= bound })
    #expect(xavier.storage.contains { abs(Double($0)) > 0.9 * bound })
    let truncated = Tensor.truncatedNormal(shape: [1000], std: 0.02, using: &g)
    #expect(truncated.storage.allSatisfy { abs($0) <= 0.04 })
    let std = (truncated.squaredNorm() / 1000).squareRoot()
    #expect(std > 0.012 && std < 0.02)
    #expect(Tensor(zeros: [3, 3]).storage.allSatisfy { $0 == 0 })
    let normal = Tensor.normal(shape: [4000], std: 0.02, using: &g)
    #expect(abs((normal.squaredNorm() / 4000).squareRoot() - 0.02) < 0.002)
}
