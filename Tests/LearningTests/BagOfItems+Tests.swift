import Learning
import Sequences
import Testing

/// A hand-made dataset: 4 categories over 6 items, 4 users with 5 interactions each (history 4, future 1).
///
/// Categories A, B, C, D; items i1 [A], i2 [B], i3 [A, C], i4 [D], i5 [B, C], i6 [A, D]. A is carried by 3 of 6
/// items (not more than half, so it stays in the vocabulary).
func handMadeDataset() -> InteractionDataset {
    let sequences: [[Int32]] = [
        [0, 0, 1, 2, 3],  // u1: i1 i1 i2 i3 | i4
        [3, 3, 3, 3, 4],  // u2: i4 i4 i4 i4 | i5
        [4, 5, 0, 1, 2],  // u3: i5 i6 i1 i2 | i3
        [1, 2, 4, 5, 0],  // u4: i2 i3 i5 i6 | i1
    ]
    var offsets = [0]
    var items: [Int32] = []
    var timestamps: [Int64] = []
    for sequence in sequences {
        for (position, item) in sequence.enumerated() {
            items.append(item)
            timestamps.append(Int64(position))
        }
        offsets.append(items.count)
    }
    return InteractionDataset(
        name: "hand-made", userOffsets: offsets, items: items, timestamps: timestamps, ratings: [],
        userIDs: ["u1", "u2", "u3", "u4"], itemIDs: ["i1", "i2", "i3", "i4", "i5", "i6"],
        categoryNames: ["A", "B", "C", "D"], itemCategories: [[0], [1], [0, 2], [3], [1, 2], [0, 3]])
}

@Suite("BagOfItems")
struct BagOfItemsTests {
    @Test func bucketIsTheStableFNV1aHashOfTheOriginalID() {
        // FNV-1a 64 of "a" is 0xAF63DC4C8601EC8C.
        #expect(BagOfItems.bucket(ofItemID: "a", buckets: 256) == 0x8C)
        #expect(BagOfItems.bucket(ofItemID: "a", buckets: 1 << 20) == 0x1EC8C)
        #expect(BagOfItems.bucket(ofItemID: "", buckets: 1000) == Int(0xCBF2_9CE4_8422_2325 as UInt64 % 1000))
    }

    @Test func featureRowsHaveTheDocumentedShapeAndValues() throws {
        let dataset = try PreparedDataset(handMadeDataset(), config: Preprocessing(minSequenceLength: 2))
        #expect(dataset.userCount == 4)
        #expect(dataset.historyLengths == [4, 4, 4, 4])
        let vocabulary = dataset.vocabulary
        #expect(vocabulary.count == 4)
        let bag = BagOfItems(buckets: 8)
        #expect(bag.dimension(for: dataset) == 12)
        let rows = bag.features(dataset)
        #expect(rows.count == 4 && rows.allSatisfy { $0.count == 12 })
        func entry(_ name: String) -> Int { vocabulary.names.firstIndex(of: name)! }
        func bucket(_ id: String) -> Int { 4 + BagOfItems.bucket(ofItemID: id, buckets: 8) }

        // u1 history i1 i1 i2 i3: categories A, A, B, A, C → A 3/5, B 1/5, C 1/5, D 0.
        let u1 = rows[0]
        #expect(u1[entry("A")] == 3 / 5 as Float && u1[entry("B")] == 1 / 5 as Float)
        #expect(u1[entry("C")] == 1 / 5 as Float && u1[entry("D")] == 0)
        var expected = [Float](repeating: 0, count: 8)
        for id in ["i1", "i1", "i2", "i3"] { expected[bucket(id) - 4] += 0.25 }
        #expect(Array(u1[4...]) == expected)
        // u2 history i4 ×4: D only, one bucket holding everything.
        let u2 = rows[1]
        #expect(u2[entry("D")] == 1 && u2[entry("A")] == 0)
        #expect(u2[bucket("i4")] == 1 && u2[4...].reduce(0, +) == 1)
        // Every part sums to 1.
        for row in rows {
            #expect(abs(row[..<4].reduce(0, +) - 1) < 1e-6)
            #expect(abs(row[4...].reduce(0, +) - 1) < 1e-6)
        }
        // The future never leaks in: u4's future item i1 (bucket of i1) is absent unless its history holds i1.
        #expect(bag.features(dataset, users: [3]) == [rows[3]])
        let historyBuckets = Set(["i2", "i3", "i5", "i6"].map(bucket))
        if !historyBuckets.contains(bucket("i1")) { #expect(rows[3][bucket("i1")] == 0) }
    }

    @Test func usersWithoutVocabularyCategoriesGetAZeroCategoryPart() throws {
        var raw = handMadeDataset()
        raw.itemCategories[3] = []  // i4 loses D; u2's history (i4 ×4) has no category left.
        let dataset = try PreparedDataset(raw, config: Preprocessing(minSequenceLength: 2))
        let rows = BagOfItems().features(dataset)
        let categories = dataset.vocabulary.count
        #expect(rows[1][..<categories].allSatisfy { $0 == 0 })
        #expect(rows[1][categories...].reduce(0, +) == 1)
        #expect(rows[1].count == categories + 256)
    }
}
