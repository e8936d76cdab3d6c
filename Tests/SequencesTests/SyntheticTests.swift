import Foundation
import Testing

@testable import Sequences

@Suite("Synthetic data")
struct SyntheticTests {
    @Test func deterministicBySeed() {
        let a = SyntheticWorld(config: SyntheticConfig.preset("tiny", seed: 1)!)
        let b = SyntheticWorld(config: SyntheticConfig.preset("tiny", seed: 1)!)
        let c = SyntheticWorld(config: SyntheticConfig.preset("tiny", seed: 2)!)
        #expect(a.user(17) == b.user(17))
        #expect(a.itemCategories == b.itemCategories)
        #expect(a.user(17) != c.user(17))
    }

    @Test func writtenFilesReadBackExactly() throws {
        let directory = Paths.temporaryDirectory("synthetic")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let world = SyntheticWorld(config: SyntheticConfig.preset("tiny", seed: 3)!)
        let written = try SyntheticWriter.write(world, to: directory, csv: true)
        let read = try DatasetLoader.load(
            DatasetSpec(kind: .synthetic, path: directory, options: ["preset": "tiny", "seed": "3"]))
        let memory = world.dataset()
        #expect(read.interactionCount == written)
        #expect(read.userCount == 300 && read.itemCount == 400)
        #expect(read.items == memory.items && read.timestamps == memory.timestamps && read.ratings == memory.ratings)
        #expect(read.categoryNames == memory.categoryNames && read.itemCategories == memory.itemCategories)
        #expect(
            read.gender == memory.gender && read.ageGroup == memory.ageGroup && read.occupation == memory.occupation)
        for u in [0, 150, 299] { #expect(read.range(ofUser: u).map { read.items[$0] } == world.user(u).items) }
        let csv = try MovieLensCSVReader.load(directory: directory)
        #expect(csv.items == read.items && csv.ratings == read.ratings)
        #expect(csv.itemTitles[0] == "Synthetic Movie 1, \"the\" sequel (1920)")
        #expect(try SyntheticWriter.writtenConfiguration(in: directory) == world.config)
        // The block scanner with tiny blocks (many lines cut at block ends) reads the same rows.
        var builder = InteractionDatasetBuilder(hasRatings: true)
        let scanner = RatingFileScanner(
            first: UInt8(ascii: ":"), second: UInt8(ascii: ":"), ratingRange: 1...5,
            wholeRatings: true, knownUsers: false, knownItems: false, bufferSize: 64)
        try scanner.scan(path: directory + "/ratings.dat", into: &builder) { line, _ in
            Issue.record("unexpected slow line \(line.number): \(line.text)")
        }
        #expect(builder.build(name: "blocks").items.count == written)
        var blocks: [UInt8] = []
        var firstLines: [Int] = []
        var lineCount = 0
        try TextFileReader(path: directory + "/users.dat", bufferSize: 64).forEachBlock { block, firstLine in
            firstLines.append(firstLine)
            #expect(firstLine == lineCount + 1)
            lineCount += block.filter { $0 == 10 }.count
            blocks += block
            return true
        }
        #expect(blocks == Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/users.dat"))))
        #expect(firstLines.count > 10 && lineCount == 300)
        // Another configuration in the same folder is regenerated, not silently reused.
        let other = try DatasetLoader.load(
            DatasetSpec(
                kind: .synthetic, path: directory,
                options: ["preset": "tiny", "seed": "4"]))
        #expect(other.items != read.items)
        #expect(try SyntheticWriter.writtenConfiguration(in: directory)?.seed == 4)
        #expect(throws: DatasetRequestError.self) {
            _ = try DatasetLoader.load(DatasetSpec(kind: .synthetic, path: Paths.fixture("ml1m")))
        }
    }

    @Test func plantedStructureIsThere() {
        let world = SyntheticWorld(config: SyntheticConfig.preset("small", seed: 4)!)
        var favouriteShare = 0.0
        var favouriteRating = 0.0
        var otherRating = 0.0
        var favouriteCount = 0.0
        var otherCount = 0.0
        var maleWhenLowFavourite = 0.0
        var lowFavourite = 0.0
        var maleOtherwise = 0.0
        var otherwise = 0.0
        let users = 400
        for u in 0..<users {
            let user = world.user(u)
            #expect(user.items.count >= 5)
            let favourites = Set(user.favourites)
            var inFavourites = 0
            for (item, rating) in zip(user.items, user.ratings) {
                let primary = Int(world.itemCategories[Int(item)][0])
                if favourites.contains(primary) { inFavourites += 1 }
                if primary == user.favourites[0] {
                    favouriteRating += Double(rating)
                    favouriteCount += 1
                } else {
                    otherRating += Double(rating)
                    otherCount += 1
                }
            }
            favouriteShare += Double(inFavourites) / Double(user.items.count) / Double(users)
            if user.favourites[0] < world.config.categories / 2 {
                lowFavourite += 1
                maleWhenLowFavourite += Double(user.gender)
            } else {
                otherwise += 1
                maleOtherwise += Double(user.gender)
            }
        }
        #expect(favouriteShare > 0.5)
        #expect(favouriteRating / favouriteCount > otherRating / otherCount + 0.5)
        #expect(maleWhenLowFavourite / lowFavourite > maleOtherwise / otherwise + 0.3)
    }
}
