/// Reads MovieLens-1M: `ratings.dat` (`UserID::MovieID::Rating::Timestamp`), `users.dat`
/// (`UserID::Gender::Age::Occupation::Zip-code`) and `movies.dat` (`MovieID::Title::Genres`), `::` separated,
/// Latin-1 text. The synthetic generator writes this format too.
public enum MovieLens1MReader {
    /// MovieLens-1M's occupation names by code 0...20 (from its README).
    public static let occupationNames = [
        "other", "academic/educator", "artist", "clerical/admin", "college/grad student", "customer service",
        "doctor/health care", "executive/managerial", "farmer", "homemaker", "K-12 student", "lawyer", "programmer",
        "retired", "sales/marketing", "scientist", "self-employed", "technician/engineer", "tradesman/craftsman",
        "unemployed", "writer",
    ]

    /// MovieLens-1M's age codes, in the order of `InteractionDataset.ageGroupNames`.
    public static let ageCodes: [Int64] = [1, 18, 25, 35, 45, 50, 56]

    /// Loads `ratings.dat` from `directory`, with `movies.dat` and `users.dat` when present (then every rating's
    /// movie and user must be listed there).
    /// - Throws: `DatasetError` naming the first bad line.
    public static func load(directory: String, name: String = "movielens1m") throws -> InteractionDataset {
        let moviesPath = directory + "/movies.dat"
        let usersPath = directory + "/users.dat"
        let movies = TextFileReader.fileExists(moviesPath) ? try readMovies(path: moviesPath) : nil
        let users = TextFileReader.fileExists(usersPath) ? try readUsers(path: usersPath) : nil
        var dataset = try readRatings(path: directory + "/ratings.dat", movies: movies, users: users, name: name)
        movies?.attach(to: &dataset)
        users?.attach(to: &dataset)
        return dataset
    }

    static func splitDoubleColon(_ line: TextLine, file: String, expected: [String]) throws -> [Field] {
        var splitter = FieldSplitter(line.bytes, separator: "::")
        var fields: [Field] = []
        fields.reserveCapacity(expected.count)
        while let field = splitter.next() { fields.append(field) }
        guard fields.count == expected.count else {
            let hint = fields.count == 1 ? " (no '::' separator found: is this really a MovieLens-1M file?)" : ""
            throw DatasetError(
                file: file, line: line.number,
                column: fields.count < expected.count ? line.bytes.count + 1 : fields[expected.count].column,
                message: "expected \(expected.count) '::'-separated fields (\(expected.joined(separator: "::"))), "
                    + "found \(fields.count)\(hint)")
        }
        return fields
    }

    static func integer(
        _ field: Field, _ name: String, _ file: String, _ line: Int, _ range: ClosedRange<Int64>? = nil
    ) throws -> Int64 {
        guard let value = field.integer, range.map({ $0.contains(value) }) ?? true else {
            let what = range.map { "an integer from \($0.lowerBound) to \($0.upperBound)" } ?? "an integer"
            throw DatasetError(
                file: file, line: line, column: field.column, field: name,
                message: "expected \(what), found \(field.quotedLatin1)")
        }
        return value
    }

    /// Reads `movies.dat`: ids, Latin-1 titles, `|`-separated genres.
    public static func readMovies(path: String) throws -> ItemTable {
        var table = ItemTable()
        let expected = ["MovieID", "Title", "Genres"]
        try TextFileReader(path: path, bufferSize: 1 << 20).forEachLine { line in
            if line.bytes.isEmpty { return true }
            let fields = try splitDoubleColon(line, file: path, expected: expected)
            let id = try integer(fields[0], "MovieID", path, line.number, 0...Int64(Int32.max))
            guard !fields[1].isEmpty else {
                throw DatasetError(
                    file: path, line: line.number, column: fields[1].column, field: "Title",
                    message: "expected a title, found an empty field")
            }
            let genres = fields[2].latin1.split(separator: "|").map(String.init).filter { $0 != "(no genres listed)" }
            _ = try table.addMovie(
                integerID: id, title: fields[1].latin1, categories: genres, file: path, line: line.number,
                field: "MovieID")
            return true
        }
        return table
    }

