/// Reads MovieLens-100K: `u.data` (`user item rating timestamp`, tab separated), `u.item` (`|` separated,
/// 5 fields then 19 genre flags, Latin-1), `u.user` (`user|age|gender|occupation|zip`) and `u.genre`
/// (`name|index`, for the genre names; MovieLens-100K's list is used when it is absent).
public enum MovieLens100KReader {
    /// The 19 genre names in flag order, as in MovieLens-100K's `u.genre`.
    public static let defaultGenres = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
        "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]

    /// Loads `u.data` from `directory`, with `u.item`, `u.user` and `u.genre` when present (then every rating's
    /// item and user must be listed there).
    /// - Throws: `DatasetError` naming the first bad line.
    public static func load(directory: String, name: String = "movielens100k") throws -> InteractionDataset {
        let genrePath = directory + "/u.genre"
        let itemPath = directory + "/u.item"
        let userPath = directory + "/u.user"
        let genres = TextFileReader.fileExists(genrePath) ? try readGenres(path: genrePath) : defaultGenres
        let items = TextFileReader.fileExists(itemPath) ? try readItems(path: itemPath, genres: genres) : nil
        let users = TextFileReader.fileExists(userPath) ? try readUsers(path: userPath) : nil
        var dataset = try readRatings(path: directory + "/u.data", items: items, users: users, name: name)
        items?.attach(to: &dataset, categoryOrder: genres)
        users?.attach(to: &dataset)
        return dataset
    }

    static func split(
        _ line: TextLine, _ file: String, _ separator: StaticString, _ expected: [String],
        separatorName: String
    ) throws -> [Field] {
        var splitter = FieldSplitter(line.bytes, separator: separator)
        var fields: [Field] = []
        while let field = splitter.next() { fields.append(field) }
        guard fields.count == expected.count else {
            let hint = fields.count == 1 ? " (no \(separatorName) found: is this really a MovieLens-100K file?)" : ""
            throw DatasetError(
                file: file, line: line.number,
                column: fields.count > expected.count ? fields[expected.count].column : nil,
                message: "expected \(expected.count) \(separatorName)-separated fields ("
                    + expected.prefix(6).joined(separator: ", ") + (expected.count > 6 ? ", ..." : "")
                    + "), found \(fields.count)\(hint)")
        }
        return fields
    }

    /// Reads `u.genre` (`name|index`, indices 0, 1, 2, ... in order).
    public static func readGenres(path: String) throws -> [String] {
        var names: [String] = []
        try TextFileReader(path: path, bufferSize: 1 << 16).forEachLine { line in
            if line.bytes.isEmpty { return true }
            let fields = try split(line, path, "|", ["name", "index"], separatorName: "'|'")
            let index = try MovieLens1MReader.integer(fields[1], "index", path, line.number)
            guard index == Int64(names.count) else {
                throw DatasetError(
                    file: path, line: line.number, column: fields[1].column, field: "index",
                    message: "expected genre index \(names.count), found \(index)")
            }
            names.append(fields[0].latin1)
            return true
        }
        return names
    }

    /// Reads `u.item`: id, title, release date, video date, URL, then one 0/1 flag per genre.
    public static func readItems(path: String, genres: [String] = defaultGenres) throws -> ItemTable {
        var table = ItemTable()
        let expected = ["movie id", "title", "release date", "video release date", "IMDb URL"] + genres
        try TextFileReader(path: path, bufferSize: 1 << 20).forEachLine { line in
            if line.bytes.isEmpty { return true }
            let fields = try split(line, path, "|", expected, separatorName: "'|'")
            let id = try MovieLens1MReader.integer(fields[0], "movie id", path, line.number, 0...Int64(Int32.max))
            var itemGenres: [String] = []
            for (offset, genre) in genres.enumerated() {
                let flag = fields[5 + offset]
                if flag.equals("1") {
                    itemGenres.append(genre)
                } else if !flag.equals("0") {
                    throw DatasetError(
                        file: path, line: line.number, column: flag.column, field: genre,
                        message: "expected a genre flag 0 or 1, found \(flag.quotedLatin1)")
                }
            }
            _ = try table.addMovie(
                integerID: id, title: fields[1].latin1, categories: itemGenres, file: path, line: line.number,
                field: "movie id")
            return true
        }
        return table
    }

