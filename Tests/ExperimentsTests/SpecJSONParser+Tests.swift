import Experiments
import Foundation
import SeqTwinsTestSupport
import Testing

/// The spec reader's own JSON parser: positions in syntax errors, duplicate keys, non-finite numbers, invalid
/// escapes, nesting depth; and the spec file itself (directories, FIFOs and devices are refused, not read).
@Suite("Spec JSON parser")
struct SpecJSONParserTests {
    static let syntaxErrors: [(json: String, message: String)] = [
        ("{\"name\": \"demo\",\n  \"seeds\": [1, 2,]}",
         "not valid JSON: line 2, column 18: expected a value (object, array, string, number, true, false or null), "
            + "found ']'"),
        (#"{"name": "demo" "seeds": 3}"#,
         #"not valid JSON: line 1, column 17: expected ',' or '}' after the value of "name", found '"'"#),
        (#"{"name": "demo", "#, "not valid JSON: line 1, column 18: expected a key (a string in double quotes), "
            + "found the end of the document"),
        ("", "not valid JSON: line 1, column 1: the document is empty; expected a JSON object"),
        (#"{} x"#, "not valid JSON: line 1, column 4: unexpected 'x' after the end of the JSON value"),
        (#"{"seeds": 1e400}"#,
         "not valid JSON: line 1, column 11: the number 1e400 is too large for a double (at most about 1.8e308)"),
        (#"{"seeds": -1E+999}"#,
         "not valid JSON: line 1, column 11: the number -1E+999 is too large for a double (at most about 1.8e308)"),
        (#"{"seeds": 01}"#,
         "not valid JSON: line 1, column 12: a number may not start with 0 followed by digits (leading zeros are "
            + "not JSON)"),
        (#"{"seeds": 1.}"#, "not valid JSON: line 1, column 13: expected a digit after the decimal point, found '}'"),
        (#"{"name": "\ud800"}"#,
         #"not valid JSON: line 1, column 11: invalid escape \ud800: a high surrogate must be followed by a low "#
            + #"surrogate escape (\udc00 to \udfff)"#),
        (#"{"name": "\ud800\u0041"}"#,
         #"not valid JSON: line 1, column 11: invalid escape \ud800: a high surrogate must be followed by a low "#
            + #"surrogate escape (\udc00 to \udfff)"#),
        (#"{"name": "\udc00"}"#,
         #"not valid JSON: line 1, column 11: invalid escape \udc00: a low surrogate without a high surrogate "#
            + "before it"),
        (#"{"name": "\x41"}"#,
         #"not valid JSON: line 1, column 11: invalid escape \x; expected one of \" \\ \/ \b \f \n \r \t \uXXXX"#),
        (#"{"name": "\u12"}"#,
         #"not valid JSON: line 1, column 11: invalid escape: \u must be followed by four hexadecimal digits"#),
        ("{\"name\": \"a\tb\"}",
         "not valid JSON: line 1, column 12: a control character (U+0009) inside a string; write it as an escape "
            + #"such as \n or \u00XX"#),
        (#"{"name": "demo"#, "not valid JSON: line 1, column 10: the string that starts here is not closed; "
            + #"expected '"'"#),
        (#"{"é": "ü", "x": tru}"#,
         "not valid JSON: line 1, column 17: expected a value (object, array, string, number, true, false or "
            + "null), found 't'"),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
         "not valid JSON: line 1, column 65: objects and arrays nest deeper than 64 levels"),
    ]

    @Test(arguments: syntaxErrors)
    func syntaxErrorsNameLineAndColumn(json: String, message: String) throws {
        let error = try #require(specError(json))
        #expect(error.path == "")
        #expect(error.message == message)
    }

    @Test func duplicateKeysAreRefusedWithTheirPath() throws {
        let top = try #require(specError(#"{"name": "a", "name": "b"}"#))
        #expect(top.description == #"name: duplicate key "name" at line 1, column 15 (first at line 1, column 2); "#
                + "each key may appear once in an object")
        let nested = try #require(specError("""
            {"name": "demo", "dataset": {"kind": "synthetic"},
             "methods": [{"name": "none"}, {"name": "none", "label": "x",
                                            "label": "y"}]}
            """))
        #expect(nested.path == "methods[1].label")
        #expect(nested.message.hasPrefix(#"duplicate key "label" at line 3, column 33 (first at line 2, column 49)"#))
    }

    @Test func nestingUpToTheLimitIsOnlyASpecError() throws {
        // 64 levels parse; the spec reader then says what is wrong with the value.
        let deep = #"{"name": "demo", "dataset": {"kind": "synthetic"}, "seeds": "#
            + String(repeating: "[", count: 63) + String(repeating: "]", count: 63) + "}"
        let error = try #require(specError(deep))
        #expect(error.path == "seeds[0]")
    }

    @Test func validDocumentsReadAsFoundationReadsThem() throws {
        // The shipped specs and an escape-heavy one: the strict parser gives the very values JSONDecoder gave.
        let jobs = RepositoryPaths.root.appendingPathComponent("Jobs")
        let files = try FileManager.default.contentsOfDirectory(atPath: jobs.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 5)
        var documents = try files.map { try Data(contentsOf: jobs.appendingPathComponent($0)) }
        documents.append(Data(#"""
            {"name": "demo", "description": "tab\t quote\" slash\/ \u00e9 \ud83d\ude00 é ∑",
             "dataset": {"kind": "synthetic", "synthetic": {"users": 1.0e3, "seed": 0}},
             "label_fractions": [0.1, 2E-1, 0.30000000000000004, 1], "seeds": [0, 2147483647]}
            """#.utf8))
        for document in documents {
            let strict = try ExperimentSpec(json: document)
            let foundation = try JSONDecoder().decode(ExperimentSpec.self, from: document)
            #expect(strict == foundation)
        }
        let spec = try ExperimentSpec(json: documents.last!)
        #expect(spec.description == "tab\t quote\" slash/ é 😀 é ∑")
    }

    @Test func specFilesThatAreNotRegularFilesAreRefusedWithoutReading() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spec-files-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func message(_ path: String) -> String? {
            do {
                _ = try ExperimentSubmission.read(file: URL(fileURLWithPath: path))
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(message(directory.path) == "\(directory.path): is a directory; expected a JSON spec file")
        let fifo = directory.appendingPathComponent("spec.fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(message(fifo) == "\(fifo): is a FIFO (named pipe); expected a JSON spec file")
        #expect(message("/dev/zero") == "/dev/zero: is a character device; expected a JSON spec file")
        let missing = directory.appendingPathComponent("missing.json").path
        #expect(message(missing) == "\(missing): cannot read the file (no such file); expected a JSON spec file")
        let big = directory.appendingPathComponent("big.json")
        try Data(repeating: 0x20, count: ExperimentSubmission.maxSpecFileBytes + 1).write(to: big)
        #expect(message(big.path) == "\(big.path): is 1048577 bytes; a spec file is at most 1048576 bytes (1 MiB)")
        let good = directory.appendingPathComponent("good.json")
        try Data(#"{"name": "x", "dataset": {"kind": "synthetic"}}"#.utf8).write(to: good)
        #expect(try ExperimentSubmission.read(file: good).name == "x")
    }
}
