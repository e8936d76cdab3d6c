import Testing

@testable import Sequences

/// Real data in `../shared/data` (never copied into the repository), checked against published statistics.
@Suite("Real data", .enabled(if: Paths.realDataTestsEnabled))
struct RealDataTests {
    func root() throws -> String {
        try #require(Paths.sharedData, "shared data is required when CI=true (set SEQTWINS_SHARED_DATA)")
    }

    @Test func movieLens100K() throws {
        let dataset = try MovieLens100KReader.load(directory: try root() + "/ml-100k")
        #expect(dataset.userCount == 943)
        #expect(dataset.itemCount == 1_682)
        #expect(dataset.interactionCount == 100_000)
        #expect(dataset.categoryNames.count == 19)
        #expect(dataset.gender!.values.filter { $0 == 1 }.count == 670)
        #expect(dataset.occupation!.names.count == 21)
        let prepared = try PreparedDataset(dataset)
        #expect(prepared.userCount == 943)  // every MovieLens-100K user has at least 20 ratings
        #expect(Set(prepared.supportedTasks) == Set(TaskKind.allCases))
        #expect(prepared.testUsers.count == 189)
        let age = try prepared.labels(for: .ageGroup)
        #expect(age.classNames == InteractionDataset.ageGroupNames)
    }

    @Test func amazonBeauty() throws {
        let folder = try root() + "/amazon-beauty-5core"
        let dataset = try SequenceFileReader.load(
            path: folder + "/Beauty.txt",
            attributes: folder + "/Beauty_item2attributes.json")
        #expect(dataset.userCount == 22_363)
        #expect(dataset.itemCount == 12_101)
        #expect(dataset.interactionCount == 198_502)
        #expect(dataset.itemCategories.filter { !$0.isEmpty }.count > 12_000)
        let prepared = try PreparedDataset(dataset)
        #expect(prepared.userCount == 22_363)
        #expect(prepared.vocabulary.count == 20)
        let top = try prepared.labels(for: .futureTopCategory)
        // PROTOCOL.md: about an 11% majority class on future_top_category.
        #expect((0.05...0.2).contains(top.majorityAccuracy[.test]!), "\(top.majorityAccuracy)")
        #expect(prepared.supportedTasks == [.nextCategory, .futureTopCategory, .futureCategories])
    }

    @Test func movieLens1MMetadata() throws {
        let folder = try root() + "/ml-1m"
        let users = try MovieLens1MReader.readUsers(path: folder + "/users.dat")
        #expect(users.ids.count == 6_040)
        #expect(users.gender.values.filter { $0 == 1 }.count == 4_331)
        #expect(users.ageGroup.values.filter { $0 == 2 }.count == 2_096)  // 25-34
        let movies = try MovieLens1MReader.readMovies(path: folder + "/movies.dat")
        #expect(movies.ids.count == 3_883)
        #expect(Set(movies.categories.flatMap { $0 }).count == 18)
        #expect(movies.titles.contains { $0.contains("é") })  // Latin-1 decoded
        let error = datasetError { _ = try MovieLens1MReader.load(directory: folder) }
        #expect(error?.message.contains("missing file") == true)
    }

    @Test func movieLens20MMovies() throws {
        let movies = try MovieLensCSVReader.readMovies(path: try root() + "/ml-20m/movies.csv")
        #expect(movies.ids.count == 27_278)
        #expect(Set(movies.categories.flatMap { $0 }).count == 19)
        #expect(movies.categories.filter(\.isEmpty).count == 246)
        #expect(movies.titles.contains("\"Great Performances\" Cats (1998)"))
    }

    @Test func yelpSamples() throws {
        let folder = try root() + "/yelp/raw-json-samples"
        let a = try YelpReader.load(
            directory: folder, review: "review_sample_a.json", business: "business_sample_a.json")
        #expect(a.interactionCount == 999)
        #expect(a.userCount == 993)
        #expect(a.itemCount == 1_000 + 759)  // the 1,000 listed plus 759 reviewed businesses not listed
        #expect(a.categoryNames.contains("Restaurants"))
        let b = try YelpReader.load(directory: folder, review: "review_sample_b.json", business: "none.json")
        #expect(b.interactionCount == 3_610)
        #expect(b.userCount == 3_494)
        #expect(b.itemCount == 2_219)
    }
}
