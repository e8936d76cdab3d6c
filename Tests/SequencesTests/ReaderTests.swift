import Testing

@testable import Sequences

@Suite("Readers on hand-made fixtures")
struct ReaderTests {
    @Test func movieLens1M() throws {
        let dataset = try MovieLens1MReader.load(directory: Paths.fixture("ml1m"))
        #expect(dataset.userCount == 6)
        #expect(dataset.itemCount == 8)
        #expect(dataset.interactionCount == 27)
        #expect(dataset.hasRatings)
        // Sorted by (timestamp, file order): movie 3 and 2 tie at t=100, 3 comes first in the file.
        #expect(dataset.itemIDs(ofUser: dataset.user("1")) == ["5", "1", "3", "2", "6", "7"])
        let range = dataset.range(ofUser: dataset.user("1"))
        #expect(Array(dataset.timestamps[range]) == [30, 50, 100, 100, 200, 300])
        #expect(Array(dataset.ratings[range]) == [2, 5, 4, 3, 4, 1])
        #expect(dataset.itemTitles[3] == "Café au lait (1993)")
        #expect(
            dataset.categoryNames == [
                "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
                "Fantasy", "Romance", "Thriller",
            ])
        #expect(
            dataset.itemCategories[0].map { dataset.categoryNames[Int($0)] } == ["Animation", "Children's", "Comedy"])
        let user2 = dataset.user("2")
        #expect(dataset.gender?.values[user2] == 1)
        #expect(dataset.ageGroup?.names[Int(dataset.ageGroup!.values[user2])] == "56+")
        #expect(dataset.occupation?.names[Int(dataset.occupation!.values[user2])] == "self-employed")
        #expect(dataset.range(ofUser: dataset.user("6")).isEmpty)
    }

    @Test(arguments: [
        ("ml1m-bad-separator", "ratings.dat", 1 as Int?, nil as String?, "no '::' separator"),
        ("ml1m-missing-field", "ratings.dat", 3, nil, "expected 4 '::'-separated fields"),
        ("ml1m-bad-rating", "ratings.dat", 2, "Rating", "expected an integer from 1 to 5, found \"x\""),
        ("ml1m-unknown-id", "ratings.dat", 2, "MovieID", "unknown movie id 99"),
        ("ml1m-utf16", "ratings.dat", 1, nil, "UTF-16"),
        ("ml1m-bad-gender", "users.dat", 2, "Gender", "expected \"M\" or \"F\""),
        ("ml1m-empty", "ratings.dat", nil, nil, "no interactions found"),
        ("ml1m-nul", "ratings.dat", 3, nil, "NUL byte"),
    ])
    func movieLens1MMalformed(folder: String, file: String, line: Int?, field: String?, message: String) throws {
        let error = datasetError { _ = try MovieLens1MReader.load(directory: Paths.fixture(folder)) }
        #expect(error?.file.hasSuffix(folder + "/" + file) == true)
        #expect(error?.line == line)
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func badRatingColumnIsReported() {
        let error = datasetError { _ = try MovieLens1MReader.load(directory: Paths.fixture("ml1m-bad-rating")) }
        #expect(error?.column == 7)
        #expect(error?.description.contains("ratings.dat:2:7: field 'Rating'") == true)
    }

    @Test func missingRatingsFile() {
        let error = datasetError { _ = try MovieLens1MReader.load(directory: Paths.fixture("ml100k")) }
        #expect(error?.message.contains("missing file") == true)
    }

    @Test func movieLens100K() throws {
        let dataset = try MovieLens100KReader.load(directory: Paths.fixture("ml100k"))
        #expect(dataset.userCount == 3 && dataset.itemCount == 4 && dataset.interactionCount == 6)
        #expect(dataset.categoryNames.count == 19)
        #expect(dataset.categoryNames.first == "unknown")
        #expect(dataset.itemIDs(ofUser: dataset.user("1")) == ["1", "2", "3"])
        #expect(dataset.itemIDs(ofUser: dataset.user("2")) == ["1", "3"])
        #expect(dataset.itemTitles[3] == "Misérables (1995)")
        #expect(
            dataset.itemCategories[1].map { dataset.categoryNames[Int($0)] } == ["Action", "Adventure", "Thriller"])
        #expect(dataset.ageGroup?.values == [1, 5, 0])  // 24 → 18-24, 53 → 50-55, 17 → <18
        #expect(dataset.occupation?.names == ["other", "student", "technician"])
        #expect(dataset.gender?.values == [1, 0, 1])
    }

    @Test func movieLens100KWrongFlagCount() {
        let error = datasetError { _ = try MovieLens100KReader.load(directory: Paths.fixture("ml100k-bad-flags")) }
        #expect(error?.line == 2)
        #expect(error?.message.contains("expected 24 '|'-separated fields") == true)
    }

    @Test func movieLensCSV() throws {
        let dataset = try MovieLensCSVReader.load(directory: Paths.fixture("ml20m"))
        #expect(dataset.userCount == 2 && dataset.itemCount == 5 && dataset.interactionCount == 5)
        #expect(dataset.itemTitles[1] == "Quiet Harbour, The (1995)")
        #expect(dataset.itemTitles[2] == "Long Night or: How I Learned to Wait (\"The Watch\") (1964)")
        #expect(dataset.itemTitles[3] == "Élodie (Petit monde d'Élodie, Le) (2001)")
        #expect(dataset.itemCategories[4].isEmpty)  // (no genres listed)
        #expect(!dataset.categoryNames.contains("(no genres listed)"))
        #expect(dataset.itemIDs(ofUser: 0) == ["3", "1", "2"])
        #expect(Array(dataset.ratings[dataset.range(ofUser: 0)]) == [4.0, 3.5, 3.5])
        #expect(Array(dataset.ratings[dataset.range(ofUser: 1)]) == [5.0, 0.5])
    }

    @Test func crlfLinesBlankLinesAndAMissingFinalNewline() throws {
        let dataset = try MovieLensCSVReader.load(directory: Paths.fixture("ml20m-crlf"))
        #expect(dataset.interactionCount == 3)
        #expect(dataset.itemIDs(ofUser: 0) == ["3", "2"])
        #expect(Array(dataset.timestamps[dataset.range(ofUser: 1)]) == [900_000_200])
    }

    @Test(arguments: [
        ("ml20m-bad-utf8", "movies.csv", 3, "not valid UTF-8"),
        ("ml20m-bad-quote", "movies.csv", 2, "unterminated quoted field"),
        ("ml20m-no-header", "ratings.csv", 1, "expected the header \"userId,movieId,rating,timestamp\""),
        ("ml20m-gzip", "ratings.csv", 1, "gzip"),
    ])
    func movieLensCSVMalformed(folder: String, file: String, line: Int, message: String) {
        let error = datasetError { _ = try MovieLensCSVReader.load(directory: Paths.fixture(folder)) }
        #expect(error?.file.hasSuffix(file) == true)
        #expect(error?.line == line)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func yelp() throws {
        let dataset = try YelpReader.load(directory: Paths.fixture("yelp"))
        #expect(dataset.userCount == 2)
        #expect(dataset.interactionCount == 4)
        #expect(dataset.itemCount == 4)  // b1, b2, b4 from business.json, b3 only reviewed
        #expect(dataset.itemIDs(ofUser: dataset.user("u1")) == ["b2", "b1", "b3"])
        #expect(dataset.timestamps[dataset.range(ofUser: dataset.user("u1")).dropFirst().first!] == 1_325_604_498)
        #expect(Array(dataset.ratings[dataset.range(ofUser: dataset.user("u1"))]) == [3, 5, 1])
        let b1 = dataset.itemIDs.firstIndex(of: "b1")!
        let b3 = dataset.itemIDs.firstIndex(of: "b3")!
        #expect(
            dataset.itemCategories[b1].map { dataset.categoryNames[Int($0)] }
                == ["Restaurants", "Coffee & Tea", "Breakfast & Brunch"])
        #expect(dataset.itemCategories[b3].isEmpty)
        #expect(dataset.itemTitles[b1] == "Café One")
        #expect(YelpReader.parseDate("1970-01-02") == 86_400)
        #expect(YelpReader.parseDate("2000-02-29 00:00:01") == 951_782_401)
        #expect(YelpReader.parseDate("2000-13-01") == nil)
    }

    @Test(arguments: [
        ("yelp-truncated", 2, nil as String?, "truncated"),
        ("yelp-bad-date", 1, "date", "expected a date"),
        ("yelp-missing-key", 1, "stars", "expected the key"),
    ])
    func yelpMalformed(folder: String, line: Int, field: String?, message: String) {
        let error = datasetError { _ = try YelpReader.load(directory: Paths.fixture(folder)) }
        #expect(error?.line == line)
        #expect(error?.field == field)
        #expect(error?.message.contains(message) == true, "\(String(describing: error))")
    }

    @Test func sequenceFormat() throws {
        let dataset = try SequenceFileReader.load(
            path: Paths.fixture("sequences/seq.txt"),
            attributes: Paths.fixture("sequences/attrs.json"))
        #expect(dataset.userCount == 3 && dataset.itemCount == 13 && dataset.interactionCount == 17)
        #expect(!dataset.hasRatings)
        #expect(dataset.itemIDs(ofUser: 2) == ["4", "12", "13", "1", "2"])
        #expect(Array(dataset.timestamps[dataset.range(ofUser: 2)]) == [0, 1, 2, 3, 4])
        #expect(dataset.categoryNames == ["1", "2", "3", "4", "5"])
        let item12 = dataset.itemIDs.firstIndex(of: "12")!
        #expect(dataset.itemCategories[item12].map { dataset.categoryNames[Int($0)] } == ["3", "1"])
        #expect(dataset.itemCategories[dataset.itemIDs.firstIndex(of: "13")!].isEmpty)
    }

    @Test func sequenceFormatMalformed() {
        let comma = datasetError { _ = try SequenceFileReader.load(path: Paths.fixture("sequences-bad/seq.txt")) }
        #expect(comma?.line == 2)
        #expect(comma?.message.contains("wrong separator") == true)
        let duplicate = datasetError { _ = try SequenceFileReader.load(path: Paths.fixture("sequences-dup/seq.txt")) }
        #expect(duplicate?.line == 3)
        #expect(duplicate?.message.contains("appears on two lines") == true)
        let truncated = datasetError {
            _ = try SequenceFileReader.load(
                path: Paths.fixture("sequences/seq.txt"),
                attributes: Paths.fixture("sequences-bad/attrs-truncated.json"))
        }
        #expect(truncated?.line == 2)
        #expect(truncated?.message.contains("truncated") == true, "\(String(describing: truncated))")
    }

    @Test func loaderDispatchesOnKind() throws {
        let dataset = try DatasetLoader.load(
            DatasetSpec(
                kind: .sequences, path: Paths.fixture("sequences/seq.txt"),
                options: ["attributes": Paths.fixture("sequences/attrs.json")]))
        #expect(dataset.interactionCount == 17)
        let csv = try DatasetLoader.load(DatasetSpec(kind: .movielens20m, path: Paths.fixture("ml20m")))
        #expect(csv.interactionCount == 5)
        #expect(throws: DatasetRequestError.self) {
            _ = try DatasetLoader.syntheticConfig(["preset": "huge"])
        }
    }

    @Test func smallBufferHandlesLinesAcrossChunks() throws {
        var lines: [String] = []
        try TextFileReader(path: Paths.fixture("ml1m/movies.dat"), bufferSize: 16).forEachLine { line in
            lines.append(line.text)
            return true
        }
        #expect(lines.count == 8)
        #expect(lines[1] == "2::The Salt Road (1995)::Adventure|Children's|Fantasy")
    }

    @Test func jsonScannerDecodesEscapes() throws {
        let text = Array(#"{"a": "x\"y\\z\u00e9\ud83d\ude00", "b": [1, 2.5, -3e2], "c": {"d": null}}"#.utf8)
        var a = ""
        var b: [Double] = []
        try text.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer, file: "inline", line: 1)
            try scanner.readObject { key, scanner in
                switch key {
                case "a": a = try scanner.readString()
                case "b": try scanner.readArray { b.append(try $0.readNumber()) }
                default: try scanner.skipValue()
                }
            }
            try scanner.expectEnd()
        }
        #expect(a == "x\"y\\zé😀")
        #expect(b == [1, 2.5, -300])
    }
}
