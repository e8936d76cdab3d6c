/// The fast path for the big ratings files: a line of `integer SEP integer SEP decimal SEP integer`
/// (`ratings.dat`, `u.data`, `ratings.csv`), parsed in one pass without splitting (pure).
///
/// Returns nil as soon as the line deviates from that shape (a sign, a space, a missing field, an exponent, more
/// than 18 digits); readers then re-read the line with the general field splitter, which reports the error.
public enum RatingLineParser {
    /// One parsed line.
    public struct Row {
        /// First field (user id).
        public var user: Int64
        /// Second field (item id).
        public var item: Int64
        /// Third field (rating).
        public var rating: Float
        /// Fourth field (timestamp).
        public var timestamp: Int64
    }

    @inline(__always)
    static func integer(_ pointer: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int64? {
        let start = pointer
        var value: Int64 = 0
        while pointer < end {
            let digit = pointer.pointee &- 48
            if digit >= 10 { break }
            value = value &* 10 &+ Int64(digit)
            pointer += 1
        }
        let digits = start.distance(to: pointer)
        return digits > 0 && digits <= 18 ? value : nil
    }

    @inline(__always)
    static func separator(
        _ pointer: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ first: UInt8,
        _ second: UInt8?
    ) -> Bool {
        guard pointer < end, pointer.pointee == first else { return false }
        pointer += 1
        if let second {
            guard pointer < end, pointer.pointee == second else { return false }
            pointer += 1
        }
        return true
    }

    /// Parses one row starting at `pointer`, leaving `pointer` just after the timestamp; nil when malformed.
    @inline(__always)
    public static func parseRow(
        _ pointer: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, first: UInt8,
        second: UInt8?
    ) -> Row? {
        guard let user = integer(&pointer, end), separator(&pointer, end, first, second),
            let item = integer(&pointer, end), separator(&pointer, end, first, second),
            let whole = integer(&pointer, end)
        else { return nil }
        var rating = Float(whole)
        if pointer < end && pointer.pointee == UInt8(ascii: ".") {
            pointer += 1
            let start = pointer
            guard let fraction = integer(&pointer, end), start.distance(to: pointer) <= 6 else { return nil }
            var scale: Float = 1
            for _ in 0..<start.distance(to: pointer) { scale *= 10 }
            rating += Float(fraction) / scale
        }
        guard separator(&pointer, end, first, second), let timestamp = integer(&pointer, end) else { return nil }
        return Row(user: user, item: item, rating: rating, timestamp: timestamp)
    }

    /// Parses `line` with a one-byte separator (`second == nil`) or a two-byte one (`::`).
    @inline(__always)
    public static func parse(_ line: UnsafeBufferPointer<UInt8>, first: UInt8, second: UInt8?) -> Row? {
        guard var pointer = UnsafePointer(line.baseAddress) else { return nil }
        let end = pointer + line.count
        guard let row = parseRow(&pointer, end, first: first, second: second), pointer == end else { return nil }
        return row
    }
}
