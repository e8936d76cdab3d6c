/// Reads the Yelp open dataset's JSON-lines files, streaming and keeping only the fields needed:
/// `review.json` (`user_id`, `business_id`, `stars`, `date`) and, when present, `business.json`
/// (`business_id`, `name`, `categories` as a comma-separated string or null).
///
/// Reviews of businesses missing from `business.json` are kept, without categories (public samples of the two
/// files do not match). `user.json` carries nothing the tasks use, so it is not read.
public enum YelpReader {
    /// Loads `directory/review` with `directory/business` when that file exists.
    /// - Throws: `DatasetError` naming the first bad line.
    public static func load(
        directory: String, review: String = "review.json", business: String = "business.json",
        name: String = "yelp"
    ) throws -> InteractionDataset {
        let businessPath = directory + "/" + business
        let businesses = TextFileReader.fileExists(businessPath) ? try readBusinesses(path: businessPath) : nil
        var dataset = try readReviews(path: directory + "/" + review, businesses: businesses, name: name)
        businesses?.attach(to: &dataset)
        return dataset
    }

    /// Reads `business.json` lines.
    public static func readBusinesses(path: String) throws -> ItemTable {
        var table = ItemTable()
        try TextFileReader(path: path).forEachLine { line in
            if line.bytes.isEmpty { return true }
            var scanner = JSONScanner(line.bytes, file: path, line: line.number)
            var id: String?
            var title = ""
            var categories: [String] = []
            try scanner.readObject { key, scanner in
                switch key {
                case "business_id": id = try scanner.readString()
                case "name": title = scanner.readNullIfPresent() ? "" : try scanner.readString()
                case "categories":
                    if !scanner.readNullIfPresent() {
                        categories = try scanner.readString().split(separator: ",")
                            .map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
                    }
                default: try scanner.skipValue()
                }
            }
            try scanner.expectEnd()
            guard let id else {
                throw DatasetError(
                    file: path, line: line.number, field: "business_id", message: "expected the key, not found")
            }
            _ = table.add(stringID: id, title: title, categories: categories)
            return true
        }
        return table
    }

    /// Reads `review.json` lines. Dates are `YYYY-MM-DD HH:MM:SS` (UTC assumed), stored as Unix seconds.
    public static func readReviews(
        path: String, businesses: ItemTable? = nil, name: String = "yelp"
    ) throws -> InteractionDataset {
        guard TextFileReader.fileExists(path) else {
            throw DatasetError(file: path, message: "missing file (Yelp needs review.json)")
        }
        var builder = InteractionDatasetBuilder(hasRatings: true)
        if let businesses { builder.items = businesses.ids }
        try TextFileReader(path: path).forEachLine { line in
            if line.bytes.isEmpty { return true }
            var scanner = JSONScanner(line.bytes, file: path, line: line.number)
            var user: String?
            var business: String?
            var stars: Double?
            var date: Int64?
            try scanner.readObject { key, scanner in
                switch key {
                case "user_id": user = try scanner.readString()
                case "business_id": business = try scanner.readString()
                case "stars": stars = try scanner.readNumber()
                case "date":
                    let text = try scanner.readString()
                    guard let seconds = parseDate(text) else {
                        throw scanner.error("expected a date YYYY-MM-DD HH:MM:SS, found \(DatasetError.quoted(text))", field: "date")
                    }
                    date = seconds
                default: try scanner.skipValue()
                }
            }
            try scanner.expectEnd()
            for (key, value) in [
                ("user_id", user != nil), ("business_id", business != nil), ("stars", stars != nil),
                ("date", date != nil),
            ]
            where !value {
                throw DatasetError(
                    file: path, line: line.number, field: key, message: "expected the key in every review, not found")
            }
            guard let stars, (0...5).contains(stars) else {
                throw DatasetError(file: path, line: line.number, field: "stars", message: "expected stars from 0 to 5")
            }
            let userIndex = builder.users.insert(user!)
            let itemIndex = builder.items.insert(business!)
            builder.append(user: userIndex, item: itemIndex, timestamp: date!, rating: Float(stars))
            return true
        }
        try builder.requireRows(file: path)
        return builder.build(name: name)
    }

    /// Unix seconds of `YYYY-MM-DD[ HH:MM[:SS]]` read as UTC, or nil when malformed.
    public static func parseDate(_ text: String) -> Int64? {
        let utf8 = Array(text.utf8)
        func number(_ start: Int, _ length: Int) -> Int64? {
            guard start + length <= utf8.count else { return nil }
            var value: Int64 = 0
            for byte in utf8[start..<start + length] {
                guard byte &- 48 < 10 else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        guard utf8.count >= 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-"),
            let year = number(0, 4), let month = number(5, 2), let day = number(8, 2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds: Int64 = 0
        if utf8.count > 10 {
            guard utf8.count >= 16, utf8[10] == UInt8(ascii: " ") || utf8[10] == UInt8(ascii: "T"),
                let hour = number(11, 2), utf8[13] == UInt8(ascii: ":"), let minute = number(14, 2),
                hour < 24, minute < 60
            else { return nil }
            seconds = hour * 3600 + minute * 60
            if utf8.count >= 19 {
                guard utf8[16] == UInt8(ascii: ":"), let second = number(17, 2), second < 61 else { return nil }
                seconds += second
            }
        }
        // Days from 1970-01-01 (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + seconds
    }
}

extension Substring {
    /// The substring without leading and trailing spaces.
    func trimmingSpaces() -> String {
        var slice = self[...]
        while slice.first == " " { slice.removeFirst() }
        while slice.last == " " { slice.removeLast() }
        return String(slice)
    }
}
