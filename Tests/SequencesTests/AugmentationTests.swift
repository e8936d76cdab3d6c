import Testing

@testable import Sequences
import Randomness

@Suite("Augmentations and batches")
struct AugmentationTests {
    let sequence: [Int32] = Array(1...20)

    @Test func cropKeepsAContiguousSixtyPercent() {
        var generator = SplitMix64(seed: 1)
        for _ in 0..<50 {
            let view = Augmentations().apply(.crop, to: sequence, maskToken: 99, using: &generator)
            #expect(view.count == 12)
            #expect(zip(view, view.dropFirst()).allSatisfy { $1 == $0 + 1 })
        }
    }

    @Test func maskReplacesThirtyPercent() {
        var generator = SplitMix64(seed: 2)
        for _ in 0..<50 {
            let view = Augmentations().apply(.mask, to: sequence, maskToken: 99, using: &generator)
            #expect(view.count == 20)
            #expect(view.filter { $0 == 99 }.count == 6)
            #expect(zip(view, sequence).allSatisfy { $0 == $1 || $0 == 99 })
        }
    }

    @Test func reorderShufflesOneWindow() {
        var generator = SplitMix64(seed: 3)
        var changed = 0
        for _ in 0..<50 {
            let view = Augmentations().apply(.reorder, to: sequence, maskToken: 99, using: &generator)
            #expect(view.sorted() == sequence)
            let moved = view.indices.filter { view[$0] != sequence[$0] }
            if let first = moved.first, let last = moved.last {
                #expect(last - first < 6)
                changed += 1
            }
        }
        #expect(changed > 25)
    }

    @Test func viewsAreSeededAndDrawOnlyEnabledKinds() {
        var a = SplitMix64(seed: 4)
        var b = SplitMix64(seed: 4)
        let augmentations = Augmentations()
        let first = (0..<20).map { _ in augmentations.view(of: sequence, maskToken: 99, using: &a) }
        let second = (0..<20).map { _ in augmentations.view(of: sequence, maskToken: 99, using: &b) }
        #expect(first == second)
        #expect(Set(first.map(\.count)).count > 1)  // crops and full-length views both occur
        let maskOnly = Augmentations(cropRate: nil, maskRate: 0.5, reorderRate: nil)
        for _ in 0..<20 {
            let view = maskOnly.view(of: sequence, maskToken: 99, using: &a)
            #expect(view.filter { $0 == 99 }.count == 10)
        }
        #expect(
            Augmentations(cropRate: nil, maskRate: nil, reorderRate: nil).view(of: sequence, maskToken: 99, using: &a)
                == sequence)
    }

    @Test func paddedBatchKeepsTheLastItemsAndPadsRight() {
        let batch = PaddedBatch([[1, 2, 3, 4, 5, 6], [7, 8]] as [[Int32]], length: 4)
        #expect(batch.items == [3, 4, 5, 6, 7, 8, 0, 0])
        #expect(batch.lengths == [4, 2])
        #expect(batch.row(1) == [7, 8])
    }

    @Test func twoViewAndNextItemBatches() throws {
        let prepared = try PreparedDataset(
            SyntheticWorld(config: SyntheticConfig.preset("tiny")!).dataset(),
            config: Preprocessing(maxLength: 10))
        let users = Array(prepared.trainUsers.prefix(8))
        var generator = prepared.generator("augment")
        let views = prepared.twoViewBatch(users: users, augmentations: Augmentations(), using: &generator)
        #expect(views.first.items.count == 8 * 10 && views.second.lengths.count == 8)
        #expect(views.first.items.allSatisfy { $0 >= 0 && $0 <= prepared.maskToken })
        let examples = prepared.nextItemExamples(users: users)
        #expect(examples.count == users.reduce(0) { $0 + Int(prepared.historyLengths[Int($1)]) - 1 })
        let batch = prepared.nextItemBatch(examples.prefix(32))
        for (row, example) in examples.prefix(32).enumerated() {
            let history = Array(prepared.history(of: Int(example.user)))
            #expect(batch.targets[row] == history[Int(example.position)])  // the target is still in the history
            #expect(Array(batch.prefixes.row(row)) == Array(history[..<Int(example.position)].suffix(10)))
        }
        var epochGenerator = SplitMix64(seed: 5)
        let epoch = Array(EpochBatches(count: 103, batchSize: 10, using: &epochGenerator))
        #expect(epoch.count == 11)
        #expect(epoch.flatMap { $0 }.sorted() == Array(0..<103))
        #expect(Array(EpochBatches(count: 103, batchSize: 10, dropLast: true, using: &epochGenerator)).count == 10)
    }
}
