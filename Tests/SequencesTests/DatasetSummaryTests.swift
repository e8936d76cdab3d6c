import Testing

@testable import Sequences

/// The dataset summary counts what preprocessing kept and dropped, and what the label vocabulary left out.
@Suite("Dataset summary")
struct DatasetSummaryTests {
    @Test func countsKeptAndDroppedAndTheCategoriesLeftOut() throws {
        // 12 users; user 11 has 2 interactions (dropped by min length 5). Items 0..9: category 0 ("common") on all,
        // category k on item k - 1 and k (k = 1...5), so "common" is too generic.
        var builder = InteractionDatasetBuilder(hasRatings: false)
        for user in 0..<12 {
            let u = builder.users.insert("u\(user)")
            let length = user == 11 ? 2 : 6
            for step in 0..<length {
                let item = builder.items.insert("i\((user + step) % 10)")
                builder.append(user: u, item: item, timestamp: Int64(step))
            }
        }
        var dataset = builder.build(name: "toy")
        dataset.categoryNames = ["common", "a", "b", "c", "d", "e"]
        dataset.itemCategories = dataset.itemIDs.map { id in
            let item = Int(id.dropFirst())!
            return [0] + (1...5).filter { $0 == item || $0 - 1 == item }.map(Int32.init)
        }
        var config = Preprocessing()
        config.labelCategories = 3
        let prepared = try PreparedDataset(dataset, config: config)
        let summary = DatasetSummary(source: dataset, prepared: prepared)
        #expect(summary.source.users == 12 && summary.kept.users == 11)
        #expect(summary.source.interactions == 68 && summary.kept.interactions == 66)
        #expect(summary.train + summary.validation + summary.test == 11)
        #expect(summary.vocabulary.count == 3)
        #expect(summary.genericCategories.map(\.name) == ["common"])
        #expect(summary.categoriesBeyondVocabulary == 2)
        #expect(summary.text.contains("dropped 1 users"))
        #expect(summary.text.contains("too generic (on over half the items): common 10"))
    }
}