    /// Reads `u.user`: age in years (bucketed into MovieLens-1M's groups), gender `M`/`F`, occupation name.
    /// Occupation classes are the sorted distinct names found.
    public static func readUsers(path: String) throws -> UserTable {
        var ids = IDIndex()
        var genders: [Int32] = []
        var ages: [Int32] = []
        var occupationNames: [String] = []
        let expected = ["user id", "age", "gender", "occupation", "zip code"]
        try TextFileReader(path: path, bufferSize: 1 << 20).forEachLine { line in
            if line.bytes.isEmpty { return true }
            let fields = try split(line, path, "|", expected, separatorName: "'|'")
            let id = try MovieLens1MReader.integer(fields[0], "user id", path, line.number, 0...Int64(Int32.max))
            let age = try MovieLens1MReader.integer(fields[1], "age", path, line.number, 0...150)
            let gender: Int32
            if fields[2].equals("F") {
                gender = 0
            } else if fields[2].equals("M") {
                gender = 1
            } else {
                throw DatasetError(
                    file: path, line: line.number, column: fields[2].column, field: "gender",
                    message: "expected \"M\" or \"F\", found \(fields[2].quotedLatin1)")
            }
            guard !fields[3].isEmpty else {
                throw DatasetError(
                    file: path, line: line.number, column: fields[3].column, field: "occupation",
                    message: "expected an occupation name, found an empty field")
            }
            guard ids.lookup(id) == nil else {
                throw DatasetError(
                    file: path, line: line.number, column: 1, field: "user id", message: "duplicate user id \(id)")
            }
            _ = ids.insert(id)
            genders.append(gender)
            ages.append(InteractionDataset.ageGroup(ofAge: Int(age)))
            occupationNames.append(fields[3].latin1)
            return true
        }
        let classes = Array(Set(occupationNames)).sorted()
        let classIndex = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($0.element, Int32($0.offset)) })
        var table = UserTable(occupationNames: classes)
        table.ids = ids
        table.gender.values = genders
        table.ageGroup.values = ages
        table.occupation.values = occupationNames.map { classIndex[$0]! }
        return table
    }

    /// Reads `u.data` (tab separated; ratings 1...5). With `items`/`users`, ids must be listed there.
    public static func readRatings(
        path: String, items: ItemTable? = nil, users: UserTable? = nil,
        name: String = "movielens100k"
    ) throws -> InteractionDataset {
        guard TextFileReader.fileExists(path) else {
            throw DatasetError(file: path, message: "missing file (MovieLens-100K needs u.data)")
        }
        var builder = InteractionDatasetBuilder(
            hasRatings: true, expectedRows: (TextFileReader.fileSize(path) ?? 0) / 18)
        if let items { builder.items = items.ids }
        if let users { builder.users = users.ids }
        let expected = ["user id", "item id", "rating", "timestamp"]
        let scanner = RatingFileScanner(
            first: 9, second: nil, ratingRange: 1...5, wholeRatings: true, knownUsers: users != nil,
            knownItems: items != nil)
        try scanner.scan(path: path, into: &builder) { line, builder in
            if line.bytes.isEmpty { return }
            let fields = try split(line, path, "\t", expected, separatorName: "tab")
            let userID = try MovieLens1MReader.integer(fields[0], "user id", path, line.number)
            let itemID = try MovieLens1MReader.integer(fields[1], "item id", path, line.number)
            let rating = try MovieLens1MReader.integer(fields[2], "rating", path, line.number, 1...5)
            let timestamp = try MovieLens1MReader.integer(fields[3], "timestamp", path, line.number)
            let user = try builder.users.ratingRowIndex(
                of: userID, listedIn: users == nil ? nil : "u.user", noun: "user", file: path, line: line.number,
                column: fields[0].column, field: "user id")
            let item = try builder.items.ratingRowIndex(
                of: itemID, listedIn: items == nil ? nil : "u.item", noun: "item", file: path, line: line.number,
                column: fields[1].column, field: "item id")
            builder.append(user: user, item: item, timestamp: timestamp, rating: Float(rating))
            return
        }
        try builder.requireRows(file: path)
        return builder.build(name: name)
    }
}
