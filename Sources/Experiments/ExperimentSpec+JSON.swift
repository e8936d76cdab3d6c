import Foundation

/// A JSON value as read from a spec document, kept apart from the typed spec so that every field can be checked
/// with its path, its type and its range.
enum SpecJSON: Decodable, Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([SpecJSON])
    case object([String: SpecJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([SpecJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: SpecJSON].self))
        }
    }

    /// A short description of the value for error messages: `string "bt"`, `number 1.5`, `an object`.
    var found: String {
        switch self {
        case .null: return "null"
        case .bool(let value): return "boolean \(value)"
        case .number(let value): return "number \(SpecJSON.format(value))"
        case .string(let value): return "string \"\(SpecJSONParser.quoted(value))\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Formats a number as JSON would: integral values without a fraction.
    static func format(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// The Levenshtein edit distance between two strings.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

/// The closest candidate to `word` within an edit distance of `max(2, word.count / 3)`, else the first candidate
/// that starts with `word` (of 3 or more characters), for "did you mean".
func closestMatch(to word: String, in candidates: [String]) -> String? {
    guard word.count <= 100 else { return nil }  // no candidate is that long; and the distance is quadratic
    if word.count >= 3, let prefixed = candidates.first(where: { $0.hasPrefix(word.lowercased()) }),
        editDistance(word.lowercased(), prefixed) > max(2, word.count / 3)
    {
        return prefixed
    }
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0)) }
    guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, word.count / 3) else { return nil }
    return best.0
}

