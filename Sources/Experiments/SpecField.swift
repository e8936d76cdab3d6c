/// One key of a spec section, declared once: its JSON key, the default and range as documented, a doc line, and how
/// its value is read (with the range check) into the section.
///
/// A section's table of fields drives decoding (``SpecFields/read(_:into:path:context:)``), the unknown-key check
/// with its did-you-mean, the sweep parameters (method fields with a ``SweepRule``), and the README's field table
/// (`seqtwins spec fields`, checked by a test). Adding a field is one property on the section's struct (with its
/// default) and one entry in its table.
struct SpecField<Section>: Sendable {
    /// The JSON key.
    let key: String
    /// The default as the README shows it (`50`, `none`, `required`, ...).
    let defaultText: String
    /// The range and meaning as the README shows them.
    let doc: String
    /// Reads the value found at `path` into the section; throws ``ExperimentSpecError`` naming `path`.
    let read: @Sendable (inout Section, SpecJSON, String) throws -> Void
    /// For method fields: the methods that take the key (`nil`: every method).
    var methods: [String]? = nil
    /// For method fields that a sweep may vary.
    var sweep: SweepRule<Section>? = nil
    /// For required fields: what is expected, for the error when the key is absent.
    var required: String? = nil
    /// For method fields: sets the method's default (fields that apply to only some methods are `nil` elsewhere).
    var applyDefault: (@Sendable (inout Section) -> Void)? = nil
    /// The keys this field's reading depends on: when one of them has an error, this field is not read (its
    /// error would only repeat that one).
    var dependsOn: [String] = []

    /// This field, read only when the fields `keys` read without error.
    func after(_ keys: String...) -> SpecField {
        var field = self
        field.dependsOn = keys
        return field
    }
}

/// How a sweep reads one value of a method field and applies it.
struct SweepRule<Section>: Sendable {
    /// Reads one value with the field's own range check.
    let read: @Sendable (SpecJSON, String) throws -> Double
    /// Sets the field to the value.
    let apply: @Sendable (inout Section, Double) -> Void
}

/// The reading and documenting of a section through its table.
enum SpecFields {
    /// Reads `value` (an object at `path`) into `section`: unknown keys are errors (with a did-you-mean and the
    /// allowed keys, `context` added to the message), then every present key is read by its field, in table order.
    static func read<Section>(
        _ fields: [SpecField<Section>], _ value: SpecJSON, into section: inout Section, path: String,
        context: String = ""
    ) throws {
        let reader = try SpecReader(value, path: path)
        var errors: [ExperimentSpecError] = []
        do {
            try reader.rejectUnknownKeys(fields.map(\.key), context: context)
        } catch let error as ExperimentSpecError { errors.append(error) }
        var failed = Set<String>()
        for field in fields {
            // A field that reads others (a baseline among the methods) is skipped when one of them failed.
            if field.dependsOn.contains(where: failed.contains) { continue }
            do {
                if let present = reader.value(field.key) {
                    try field.read(&section, present, reader.path(field.key))
                } else if let expected = field.required {
                    _ = try reader.required(field.key, expected: expected)
                }
            } catch let error as ExperimentSpecError {
                errors.append(error)
                failed.insert(field.key)
            }
        }
        if !errors.isEmpty { throw ExperimentSpecError(collecting: errors) }
    }

    /// The README rows of `fields` under `prefix` (`preprocessing.`, `methods[].`): `| key | default | doc |`.
    static func markdownRows<Section>(_ fields: [SpecField<Section>], prefix: String) -> [String] {
        fields.map { field in
            var doc = field.doc
            if let methods = field.methods { doc += " (" + methods.map { "`\($0)`" }.joined(separator: ", ") + ")" }
            return "| `\(prefix)\(field.key)` | \(field.defaultText) | \(doc) |"
        }
    }
}

// MARK: Field factories

extension SpecField {
    /// An integer field in `range`; the default shown is `defaults`' value.
    static func int(
        _ key: String, _ keyPath: any WritableKeyPath<Section, Int> & Sendable, _ range: ClosedRange<Int>, defaults: Section,
        _ doc: String
    ) -> SpecField {
        SpecField(key: key, defaultText: "\(defaults[keyPath: keyPath])",
                  doc: "\(range.lowerBound)-\(range.upperBound): \(doc)") { section, value, path in
            section[keyPath: keyPath] = try SpecValue.int(value, path: path, range: range)
        }
    }

    /// An optional integer field in `range` (default shown as `none` when `defaults` has none).
    static func int(
        _ key: String, _ keyPath: any WritableKeyPath<Section, Int?> & Sendable, _ range: ClosedRange<Int>, defaults: Section,
        _ doc: String
    ) -> SpecField {
        SpecField(key: key, defaultText: defaults[keyPath: keyPath].map { "\($0)" } ?? "none",
                  doc: "\(range.lowerBound)-\(range.upperBound): \(doc)") { section, value, path in
            section[keyPath: keyPath] = try SpecValue.int(value, path: path, range: range)
        }
    }

    /// A number field in an interval (see ``SpecValue/double(_:path:low:high:lowOpen:highOpen:float32:)``).
    static func double(
        _ key: String, _ keyPath: any WritableKeyPath<Section, Double> & Sendable, _ interval: SpecInterval, defaults: Section,
        _ doc: String
    ) -> SpecField {
        SpecField(key: key, defaultText: SpecJSON.format(defaults[keyPath: keyPath]),
                  doc: "\(interval.text): \(doc)") { section, value, path in
            section[keyPath: keyPath] = try interval.read(value, path: path)
        }
    }

