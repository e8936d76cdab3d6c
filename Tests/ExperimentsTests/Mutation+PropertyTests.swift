import Foundation
import PropertyBased
import Sequences
import Testing

@testable import Experiments
import Randomness

/// Property-based tests: valid specs and data files mutated at random never crash or hang the readers, and every
/// error names its place (a field path, or a line and column; a file and line for data).
@Suite("Mutated inputs")
struct MutationPropertyTests {
    /// Valid specs to mutate: the demo and a small one touching most sections.
    static let specs: [String] = [
        (try? String(contentsOfFile: DataPaths.jobs + "/demo.json", encoding: .utf8)) ?? "{}",
        #"""
        {"name": "tiny", "dataset": {"kind": "synthetic", "synthetic": {"users": 400, "items": 120, "categories": 8,
         "mean_sequence_length": 20, "seed": 1}}, "preprocessing": {"max_length": 20, "label_categories": 6},
         "encoder": {"kind": "transformer", "d": 16, "blocks": 1, "heads": 2, "ff": 32},
         "methods": [{"name": "barlow_twins", "epochs": 2, "batch_size": 64, "projector": [32, 32],
                      "augmentations": {"crop": 0.5, "enabled": ["crop", "mask"]}},
                     {"name": "dual_encoder", "epochs": 2, "temperature": 0.2}, {"name": "bag_of_items"}],
         "tasks": ["future_top_category", "future_categories"], "protocols": ["linear_probe", "fine_tune"],
         "label_fractions": [0.5, 1], "fine_tune": {"epochs": 3, "patience": 2},
         "linear_probe": {"l2_grid": [0.01, 0.1]}, "sweep": {"parameter": "lr", "values": [0.001, 0.01]},
         "seeds": [0, 7]}
        """#,
    ]

    /// Replacement text for one mutation: JSON punctuation, edge numbers, odd strings.
    static let fragments = [
        "{", "}", "[", "]", ",", ":", "\"", "\\", "-", "0", "1e400", "-1", "1e-300", "4096", "65537", "null", "true",
        "\"x\"", "\"\\ud800\"", "\"\\u0000\"", "[]", "{}", "0.5", "NaN", "2147483648", "\"barlow_twins\"", "  ",
        "\"methods\"", "\"dataset\"",
    ]

    /// `text` with `count` random edits (delete, insert or replace a span) from `seed`.
    static func mutate(_ text: String, seed: UInt64, count: Int) -> String {
        var generator = SplitMix64(seed: seed)
        var bytes = Array(text.utf8)
        for _ in 0..<count where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &generator)
            let length = min(Int.random(in: 0...6, using: &generator), bytes.count - at)
            let fragment = Array(fragments.randomElement(using: &generator)!.utf8)
            switch Int.random(in: 0..<4, using: &generator) {
            case 0: bytes.removeSubrange(at..<(at + length))
            case 1: bytes.insert(contentsOf: fragment, at: at)
            case 2: bytes.replaceSubrange(at..<(at + length), with: fragment)
            default: bytes.removeSubrange(at...)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func mutatedSpecsNeverCrashAndEveryErrorNamesItsPlace() async {
        await propertyCheck(count: 400, input: Gen.int(in: 0...Int.max), Gen.int(in: 1...4), Gen.int(in: 0...1)) {
            seed, edits, which in
            let text = Self.mutate(Self.specs[which], seed: UInt64(seed), count: edits)
            do {
                _ = try ExperimentSpec(json: text)
            } catch let error as ExperimentSpecError {
                let placed = !error.path.isEmpty || (error.message.contains("line") && error.message.contains("column"))
                    || error.message.hasPrefix("the spec as a whole:")
                #expect(placed, "no place in \(error) for:\n\(text)")
                #expect(error.description.count < 2_000, "an error too long to read: \(error.description.prefix(200))")
            } catch {
                Issue.record("not an ExperimentSpecError: \(error) for:\n\(text)")
            }
        }
    }

    /// Replaces one field's value, anywhere in the spec, with a value of another shape.
    @Test func specsWithOneFieldOfTheWrongShapeNameThatField() async throws {
        let base = try JSONSerialization.jsonObject(with: Data(Self.specs[1].utf8)) as! [String: Any]
        var paths: [[String]] = []
        func collect(_ object: [String: Any], _ prefix: [String]) {
            for (key, value) in object {
                paths.append(prefix + [key])
                if let child = value as? [String: Any] { collect(child, prefix + [key]) }
            }
        }
        collect(base, [])
        let replacements: [Any] = [NSNull(), -1, 1e12, 0.5, "text", true, [Any](), [String: Any](), ["a", 1]]
        let allPaths = paths
        await propertyCheck(count: 300, input: Gen.int(in: 0..<allPaths.count), Gen.int(in: 0..<replacements.count)) {
            p, r in
            let path = allPaths[p]
            func replaced(_ object: [String: Any], _ rest: ArraySlice<String>) -> [String: Any] {
                var copy = object
                guard let key = rest.first else { return copy }
                if rest.count == 1 {
                    copy[key] = replacements[r]
                } else if let child = object[key] as? [String: Any] {
                    copy[key] = replaced(child, rest.dropFirst())
                }
                return copy
            }
            let data = try! JSONSerialization.data(withJSONObject: replaced(base, path[...]))
            do {
                _ = try ExperimentSpec(json: data)
            } catch let error as ExperimentSpecError {
                #expect(!error.path.isEmpty, "\(path.joined(separator: ".")): \(error)")
            } catch {
                Issue.record("not an ExperimentSpecError: \(error)")
            }
        }
    }

    @Test func mutatedDataFilesNeverCrashAndEveryErrorNamesFileAndLine() async throws {
        let folder = DataPaths.temporaryDirectory("mutated-data")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sequences = (1...40).map { user in "u\(user) " + (0..<6).map { "i\((user * 7 + $0) % 30)" }.joined(separator: " ") }
            .joined(separator: "\n") + "\n"
        let ratings = (0..<200).map { "\($0 % 20 + 1)\t\($0 % 37 + 1)\t\($0 % 5 + 1)\t\(880_000_000 + $0)" }
            .joined(separator: "\n") + "\n"
        await propertyCheck(count: 200, input: Gen.int(in: 0...Int.max), Gen.int(in: 1...5)) { seed, edits in
            let path = folder + "/\(seed % 1_000_003)"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: path) }
            let mutatedSequences = Self.mutate(sequences, seed: UInt64(seed), count: edits)
            let mutatedRatings = Self.mutate(ratings, seed: UInt64(seed) &+ 1, count: edits)
            try? mutatedSequences.write(toFile: path + "/seq.txt", atomically: true, encoding: .utf8)
            try? mutatedRatings.write(toFile: path + "/u.data", atomically: true, encoding: .utf8)
            for load in [{ _ = try SequenceFileReader.load(path: path + "/seq.txt") },
                         { _ = try MovieLens100KReader.load(directory: path) }] {
                do {
                    try load()
                } catch let error as DatasetError {
                    #expect(error.file.hasPrefix(path), "\(error)")
                    #expect(error.line != nil || error.message.contains("no interactions") || error.message.contains("empty"),
                            "no line in \(error)")
                } catch {
                    Issue.record("not a DatasetError: \(error)")
                }
            }
        }
    }
}
