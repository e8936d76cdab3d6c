import Experiments
import Foundation
import Testing

/// Values that pass the spec reader (and so `enqueue --dry-run`) must be storable and usable as the workers will use
/// them: no NUL in text, bounded text, and numbers that survive the conversion to Float.
@Suite("Spec limits")
struct SpecLimitsTests {
    @Test func nulCharactersAreRefusedNamingTheField() throws {
        let description = try #require(specError(specJSON(#""description": "a\u0000b""#)))
        #expect(description.description
                == #"description: contains a NUL character (\u0000), which cannot be stored; remove it"#)
        let path = try #require(specError(specJSON(dataset: #"{"kind": "movielens1m", "path": "/x\u0000"}"#)))
        #expect(path.path == "dataset.path" && path.message.hasPrefix("contains a NUL character"))
        let label = try #require(specError(specJSON(#""methods": [{"name": "none", "label": "a\u0000"}]"#)))
        #expect(label.description
                == #"methods[0].label: contains a NUL character (\u0000), which cannot be stored; remove it"#)
        let key = try #require(specError(specJSON(#""x\u0000": 1"#)))
        #expect(key.path == #"x\u0000"#)
    }

    @Test func textFieldsAreBoundedAndErrorsQuoteLittle() throws {
        let long = String(repeating: "d", count: ExperimentSpec.maxDescriptionLength + 1)
        let description = try #require(specError(specJSON(#""description": "\#(long)""#)))
        #expect(description.description == "description: 10001 characters; expected at most 10000")
        #expect(try ExperimentSpec(json: specJSON(#""description": "\#(long.dropLast())""#)).description.count
                == 10_000)
        let path = String(repeating: "p", count: ExperimentSpec.maxPathLength + 1)
        let pathError = try #require(specError(specJSON(dataset: #"{"kind": "yelp", "path": "\#(path)"}"#)))
        #expect(pathError.description == "dataset.path: 4097 characters; expected at most 4096")
        // Long values are refused with an error of a line, quoting at most 80 characters.
        let huge = try #require(specError(#"{"name": "\#(String(repeating: "n", count: 1 << 20))", "dataset": {}}"#))
        #expect(huge.description == "name: 1048576 characters; expected at most 10000")
        let name = String(repeating: "n", count: 500)
        let nameError = try #require(specError(#"{"name": "\#(name)", "dataset": {"kind": "synthetic"}}"#))
        #expect(nameError.description == "name: \"\(name.prefix(80))…\" is not a valid name; expected 1 to 100 "
                + "characters from A-Z a-z 0-9 _ - .")
        let kind = try #require(specError(specJSON(dataset: #"{"kind": "\#(name)"}"#)))
        #expect(kind.description.count < 300)
    }
}
