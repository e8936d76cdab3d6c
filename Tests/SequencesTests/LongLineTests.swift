import Foundation
import Testing

@testable import Sequences

/// A multi-megabyte line gives a one-line error: readers quote at most 80 characters of what they found.
@Suite("Long lines")
struct LongLineTests {
    static let long = 4 << 20

    private func write(_ text: String, _ name: String, in directory: String) throws {
        try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
    }

    /// The error, checked to be short and to quote an ellipsis-ended excerpt.
    private func shortError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        guard let error = datasetError(body, sourceLocation: sourceLocation) else { return "" }
        let text = error.description
        #expect(text.count < 400, "\(text.prefix(500))", sourceLocation: sourceLocation)
        #expect(text.contains("…\""), "\(text.prefix(500))", sourceLocation: sourceLocation)
        return text
    }

    @Test func movieLens1MQuotesAtMost80Characters() throws {
        let directory = Paths.temporaryDirectory("long-ml1m")
        try write("1::10::5::978300760\n3::" + String(repeating: "7", count: Self.long) + "::5::978300762\n",
                  "ratings.dat", in: directory)
        let error = shortError { _ = try MovieLens1MReader.load(directory: directory) }
        #expect(error == directory + "/ratings.dat:2:4: field 'MovieID': expected an integer, found \""
                + String(repeating: "7", count: 80) + "…\"")
        try write("1::F::1::10::48067\n2::" + String(repeating: "é", count: Self.long / 2) + "::56::16::70072\n",
                  "users.dat", in: directory)
        _ = shortError { _ = try MovieLens1MReader.readUsers(path: directory + "/users.dat") }
    }

    @Test func movieLens100KAndCSVQuoteAtMost80Characters() throws {
        let ml100k = Paths.temporaryDirectory("long-ml100k")
        try write("1|24|" + String(repeating: "X", count: Self.long) + "|technician|85711\n", "u.user", in: ml100k)
        _ = shortError { _ = try MovieLens100KReader.readUsers(path: ml100k + "/u.user") }
        let ml20m = Paths.temporaryDirectory("long-ml20m")
        try write("userId,movieId,rating,timestamp\n1,10,4.0,1\n1," + String(repeating: "x", count: Self.long)
                  + ",4.0,2\n", "ratings.csv", in: ml20m)
        let error = shortError { _ = try MovieLensCSVReader.load(directory: ml20m) }
        #expect(error.hasPrefix(ml20m + "/ratings.csv:3:3: field 'movieId'"), "\(error)")
        try write(String(repeating: "h", count: Self.long) + "\n", "ratings.csv", in: ml20m)
        _ = shortError { _ = try MovieLensCSVReader.load(directory: ml20m) }
    }

    @Test func sequenceAndYelpFilesQuoteAtMost80Characters() throws {
        let directory = Paths.temporaryDirectory("long-sequences")
        let path = directory + "/seq.txt"
        try write("u1 a b c\nu2 " + String(repeating: "i,", count: Self.long / 2) + "\n", "seq.txt", in: directory)
        _ = shortError { _ = try SequenceFileReader.load(path: path) }
        let user = String(repeating: "u", count: Self.long)
        try write("\(user) a b\n\(user) c d\n", "seq.txt", in: directory)
        let twice = shortError { _ = try SequenceFileReader.load(path: path) }
        #expect(twice.contains("appears on two lines"))
        let yelp = Paths.temporaryDirectory("long-yelp")
        try write(#"{"user_id": "u", "business_id": "b", "stars": 5, "date": ""#
                  + String(repeating: "2", count: Self.long) + "\"}\n", "review.json", in: yelp)
        _ = shortError { _ = try YelpReader.load(directory: yelp) }
    }

    @Test func quotingEscapesControlCharactersAndKeepsShortValues() {
        #expect(DatasetError.quoted("abc") == "\"abc\"")
        #expect(DatasetError.quoted("a\tb\u{1B}") == #""a\tb\u{1B}""#)
        #expect(DatasetError.quoted(String(repeating: "z", count: 81)) == "\"" + String(repeating: "z", count: 80)
                + "…\"")
        #expect(DatasetError.quoted("short", truncated: true) == "\"short…\"")
    }

    @Test func aLineLongerThanTheBufferIsReadWhole() throws {
        // Lines far longer than the buffer, split over many reads, come back whole and numbered.
        let directory = Paths.temporaryDirectory("long-buffer")
        let path = directory + "/lines.txt"
        let lengths = [100_000, 3, 250_000, 0, 70]
        try write(lengths.enumerated().map { String(repeating: Character(String($0.offset)), count: $0.element) }
                    .joined(separator: "\n") + "\n", "lines.txt", in: directory)
        var seen: [(Int, Int)] = []
        try TextFileReader(path: path, bufferSize: 64).forEachLine { line in
            seen.append((line.number, line.bytes.count))
            return true
        }
        #expect(seen.map(\.0) == [1, 2, 3, 4, 5] && seen.map(\.1) == lengths)
        var blocks = 0
        var bytes = 0
        var reader = try TextBlockReader(path: path, bufferSize: 64)
        while let (block, _) = try reader.next() {
            blocks += 1
            bytes += block.count
            #expect(block.last == 10)
        }
        #expect(bytes == lengths.reduce(0, +) + lengths.count && blocks >= 2)
    }
}
