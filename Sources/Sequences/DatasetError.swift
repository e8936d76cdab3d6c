/// A problem with a dataset's files or with a request made of a dataset.
///
/// Reader errors name the file, the 1-based line and column (byte offset in the line), the field and what was
/// expected, e.g. `ratings.dat:3:9: field 'Rating': expected an integer from 1 to 5, found "x"`.
public struct DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file's path (or name) as given to the reader.
    public var file: String
    /// 1-based line number, when the problem is on one line.
    public var line: Int?
    /// 1-based byte column within the line, when known.
    public var column: Int?
    /// The field's name, when the problem is in one field.
    public var field: String?
    /// What was expected and what was found.
    public var message: String

    /// A new error; see the properties.
    public init(file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.field = field
        self.message = message
    }

    /// `file:line:column: field 'name': message`.
    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let column { text += ":\(column)" }
        text += ": "
        if let field { text += "field '\(field)': " }
        return text + message
    }
}

extension DatasetError {
    /// The most characters of a value from a file that an error message quotes.
    public static let maxQuotedCharacters = 80

    /// `text` in double quotes for an error message: at most ``maxQuotedCharacters`` characters, cut with an
    /// ellipsis, control characters escaped (`\t`, `\u{1B}`), so a bad multi-megabyte line gives a one-line error.
    public static func quoted(_ text: some StringProtocol, truncated: Bool = false) -> String {
        var result = "\""
        var count = 0
        var cut = truncated
        for character in text {
            if count == maxQuotedCharacters {
                cut = true
                break
            }
            if character.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                result += character.unicodeScalars.map { $0.escaped(asASCII: false) }.joined()
            } else {
                result.append(character)
            }
            count += 1
        }
        return result + (cut ? "…\"" : "\"")
    }
}

/// A request a prepared dataset cannot serve (for example a task its metadata does not support).
public struct DatasetRequestError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What was asked for and why it cannot be served.
    public var message: String
    /// The preprocessing setting that decides it, when one does (`min_sequence_length`, `k_core`).
    public var setting: String?

    /// A new error with its message and, when one setting decides it, that setting's name.
    public init(_ message: String, setting: String? = nil) {
        self.message = message
        self.setting = setting
    }

    /// The message.
    public var description: String { message }
}