/// Joins a path and an object key: `methods[2]` + `name` → `methods[2].name`.
func specPath(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

/// Reads one JSON object of a spec: typed fields with defaults and ranges, and unknown keys as errors.
struct SpecReader {
    /// The JSON path of the object.
    let path: String
    /// Its fields.
    let fields: [String: SpecJSON]

    /// Wraps `value`, which must be an object. Throws: ``ExperimentSpecError`` naming `path` otherwise.
    init(_ value: SpecJSON, path: String) throws {
        guard case .object(let fields) = value else {
            let message = path.isEmpty
                ? "the spec as a whole: expected an object of fields at the top level, found \(value.found)"
                : "expected an object, found \(value.found)"
            throw ExperimentSpecError(path: path, message: message)
        }
        self.path = path
        self.fields = fields
    }

    /// Rejects keys not in `known`, naming the nearest known key where one is close.
    func rejectUnknownKeys(_ known: [String], context: String = "") throws {
        for key in fields.keys.sorted() where !known.contains(key) {
            var message = "unknown field\(context)"
            if let suggestion = closestMatch(to: key, in: known) { message += "; did you mean \"\(suggestion)\"?" }
            message += "; allowed: \(known.joined(separator: ", "))"
            let name = key.isEmpty ? "\"\" (an empty name)" : SpecJSONParser.quoted(key)
            throw ExperimentSpecError(path: specPath(path, name), message: message)
        }
    }

    /// The value at `key`, treating JSON `null` as absent.
    func value(_ key: String) -> SpecJSON? {
        guard let value = fields[key], value != .null else { return nil }
        return value
    }

    /// The path of a field of this object.
    func path(_ key: String) -> String { specPath(path, key) }

    /// A required field. Throws when it is absent, saying what was expected.
    func required(_ key: String, expected: String) throws -> SpecJSON {
        guard let value = value(key) else {
            throw ExperimentSpecError(path: path(key), message: "required field is missing; expected \(expected)")
        }
        return value
    }
}

/// Typed readers of single JSON values with range checks; each error names the path, the range and the value.
enum SpecValue {
    /// An integer in `range`.
    static func int(_ value: SpecJSON, path: String, range: ClosedRange<Int>) throws -> Int {
        let expected = "an integer in \(range.lowerBound)...\(range.upperBound)"
        guard case .number(let number) = value else {
            throw ExperimentSpecError(path: path, message: "expected \(expected), found \(value.found)")
        }
        guard number == number.rounded(), abs(number) < 9e15 else {
            throw ExperimentSpecError(path: path, message: "expected \(expected), found \(value.found)")
        }
        let integer = Int(number)
        guard range.contains(integer) else {
            throw ExperimentSpecError(path: path, message: "\(integer) is out of range; expected \(expected)")
        }
        return integer
    }

    /// A number in an interval described by `low`, `high` and their openness, e.g. `(0, 1]`.
    ///
    /// With `float32`, the value is also checked as training will use it, after conversion to `Float`: it must
    /// still lie in the interval (`1e-300` becomes 0, `0.999999999` becomes 1) and must not be a subnormal float
    /// (below about 1.2e-38, where training loses its precision), so that a spec passing `enqueue --dry-run` never
    /// fails at run time on its numbers.
    static func double(
        _ value: SpecJSON, path: String, low: Double, high: Double, lowOpen: Bool = false, highOpen: Bool = false,
        float32: Bool = false
    ) throws -> Double {
        let interval = "\(lowOpen ? "(" : "[")\(SpecJSON.format(low)), \(SpecJSON.format(high))\(highOpen ? ")" : "]")"
        guard case .number(let number) = value else {
            throw ExperimentSpecError(path: path, message: "expected a number in \(interval), found \(value.found)")
        }
        func inRange(_ x: Double) -> Bool {
            (lowOpen ? x > low : x >= low) && (highOpen ? x < high : x <= high)
        }
        guard inRange(number) else {
            throw ExperimentSpecError(
                path: path, message: "\(SpecJSON.format(number)) is out of range; expected a number in \(interval)")
        }
        if float32 {
            let single = Float(number)
            guard inRange(Double(single)) else {
                throw ExperimentSpecError(
                    path: path,
                    message: "\(SpecJSON.format(number)) becomes \(single) as a 32-bit float, the precision training "
                        + "uses; expected a number in \(interval) after that conversion")
            }
            guard single == 0 || single.isNormal else {
                throw ExperimentSpecError(
                    path: path,
                    message: "\(SpecJSON.format(number)) is below the smallest normal 32-bit float "
                        + "(\(Float.leastNormalMagnitude)), the precision training uses; expected 0 or a number of at "
                        + "least that size in \(interval)")
            }
        }
        return number
    }

    /// The longest string a spec field may hold unless it says otherwise, in characters (paths and names are far
    /// shorter; `description` is the free-text field).
    static let maxStringLength = 10_000

    /// A string of at most `maxLength` characters without NUL (PostgreSQL cannot store U+0000 in text or jsonb),
    /// optionally non-empty.
    static func string(_ value: SpecJSON, path: String, nonEmpty: Bool = true,
                       maxLength: Int = maxStringLength) throws -> String {
        guard case .string(let string) = value else {
            throw ExperimentSpecError(path: path, message: "expected a string, found \(value.found)")
        }
        if nonEmpty && string.isEmpty {
            throw ExperimentSpecError(path: path, message: "expected a non-empty string, found an empty one")
        }
        if string.unicodeScalars.contains("\u{0}") {
            throw ExperimentSpecError(
                path: path, message: "contains a NUL character (\\u0000), which cannot be stored; remove it")
        }
        if string.count > maxLength {
            throw ExperimentSpecError(
                path: path, message: "\(string.count) characters; expected at most \(maxLength)")
        }
        return string
    }

    /// One of `allowed`, with `what` naming the kind of value in the message (`unknown method "bt"; allowed: …`).
    static func choice(_ value: SpecJSON, path: String, allowed: [String], what: String) throws -> String {
        guard case .string(let string) = value else {
            throw ExperimentSpecError(
                path: path, message: "expected one of \(allowed.joined(separator: ", ")), found \(value.found)")
        }
        guard allowed.contains(string) else {
            var message = "unknown \(what) \"\(SpecJSONParser.quoted(string))\""
            if let suggestion = closestMatch(to: string, in: allowed) { message += "; did you mean \"\(suggestion)\"?" }
            message += "; allowed: \(allowed.joined(separator: ", "))"
            throw ExperimentSpecError(path: path, message: message)
        }
        return string
    }

    /// A non-empty array whose elements are read by `element` (with their indexed paths), without duplicates
    /// unless `unique` is false.
    static func list<T: Equatable>(
        _ value: SpecJSON, path: String, allowEmpty: Bool = false, unique: Bool = true, describe: (T) -> String,
        element: (SpecJSON, String) throws -> T
    ) throws -> [T] {
        guard case .array(let items) = value else {
            throw ExperimentSpecError(path: path, message: "expected an array, found \(value.found)")
        }
        if items.isEmpty && !allowEmpty {
            throw ExperimentSpecError(path: path, message: "expected a non-empty array, found an empty one")
        }
        var result: [T] = []
        var positions: [Int] = []
        var errors: [ExperimentSpecError] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            let parsed: T
            do {
                parsed = try element(item, itemPath)
            } catch let error as ExperimentSpecError {
                errors.append(error)  // the other elements are still read, so every bad one is reported
                continue
            }
            if unique, let first = result.firstIndex(of: parsed) {
                errors.append(ExperimentSpecError(
                    path: itemPath,
                    message: "duplicate value \(describe(parsed)) (already at \(path)[\(positions[first])])"))
                continue
            }
            result.append(parsed)
            positions.append(index)
        }
        if !errors.isEmpty { throw ExperimentSpecError(collecting: errors) }
        return result
    }
}

/// Turns a `Decoder`'s coding path into a spec path: `methods[2].augmentations`.
func specPath(_ codingPath: [any CodingKey]) -> String {
    var path = ""
    for key in codingPath {
        if let index = key.intValue { path += "[\(index)]" } else { path = specPath(path, key.stringValue) }
    }
    return path
}
