import Foundation

/// One value of a table cell, as CSV and JSON give it.
public enum CellValue: Sendable, Equatable {
    /// Text.
    case text(String)
    /// A whole number.
    case integer(Int64)
    /// A real number, at full precision (non-finite numbers export as JSON `null`).
    case number(Double)
    /// A truth value.
    case bool(Bool)
    /// No value (SQL NULL).
    case null
}

/// A table column: the key that CSV and JSON use, and the heading the page shows.
public struct Column: Sendable {
    /// The CSV header and JSON key (snake_case).
    public var key: String
    /// The heading on the page.
    public var title: String
    /// Numbers are right-aligned.
    public var numeric: Bool
    /// Whether the page shows the column; a hidden column's values are shown inside another column (the state
    /// counts inside the state bar) and are still exported.
    public var visible: Bool
    /// For sortable tables: the `?sort=` value of this column, or `nil` when it does not sort.
    public var sortKey: String?

    /// A column.
    public init(_ key: String, _ title: String, numeric: Bool = false, visible: Bool = true, sortKey: String? = nil) {
        self.key = key
        self.title = title
        self.numeric = numeric
        self.visible = visible
        self.sortKey = sortKey
    }
}

/// One table cell: the exported value and how the page shows it.
public struct Cell: Sendable {
    /// The value CSV and JSON export.
    public var value: CellValue
    /// What the page shows; `nil` shows the value as text.
    public var display: Markup?

    /// A cell showing `display` (default: the value as text).
    public init(_ value: CellValue, display: Markup? = nil) {
        self.value = value
        self.display = display
    }

    /// Text, optionally linked.
    public static func text(_ text: String?, link: String? = nil) -> Cell {
        guard let text else { return Cell(.null) }
        guard let link else { return Cell(.text(text)) }
        return Cell(.text(text), display: "<a href=\"\(link)\">\(text)</a>")
    }

    /// A whole number, optionally linked.
    public static func integer<Number: BinaryInteger>(_ number: Number?, link: String? = nil) -> Cell {
        guard let number else { return Cell(.null) }
        let value = Int64(number)
        guard let link else { return Cell(.integer(value)) }
        return Cell(.integer(value), display: "<a href=\"\(link)\">\(Format.integer(value))</a>")
    }

    /// A real number shown with `digits` decimals (exported at full precision).
    public static func number(_ number: Double?, digits: Int = 3) -> Cell {
        guard let number else { return Cell(.null) }
        return Cell(.number(number), display: "\(Format.fixed(number, digits: digits))")
    }

    /// A time (seconds since 1970): exported as ISO 8601 UTC, shown as `2026-11-29 17:53` (the seconds in its
    /// tooltip).
    public static func time(_ seconds: Double?) -> Cell {
        guard let seconds else { return Cell(.null) }
        let iso = Format.iso8601(seconds)
        let full = Format.dateTime(seconds)
        return Cell(.text(iso), display: "<time datetime=\"\(iso)\" title=\"\(full) UTC\">\(full.prefix(16))</time>")
    }

    /// A duration in seconds: exported as seconds, shown as `3 min 20 s`.
    public static func duration(_ seconds: Double?) -> Cell {
        guard let seconds else { return Cell(.null) }
        return Cell(.number(seconds), display: "\(Format.duration(seconds))")
    }

    /// Long text (an error): the first `shown` characters, the rest behind a disclosure.
    public static func longText(_ text: String?, shown: Int = 160) -> Cell {
        guard let text else { return Cell(.null) }
        guard text.count > shown else { return Cell(.text(text), display: "<span class=\"text\">\(text)</span>") }
        let head = String(text.prefix(shown))
        return Cell(.text(text), display: """
            <details class="long"><summary><span class="text">\(head)…</span> <span class="more">(all \
            \(Format.integer(Int64(text.count))) characters)</span></summary><div class="text">\(text)</div></details>
            """)
    }
}

/// One table row.
public struct Row: Sendable {
    /// The cells, one per column.
    public var cells: [Cell]
    /// CSS classes of the row (such as `excludes-zero`).
    public var classes: [String]

    /// A row.
    public init(_ cells: [Cell], classes: [String] = []) {
        self.cells = cells
        self.classes = classes
    }
}

/// A table that the page shows as HTML and exports, with the same rows, as CSV and JSON.
public struct DataTable: Sendable {
    /// How the page lays the table out.
    public enum Layout: Sendable {
        /// One row per record, the columns across.
        case rows
        /// One record shown as field/value pairs (a job's details).
        case fields
    }

    /// The table's name in `?table=` links and JSON (snake_case).
    public var name: String
    /// Its heading.
    public var title: String
    /// The columns.
    public var columns: [Column]
    /// The rows.
    public var rows: [Row]
    /// Shown instead of an empty table.
    public var emptyMessage: String
    /// A line under the heading.
    public var note: Markup?
    /// The layout.
    public var layout: Layout
    /// For sortable tables: the current `?sort=` value (`-key` for descending).
    public var sort: String?

    /// A table.
    public init(name: String, title: String, columns: [Column], rows: [Row] = [], emptyMessage: String = "None.",
                note: Markup? = nil, layout: Layout = .rows, sort: String? = nil) {
        self.name = name
        self.title = title
        self.columns = columns
        self.rows = rows
        self.emptyMessage = emptyMessage
        self.note = note
        self.layout = layout
        self.sort = sort
    }

    // MARK: CSV

    /// The table as CSV (RFC 4180): a header of column keys, then one line per row, every column included.
    public func csv() -> String {
        var lines = [columns.map { Self.csvField($0.key) }.joined(separator: ",")]
        for row in rows {
            lines.append(row.cells.map { Self.csvField(Self.csvText($0.value)) }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func csvText(_ value: CellValue) -> String {
        switch value {
        case .text(let text): text
        case .integer(let number): String(number)
        case .number(let number): number.isFinite ? "\(number)" : ""
        case .bool(let flag): flag ? "true" : "false"
        case .null: ""
        }
    }

    /// Quotes a field holding a comma, quote or line break, doubling inner quotes.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: JSON

    /// The rows as a JSON array of objects keyed by column key, in column order.
    public func json() -> String {
        var out = "["
        for (index, row) in rows.enumerated() {
            out += index == 0 ? "\n  {" : ",\n  {"
            for (position, column) in columns.enumerated() {
                if position > 0 { out += ", " }
                out += Self.jsonString(column.key) + ": " + Self.jsonValue(row.cells[position].value)
            }
            out += "}"
        }
        return out + (rows.isEmpty ? "]" : "\n]")
    }

    static func jsonValue(_ value: CellValue) -> String {
        switch value {
        case .text(let text): jsonString(text)
        case .integer(let number): String(number)
        case .number(let number): number.isFinite ? "\(number)" : "null"
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        }
    }

    /// A JSON string literal; `<`, `>` and `&` are escaped too, so the text is inert anywhere.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += String(format: "\\u%04x", scalar.value)
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