    /// A string field, one of `allowed`; `what` names the kind of value in errors.
    static func choice(
        _ key: String, _ keyPath: any WritableKeyPath<Section, String> & Sendable, _ allowed: [String], what: String,
        defaults: Section, _ doc: String
    ) -> SpecField {
        SpecField(key: key, defaultText: "`\(defaults[keyPath: keyPath])`",
                  doc: allowed.map { "`\($0)`" }.joined(separator: ", ") + ": \(doc)") { section, value, path in
            section[keyPath: keyPath] = try SpecValue.choice(value, path: path, allowed: allowed, what: what)
        }
    }

    /// A field whose reading is its own (lists, nested sections, cross-field rules); `required` says what is
    /// expected when the key must be present.
    static func custom(
        _ key: String, default defaultText: String, required: String? = nil, _ doc: String,
        read: @escaping @Sendable (inout Section, SpecJSON, String) throws -> Void
    ) -> SpecField {
        SpecField(key: key, defaultText: defaultText, doc: doc, read: read, required: required)
    }
}

extension SpecField where Section == MethodSpec {
    /// A method's integer field: `default` for the `methods` that take it; sweepable when `sweepable`.
    static func methodInt(
        _ key: String, _ keyPath: any WritableKeyPath<MethodSpec, Int?> & Sendable, _ range: ClosedRange<Int>, default value: Int,
        methods: [String], sweepable: Bool = false, _ doc: String
    ) -> SpecField {
        let read: @Sendable (SpecJSON, String) throws -> Int = { try SpecValue.int($0, path: $1, range: range) }
        return SpecField(
            key: key, defaultText: "\(value)", doc: "\(range.lowerBound)-\(range.upperBound): \(doc)",
            read: { section, json, path in section[keyPath: keyPath] = try read(json, path) },
            methods: methods,
            sweep: sweepable
                ? SweepRule(read: { Double(try read($0, $1)) }, apply: { $0[keyPath: keyPath] = Int($1) }) : nil,
            applyDefault: { $0[keyPath: keyPath] = value })
    }

    /// A method's number field in `interval`: `default` for the `methods` that take it; sweepable when `sweepable`.
    static func methodDouble(
        _ key: String, _ keyPath: any WritableKeyPath<MethodSpec, Double?> & Sendable, _ interval: SpecInterval,
        default value: Double, defaultText: String? = nil, methods: [String], sweepable: Bool = false, _ doc: String
    ) -> SpecField {
        SpecField(
            key: key, defaultText: defaultText ?? SpecJSON.format(value), doc: "\(interval.text): \(doc)",
            read: { section, json, path in section[keyPath: keyPath] = try interval.read(json, path: path) },
            methods: methods,
            sweep: sweepable
                ? SweepRule(read: { try interval.read($0, path: $1) }, apply: { $0[keyPath: keyPath] = $1 }) : nil,
            applyDefault: { $0[keyPath: keyPath] = value })
    }
}

/// A number interval such as `(0, 1]`, with the 32-bit check for values training uses as `Float`.
struct SpecInterval: Sendable {
    /// The bounds.
    let low: Double, high: Double
    /// Whether a bound is excluded.
    var lowOpen = false, highOpen = false
    /// Whether the value is used as a 32-bit float (see ``SpecValue/double(_:path:low:high:lowOpen:highOpen:float32:)``).
    var float32 = false

    /// `(0, 1]`.
    var text: String {
        "\(lowOpen ? "(" : "[")\(SpecJSON.format(low)), \(SpecJSON.format(high))\(highOpen ? ")" : "]")"
    }

    /// Reads a number in the interval. Throws: ``ExperimentSpecError`` naming `path`.
    func read(_ value: SpecJSON, path: String) throws -> Double {
        try SpecValue.double(value, path: path, low: low, high: high, lowOpen: lowOpen, highOpen: highOpen,
                             float32: float32)
    }
}

extension ExperimentSpec {
    /// The README's field table, generated from the sections' tables: one row per key, `| field | default | range
    /// and meaning |` (`seqtwins spec fields` prints it; a test checks that the README holds it).
    public static var fieldTableMarkdown: String {
        var rows = ["| field | default | range and meaning |", "|---|---|---|"]
        rows += SpecFields.markdownRows(fields, prefix: "")
        rows += SpecFields.markdownRows(DatasetSpec.fields, prefix: "dataset.")
        rows += SpecFields.markdownRows(SyntheticSpec.fields, prefix: "dataset.synthetic.")
        rows += SpecFields.markdownRows(PreprocessingSpec.fields, prefix: "preprocessing.")
        rows += SpecFields.markdownRows(EncoderSpec.fields, prefix: "encoder.")
        rows += SpecFields.markdownRows(MethodSpec.fields, prefix: "methods[].")
        rows += SpecFields.markdownRows(AugmentationSpec.fields, prefix: "methods[].augmentations.")
        rows += SpecFields.markdownRows(BudgetSpec.fields, prefix: "methods[].budget.")
        rows += SpecFields.markdownRows(SweepSpec.fields, prefix: "sweep.")
        rows += SpecFields.markdownRows(FineTuneSpec.fields, prefix: "fine_tune.")
        rows += SpecFields.markdownRows(LinearProbeSpec.fields, prefix: "linear_probe.")
        return rows.joined(separator: "\n") + "\n"
    }
}
