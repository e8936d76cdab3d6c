#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes a `SyntheticWorld` as files (the generator's I/O part): MovieLens-1M format (`ratings.dat`,
/// `users.dat`, `movies.dat`), optionally MovieLens-20M CSV (`ratings.csv`, `movies.csv`) beside it.
/// User ids are 1-based (`u + 1`), movie ids `item + 1`.
public enum SyntheticWriter {
    /// A buffered byte writer over a POSIX file.
    struct Output {
        let descriptor: Int32
        let path: String
        var buffer: [UInt8] = []

        init(path: String) throws {
            self.path = path
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else {
                throw DatasetError(file: path, message: "cannot create file (\(String(cString: strerror(errno))))")
            }
            buffer.reserveCapacity(1 << 20)
        }

        mutating func write(_ text: String) { buffer.append(contentsOf: text.utf8) }
        mutating func write(byte: UInt8) { buffer.append(byte) }
        mutating func write(_ value: Int64) {
            var value = value
            if value < 0 {
                buffer.append(UInt8(ascii: "-"))
                value = -value
            }
            var digits:
                (
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                    UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
                ) =
                    (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &digits) { raw in
                repeat {
                    raw[count] = UInt8(48 + value % 10)
                    value /= 10
                    count += 1
                } while value > 0
                for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(raw[index]) }
            }
        }

        mutating func flushIfLarge() throws { if buffer.count >= 1 << 20 { try flush() } }

        mutating func flush() throws {
            var written = 0
            while written < buffer.count {
                let result = buffer.withUnsafeBytes { raw in
                    Glibc.write(descriptor, raw.baseAddress! + written, raw.count - written)
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw DatasetError(file: path, message: "write failed (\(String(cString: strerror(errno))))")
                }
                written += result
            }
            buffer.removeAll(keepingCapacity: true)
        }

        consuming func finish() throws {
            try flush()
            close(descriptor)
        }
    }

    /// Writes `ratings.dat`, `users.dat` and `movies.dat` into `directory` (created if missing); with `csv`, also
    /// `ratings.csv` and `movies.csv`. Returns the number of interactions written.
    /// - Throws: `DatasetError` when a file cannot be written.
    @discardableResult
    public static func write(_ world: SyntheticWorld, to directory: String, csv: Bool = false) throws -> Int {
        mkdir(directory, 0o755)
        var movies = try Output(path: directory + "/movies.dat")
        var moviesCSV = csv ? try Output(path: directory + "/movies.csv") : nil
        moviesCSV?.write("movieId,title,genres\n")
        for item in 0..<world.config.items {
            let genres = world.itemCategories[item].map { world.categoryNames[Int($0)] }.joined(separator: "|")
            let year = 1920 + item % 80
            movies.write(Int64(item + 1))
            movies.write("::Synthetic Movie \(item + 1) (\(year))::\(genres)\n")
            moviesCSV?.write(Int64(item + 1))
            moviesCSV?.write(",\"Synthetic Movie \(item + 1), \"\"the\"\" sequel (\(year))\",\(genres)\n")
        }
        try movies.finish()
        try moviesCSV?.finish()
        var users = try Output(path: directory + "/users.dat")
        var ratings = try Output(path: directory + "/ratings.dat")
        var ratingsCSV = csv ? try Output(path: directory + "/ratings.csv") : nil
        ratingsCSV?.write("userId,movieId,rating,timestamp\n")
        var total = 0
        for u in 0..<world.config.users {
            let user = world.user(u)
            let id = Int64(u + 1)
            users.write(id)
            users.write("::\(user.gender == 1 ? "M" : "F")::\(MovieLens1MReader.ageCodes[user.ageGroup])::")
            users.write(Int64(user.occupation))
            users.write("::\(10_000 + u % 89_999)\n")
            for index in SyntheticWorld.fileOrder(of: user) {
                ratings.write(id)
                ratings.write("::")
                ratings.write(Int64(user.items[index]) + 1)
                ratings.write("::")
                ratings.write(Int64(user.ratings[index]))
                ratings.write("::")
                ratings.write(user.timestamps[index])
                ratings.write(byte: 10)
                if ratingsCSV != nil {
                    ratingsCSV!.write(id)
                    ratingsCSV!.write(byte: UInt8(ascii: ","))
                    ratingsCSV!.write(Int64(user.items[index]) + 1)
                    ratingsCSV!.write(byte: UInt8(ascii: ","))
                    ratingsCSV!.write(Int64(user.ratings[index]))
                    ratingsCSV!.write(".0,")
                    ratingsCSV!.write(user.timestamps[index])
                    ratingsCSV!.write(byte: 10)
                }
            }
            total += user.items.count
            try users.flushIfLarge()
            try ratings.flushIfLarge()
            try ratingsCSV?.flushIfLarge()
        }
        try users.finish()
        try ratings.finish()
        try ratingsCSV?.finish()
        // Written last: its presence means the files above are complete.
        var marker = try Output(path: directory + "/" + configurationFile)
        marker.write(configurationLine(world.config))
        try marker.finish()
        return total
    }

    /// The file that records which configuration a directory holds.
    public static let configurationFile = "synthetic-config.txt"

    static func configurationLine(_ config: SyntheticConfig) -> String {
        "users=\(config.users) items=\(config.items) categories=\(config.categories) "
            + "mean_length=\(config.meanLength.bitPattern) min_length=\(config.minLength) "
            + "markov=\(config.markovProbability.bitPattern) drift=\(config.drift.bitPattern) seed=\(config.seed)\n"
    }

    /// The configuration whose files are complete in `directory`, or nil when there are none.
    public static func writtenConfiguration(in directory: String) throws -> SyntheticConfig? {
        let path = directory + "/" + configurationFile
        guard TextFileReader.fileExists(path) else { return nil }
        var values: [String: String] = [:]
        try TextFileReader(path: path, bufferSize: 4096).forEachLine { line in
            for pair in line.text.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
            }
            return false
        }
        guard let users = values["users"].flatMap(Int.init), let items = values["items"].flatMap(Int.init),
            let categories = values["categories"].flatMap(Int.init),
            let meanLength = values["mean_length"].flatMap(UInt64.init), let seed = values["seed"].flatMap(UInt64.init),
            let minLength = values["min_length"].flatMap(Int.init),
            let markov = values["markov"].flatMap(UInt64.init), let drift = values["drift"].flatMap(UInt64.init)
        else { return nil }
        var config = SyntheticConfig(
            users: users, items: items, categories: categories,
            meanLength: Double(bitPattern: meanLength), seed: seed)
        config.minLength = minLength
        config.markovProbability = Double(bitPattern: markov)
        config.drift = Double(bitPattern: drift)
        return config
    }
}
