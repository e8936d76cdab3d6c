/// Reads MovieLens-20M and ml-latest: `ratings.csv` (`userId,movieId,rating,timestamp`, ratings 0.5...5 in
/// half stars) and `movies.csv` (`movieId,title,genres`; RFC 4180 quoting, genres joined by `|`,
/// "(no genres listed)" for none). Both files must start with their header line.
public enum MovieLensCSVReader {
    /// Loads `ratings.csv` from `directory`, with `movies.csv` when present (then every movie must be listed).
    /// - Throws: `DatasetError` naming the first bad line.
    public static func load(directory: String, name: String = "movielens20m") throws -> InteractionDataset {
        let moviesPath = directory + "/movies.csv"
        let movies = TextFileReader.fileExists(moviesPath) ? try readMovies(path: moviesPath) : nil
        var dataset = try readRatings(path: directory + "/ratings.csv", movies: movies, name: name)
        movies?.attach(to: &dataset)
        return dataset
    }

    static func checkHeader(_ line: TextLine, _ file: String, _ header: String) throws {
        var text = line.text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        guard text == header else {
            throw DatasetError(
                file: file, line: 1, column: 1,
                message: "expected the header \"\(header)\", found \(DatasetError.quoted(text))")
        }
    }

    /// Reads `movies.csv`.
    public static func readMovies(path: String) throws -> ItemTable {
        var table = ItemTable()
        try TextFileReader(path: path, bufferSize: 1 << 20).forEachLine { line in
            if line.number == 1 {
                try checkHeader(line, path, "movieId,title,genres")
                return true
            }
            if line.bytes.isEmpty { return true }
            let fields = try CSVFields(line, file: path).values
            guard fields.count == 3 else {
                throw DatasetError(
                    file: path, line: line.number, column: fields.count > 3 ? fields[3].column : nil,
                    message: "expected 3 comma-separated fields (movieId,title,genres), found \(fields.count)"
                        + " (a title with commas must be quoted)")
            }
            guard let id = Int64(fields[0].text), id >= 0 else {
                throw DatasetError(
                    file: path, line: line.number, column: 1, field: "movieId",
                    message: "expected an integer, found \(DatasetError.quoted(fields[0].text))")
            }
            let genres =
                fields[2].text == "(no genres listed)" ? [] : fields[2].text.split(separator: "|").map(String.init)
            _ = try table.addMovie(
                integerID: id, title: fields[1].text, categories: genres, file: path, line: line.number,
                field: "movieId")
            return true
        }
        return table
    }

    /// Reads `ratings.csv` (unquoted numeric fields). With `movies`, every movie id must be listed there.
    public static func readRatings(
        path: String, movies: ItemTable? = nil,
        name: String = "movielens20m"
    ) throws -> InteractionDataset {
        guard TextFileReader.fileExists(path) else {
            throw DatasetError(file: path, message: "missing file (MovieLens-20M needs ratings.csv)")
        }
        var builder = InteractionDatasetBuilder(
            hasRatings: true, expectedRows: (TextFileReader.fileSize(path) ?? 0) / 26)
        if let movies { builder.items = movies.ids }
        let expected = "userId,movieId,rating,timestamp"
        let scanner = RatingFileScanner(
            first: UInt8(ascii: ","), second: nil, ratingRange: 0...5, wholeRatings: false, knownUsers: false,
            knownItems: movies != nil, headerLines: 1)
        try scanner.scan(path: path, into: &builder) { line, builder in
            if line.number == 1 {
                try checkHeader(line, path, expected)
                return
            }
            if line.bytes.isEmpty { return }
            var splitter = FieldSplitter(line.bytes, separator: ",")
            guard let f0 = splitter.next(), let f1 = splitter.next(), let f2 = splitter.next(),
                let f3 = splitter.next(), splitter.isAtEnd
            else {
                var count = 0
                var again = FieldSplitter(line.bytes, separator: ",")
                while again.next() != nil { count += 1 }
                throw DatasetError(
                    file: path, line: line.number,
                    message: "expected 4 comma-separated fields (\(expected)), found \(count)")
            }
            let userID = try MovieLens1MReader.integer(f0, "userId", path, line.number)
            let movieID = try MovieLens1MReader.integer(f1, "movieId", path, line.number)
            guard let rating = f2.number, rating >= 0, rating <= 5 else {
                throw DatasetError(
                    file: path, line: line.number, column: f2.column, field: "rating",
                    message: "expected a number from 0 to 5, found \(DatasetError.quoted(f2.text))")
            }
            let timestamp = try MovieLens1MReader.integer(f3, "timestamp", path, line.number)
            let item = try builder.items.ratingRowIndex(
                of: movieID, listedIn: movies == nil ? nil : "movies.csv", noun: "movie", file: path,
                line: line.number, column: f1.column, field: "movieId")
            let user = builder.users.insert(userID)
            builder.append(user: user, item: item, timestamp: timestamp, rating: Float(rating))
            return
        }
        try builder.requireRows(file: path)
        return builder.build(name: name)
    }
}
