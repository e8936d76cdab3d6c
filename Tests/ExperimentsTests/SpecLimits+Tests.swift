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
        #expect(huge.all.first?.description == "name: 1048576 characters; expected at most 10000")
        #expect(huge.all.map(\.path) == ["name", "dataset.kind"])  // every error at once, each a line
        let name = String(repeating: "n", count: 500)
        let nameError = try #require(specError(#"{"name": "\#(name)", "dataset": {"kind": "synthetic"}}"#))
        #expect(nameError.description == "name: \"\(name.prefix(80))…\" is not a valid name; expected 1 to 100 "
                + "characters from A-Z a-z 0-9 _ - .")
        let kind = try #require(specError(specJSON(dataset: #"{"kind": "\#(name)"}"#)))
        #expect(kind.description.count < 300)
    }

    static let float32Cases: [(extra: String, path: String, message: String)] = [
        (#""methods": [{"name": "barlow_twins", "lr": 1e-300}]"#, "methods[0].lr",
         "1e-300 becomes 0.0 as a 32-bit float, the precision training uses; expected a number in (0, 10] after that "
            + "conversion"),
        (#""methods": [{"name": "barlow_twins", "lambda": 1e-300}]"#, "methods[0].lambda",
         "1e-300 becomes 0.0 as a 32-bit float, the precision training uses; expected a number in (0, 100] after "
            + "that conversion"),
        (#""methods": [{"name": "contrastive", "temperature": 1e-300}]"#, "methods[0].temperature",
         "1e-300 becomes 0.0 as a 32-bit float, the precision training uses; expected a number in (0, 100] after "
            + "that conversion"),
        (#""fine_tune": {"lr": 1e-300}"#, "fine_tune.lr",
         "1e-300 becomes 0.0 as a 32-bit float, the precision training uses; expected a number in (0, 10] after that "
            + "conversion"),
        (#""methods": [{"name": "dual_encoder", "lr": 1e-40}]"#, "methods[0].lr",
         "1e-40 is below the smallest normal 32-bit float (1.1754944e-38), the precision training uses; expected 0 "
            + "or a number of at least that size in (0, 10]"),
        (#""encoder": {"dropout": 0.99999999}"#, "encoder.dropout",
         "0.99999999 becomes 1.0 as a 32-bit float, the precision training uses; expected a number in [0, 1) after "
            + "that conversion"),
        (#""sweep": {"parameter": "lr", "values": [1e-3, 1e-300]}"#, "sweep.values[1]",
         "1e-300 becomes 0.0 as a 32-bit float, the precision training uses; expected a number in (0, 10] after that "
            + "conversion"),
    ]

    @Test(arguments: float32Cases)
    func numbersAreCheckedAsTrainingWillUseThem(extra: String, path: String, message: String) throws {
        let error = try #require(specError(specJSON(extra)))
        #expect(error.path == path)
        #expect(error.message == message)
    }

    @Test func smallButNormalFloatsAndZeroWeightDecayStillPass() throws {
        let spec = try ExperimentSpec(json: specJSON(
            #""methods": [{"name": "barlow_twins", "lr": 1e-37, "weight_decay": 0, "lambda": 100}], "#
                + #""fine_tune": {"lr": 1e-4}"#))
        #expect(spec.methods[0].lr == 1e-37 && spec.methods[0].weightDecay == 0 && spec.fineTune.lr == 1e-4)
    }

    @Test func syntheticDataIsBoundedInTotalInteractions() throws {
        let huge = try #require(specError(specJSON(
            dataset: #"{"kind": "synthetic", "synthetic": {"users": 10000000, "mean_sequence_length": 10000}}"#)))
        #expect(huge.description == "dataset.synthetic: users × mean_sequence_length = 10000000 × 10000 = "
                + "100000000000 interactions; expected at most 200000000 (lower users or mean_sequence_length)")
        let largest = try ExperimentSpec(json: specJSON(
            dataset: #"{"kind": "synthetic", "synthetic": {"users": 10000000, "mean_sequence_length": 20}}"#))
        #expect(largest.dataset.synthetic.map { $0.users * $0.meanSequenceLength } == SyntheticSpec.maxInteractions)
    }
}