    /// Reads `users.dat`: gender `M`/`F`, age code (1, 18, 25, 35, 45, 50, 56), occupation code 0...20.
    public static func readUsers(path: String) throws -> UserTable {
        var table = UserTable(occupationNames: occupationNames)
        let expected = ["UserID", "Gender", "Age", "Occupation", "Zip-code"]
        try TextFileReader(path: path, bufferSize: 1 << 20).forEachLine { line in
            if line.bytes.isEmpty { return true }
            let fields = try splitDoubleColon(line, file: path, expected: expected)
            let id = try integer(fields[0], "UserID", path, line.number, 0...Int64(Int32.max))
            let gender: Int32
            if fields[1].equals("F") {
                gender = 0
            } else if fields[1].equals("M") {
                gender = 1
            } else {
                throw DatasetError(
                    file: path, line: line.number, column: fields[1].column, field: "Gender",
                    message: "expected \"M\" or \"F\", found \(fields[1].quotedLatin1)")
            }
            let ageCode = try integer(fields[2], "Age", path, line.number)
            guard let age = ageCodes.firstIndex(of: ageCode) else {
                throw DatasetError(
                    file: path, line: line.number, column: fields[2].column, field: "Age",
                    message: "expected an age code (1, 18, 25, 35, 45, 50, 56), found \(ageCode)")
            }
            let occupation = try integer(fields[3], "Occupation", path, line.number, 0...20)
            guard table.ids.lookup(id) == nil else {
                throw DatasetError(
                    file: path, line: line.number, column: 1, field: "UserID", message: "duplicate user id \(id)")
            }
            _ = table.ids.insert(id)
            table.gender.values.append(gender)
            table.ageGroup.values.append(Int32(age))
            table.occupation.values.append(Int32(occupation))
            return true
        }
        return table
    }

    /// Reads `ratings.dat` (ratings 1...5, Unix timestamps). When `movies`/`users` are given, ids must be listed
    /// there and indices follow their order; otherwise indices follow first appearance.
    public static func readRatings(
        path: String, movies: ItemTable? = nil, users: UserTable? = nil,
        name: String = "movielens1m"
    ) throws -> InteractionDataset {
        guard TextFileReader.fileExists(path) else {
            throw DatasetError(file: path, message: "missing file (MovieLens-1M needs ratings.dat)")
        }
        let estimate = (TextFileReader.fileSize(path) ?? 0) / 20
        var builder = InteractionDatasetBuilder(hasRatings: true, expectedRows: estimate)
        if let movies { builder.items = movies.ids }
        if let users { builder.users = users.ids }
        let expected = ["UserID", "MovieID", "Rating", "Timestamp"]
        let scanner = RatingFileScanner(
            first: UInt8(ascii: ":"), second: UInt8(ascii: ":"), ratingRange: 1...5, wholeRatings: true,
            knownUsers: users != nil,
            knownItems: movies != nil)
        try scanner.scan(path: path, into: &builder) { line, builder in
            if line.bytes.isEmpty { return }
            var splitter = FieldSplitter(line.bytes, separator: "::")
            guard let f0 = splitter.next(), let f1 = splitter.next(), let f2 = splitter.next(),
                let f3 = splitter.next(), splitter.isAtEnd
            else {
                _ = try splitDoubleColon(line, file: path, expected: expected)
                return
            }
            let userID = try integer(f0, "UserID", path, line.number)
            let movieID = try integer(f1, "MovieID", path, line.number)
            let rating = try integer(f2, "Rating", path, line.number, 1...5)
            let timestamp = try integer(f3, "Timestamp", path, line.number)
            let user = try builder.users.ratingRowIndex(
                of: userID, listedIn: users == nil ? nil : "users.dat", noun: "user", file: path, line: line.number,
                column: f0.column, field: "UserID")
            let item = try builder.items.ratingRowIndex(
                of: movieID, listedIn: movies == nil ? nil : "movies.dat", noun: "movie", file: path,
                line: line.number, column: f1.column, field: "MovieID")
            builder.append(user: user, item: item, timestamp: timestamp, rating: Float(rating))
            return
        }
        try builder.requireRows(file: path)
        return builder.build(name: name)
    }
}
