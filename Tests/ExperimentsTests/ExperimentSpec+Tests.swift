import Experiments
import Foundation
import Testing

/// A minimal valid spec with `extra` top-level members spliced in (each `"key": value`).
func specJSON(_ extra: String = "", dataset: String = #"{"kind": "synthetic"}"#) -> String {
    #"{"name": "demo", "dataset": \#(dataset)\#(extra.isEmpty ? "" : ", " + extra)}"#
}

/// The error a spec raises, or `nil` when it decodes.
func specError(_ json: String) -> ExperimentSpecError? {
    do {
        _ = try ExperimentSpec(json: json)
        return nil
    } catch let error as ExperimentSpecError {
        return error
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite("ExperimentSpec")
struct ExperimentSpecTests {
    @Test func minimalSpecGetsEveryDefault() throws {
        let spec = try ExperimentSpec(json: specJSON())
        #expect(spec.name == "demo")
        #expect(spec.dataset.kind == "synthetic")
        #expect(spec.dataset.synthetic?.users == 6040)
        #expect(spec.preprocessing.minSequenceLength == 5)
        #expect(spec.preprocessing.maxLength == 50)
        #expect(spec.preprocessing.historyFraction == 0.8)
        #expect(spec.preprocessing.labelCategories == 20)
        #expect(spec.preprocessing.pretrainUsers == "train")
        #expect(spec.preprocessing.kCore == nil)
        #expect(spec.encoder.kind == "transformer" && spec.encoder.d == 64 && spec.encoder.blocks == 2)
        #expect(spec.encoder.heads == 2 && spec.encoder.ff == 256 && spec.encoder.dropout == 0.1)
        #expect(spec.methods.map(\.name) == [.barlowTwins, .dualEncoder, .contrastive, .none, .bagOfItems])
        let bt = spec.methods[0]
        #expect(bt.epochs == 100 && bt.batchSize == 256 && bt.lr == 1e-3 && bt.weightDecay == 1e-6)
        #expect(bt.lambda == 1.0 / 256 && bt.projector == [256, 256, 256] && bt.temperature == nil)
        #expect(bt.augmentations == AugmentationSpec())
        #expect(bt.augmentations?.crop == 0.6 && bt.augmentations?.mask == 0.3 && bt.augmentations?.reorder == 0.3)
        #expect(spec.methods[1].temperature == 0.1 && spec.methods[1].augmentations == nil)
        #expect(spec.methods[3].epochs == nil)
        #expect(spec.methods[4].hashBuckets == 256)
        #expect(spec.tasks == ["next_category", "future_top_category", "future_categories"])
        #expect(spec.protocols == ["linear_probe", "fine_tune"])
        #expect(spec.labelFractions == [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0])
        #expect(spec.seeds == [0, 1, 2, 3, 4])
        #expect(spec.baseline == "dual_encoder")
        #expect(spec.sweep == nil)
        #expect(spec.linearProbe.l2Grid == [1e-4, 1e-3, 1e-2, 1e-1, 1] && spec.linearProbe.defaultL2 == 1e-2)
        #expect(spec.fineTune.patience == 5)
    }

    @Test func fullSpecReadsEveryFieldAndRoundTrips() throws {
        let json = """
            {
              "name": "ml1m-bt", "description": "the paper's comparison",
              "dataset": {"kind": "sequences", "path": "/data/beauty.txt", "item_attributes": "/data/beauty.json"},
              "preprocessing": {"min_sequence_length": 3, "k_core": 5, "max_length": 20, "history_fraction": 0.7,
                                "label_categories": 10, "pretrain_users": "all"},
              "encoder": {"kind": "mean_pool", "d": 32, "blocks": 1, "heads": 4, "ff": 64, "dropout": 0},
              "methods": [
                {"name": "barlow_twins", "epochs": 3, "batch_size": 64, "projector": [128, 64],
                 "augmentations": {"crop": 0.5, "enabled": ["crop", "mask"]}},
                {"name": "barlow_twins", "label": "bt-strong", "lambda": 0.05},
                {"name": "dual_encoder", "temperature": 0.05, "warmup_fraction": 0},
                {"name": "bag_of_items", "hash_buckets": 64}
              ],
              "tasks": ["next_category", "gender"], "protocols": ["linear_probe"],
              "label_fractions": [0.1, 1], "seeds": [7, 3], "baseline": "bt-strong",
              "sweep": {"parameter": "batch_size", "values": [16, 512]},
              "fine_tune": {"epochs": 4, "lr": 0.01, "patience": 2, "batch_size": 8},
              "linear_probe": {"l2_grid": [0.1, 1], "default_l2": 0.1, "min_validation_labels": 10}
            }
            """
        let spec = try ExperimentSpec(json: json)
        #expect(spec.dataset.itemAttributes == "/data/beauty.json")
        #expect(spec.preprocessing.kCore == 5 && spec.preprocessing.pretrainUsers == "all")
        #expect(spec.encoder.heads == 4 && spec.encoder.kind == "mean_pool")
        #expect(spec.methods[0].lambda == 1.0 / 64)  // Default follows the projector's last width.
        #expect(spec.methods[0].augmentations?.enabled == ["crop", "mask"])
        #expect(spec.methods[1].label == "bt-strong" && spec.methods[1].lambda == 0.05)
        #expect(spec.seeds == [7, 3])
        #expect(spec.sweep?.methods == ["barlow_twins", "bt-strong", "dual_encoder"])
        #expect(spec.linearProbe.minValidationLabels == 10)

        let encoded = try JSONEncoder().encode(spec)
        let decoded = try JSONDecoder().decode(ExperimentSpec.self, from: encoded)
        #expect(decoded == spec)
        let defaults = try ExperimentSpec(json: specJSON())
        #expect(try JSONDecoder().decode(ExperimentSpec.self, from: JSONEncoder().encode(defaults)) == defaults)
        let canonical = try defaults.canonicalJSON()
        #expect(try ExperimentSpec(json: canonical) == defaults)
        let text = String(decoding: canonical, as: UTF8.self)
        #expect(text.contains(#""label_fractions" : ["#) && text.contains(#""min_sequence_length" : 5"#))
        // Fields that do not apply to a method are left out, so the canonical form passes the strict decoder.
        let object = try #require(try JSONSerialization.jsonObject(with: canonical) as? [String: Any])
        let methods = try #require(object["methods"] as? [[String: Any]])
        #expect(methods[3].keys.sorted() == ["label", "name"])
        #expect(methods[4].keys.sorted() == ["hash_buckets", "label", "name"])
    }

    /// Bad specs and the exact message each must give.
    static let badSpecs: [(String, String)] = [
        (
            specJSON(#""methods": [{"name": "barlow_twins"}, {"name": "none"}, {"name": "bt"}]"#),
            #"methods[2].name: unknown method "bt"; allowed: barlow_twins, dual_encoder, contrastive, none, "#
                + "bag_of_items, hybrid"
        ),
        (
            specJSON(#""label_fractions": [0.1, 1.5]"#),
            "label_fractions[1]: 1.5 is out of range; expected a number in (0, 1]"
        ),
        (
            specJSON(#""label_fractions": [0]"#),
            "label_fractions[0]: 0 is out of range; expected a number in (0, 1]"
        ),
        (
            specJSON(#""label_fractions": [0.5, 0.5]"#),
            "label_fractions[1]: duplicate value 0.5 (already at label_fractions[0])"
        ),
        (
            specJSON(#""methods": [{"name": "barlow_twins", "lamda": 0.1}]"#),
            #"methods[0].lamda: unknown field for method "barlow_twins"; did you mean "lambda"?; "#
                + "allowed: name, label, "
                + "epochs, batch_size, lr, weight_decay, warmup_fraction, projector, lambda, augmentations, "
                + "gradient_clip, budget, optimizer, eval_every"
        ),
        (
            specJSON(#""methods": [{"name": "barlow_twins", "optimizer": "sgd"}]"#),
            #"methods[0].optimizer: unknown optimizer "sgd"; allowed: adamw, lazy_adamw"#
        ),
        (
            specJSON(#""methods": [{"name": "dual_encoder", "lambda": 0.1}]"#),
            #"methods[0].lambda: unknown field for method "dual_encoder"; allowed: name, label, epochs, "#
                + "batch_size, lr, "
                + "weight_decay, warmup_fraction, temperature, gradient_clip, budget, optimizer, eval_every"
        ),
        (
            specJSON(#""preprocesing": {}"#),
            #"preprocesing: unknown field; did you mean "preprocessing"?; allowed: name, description, dataset, "#
                + "preprocessing, encoder, methods, tasks, protocols, label_fractions, seeds, baseline, sweep, "
                + "fine_tune, "
                + "linear_probe"
        ),
        (
            specJSON(#""encoder": {"d": 64, "heads": 3}"#),
            "encoder.heads: 3 heads do not divide d = 64; expected a divisor of 64"
        ),
        (
            specJSON(#""encoder": {"d": "64"}"#),
            #"encoder.d: expected an integer in 1...4096, found string "64""#
        ),
        (
            specJSON(#""encoder": {"blocks": 1.5}"#),
            "encoder.blocks: expected an integer in 1...64, found number 1.5"
        ),
        (
            specJSON(#""preprocessing": {"max_length": 0}"#),
            "preprocessing.max_length: 0 is out of range; expected an integer in 1...4096"
        ),
        (
            specJSON(#""preprocessing": {"pretrain_users": "everyone"}"#),
            #"preprocessing.pretrain_users: unknown pretrain_users value "everyone"; allowed: train, all"#
        ),
        (
            specJSON(#""tasks": ["next_category", "nxt_category"]"#),
            #"tasks[1]: unknown task "nxt_category"; did you mean "next_category"?; allowed: next_category, "#
                + "future_top_category, future_categories, next_rating_high, gender, age_group, occupation"
        ),
        (specJSON(#""protocols": []"#), "protocols: expected a non-empty array, found an empty one"),
        (specJSON(#""seeds": 0"#), "seeds: 0 is out of range; expected an integer in 1...100"),
        (
            specJSON(#""seeds": "five""#),
            #"seeds: expected a seed count (1...100) or a list of seeds, found string "five""#
        ),
        (
            specJSON(#""baseline": "dual""#),
            #"baseline: unknown baseline method "dual"; did you mean "dual_encoder"?; allowed: barlow_twins, "#
                + "dual_encoder, contrastive, none, bag_of_items"
        ),
        (
            specJSON(#""methods": [{"name": "none"}, {"name": "none"}]"#),
            #"methods[1].label: duplicate method label "none" (also methods[0]); give each method a unique label"#
        ),
        (
            specJSON(#""sweep": {"parameter": "lambda", "values": [0.1], "methods": ["dual_encoder"]}"#),
            #"sweep.methods[0]: method "dual_encoder" has no lambda; allowed: barlow_twins"#
        ),
        (
            specJSON(#""methods": [{"name": "none"}], "sweep": {"parameter": "batch_size", "values": [16]}"#),
            "sweep.parameter: \"batch_size\" applies to none of the methods (none); it applies to barlow_twins, "
                + "dual_encoder, contrastive"
        ),
        (
            specJSON(#""sweep": {"parameter": "batch_size", "values": [16, 1]}"#),
            "sweep.values[1]: 1 is out of range; expected an integer in 2...65536"
        ),
        (#"{"dataset": {"kind": "synthetic"}}"#, "name: required field is missing; expected the experiment's name"),
        (
            specJSON(dataset: #"{"kind": "movielens1m"}"#),
            "dataset.path: required field is missing; expected the path of the movielens1m dataset folder"
        ),
        (
            specJSON(dataset: #"{"kind": "movielens"}"#),
            #"dataset.kind: unknown dataset kind "movielens"; did you mean "movielens1m"?; allowed: movielens1m, "#
                + "movielens100k, movielens20m, yelp, "
                + "sequences, synthetic"
        ),
        (
            specJSON(dataset: #"{"kind": "yelp", "path": "/y", "item_attributes": "/a.json"}"#),
            #"dataset.item_attributes: only used by dataset kind "sequences", not "yelp""#
        ),
        (
            specJSON(dataset: #"{"kind": "synthetic", "path": "/x"}"#),
            #"dataset.path: not used by dataset kind "synthetic"; remove it"#
        ),
        (
            specJSON(dataset: #"{"kind": "synthetic", "synthetic": {"users": 5}}"#),
            "dataset.synthetic.users: 5 is out of range; expected an integer in 10...10000000"
        ),
        (
            #"{"name": "bad name!", "dataset": {"kind": "synthetic"}}"#,
            #"name: "bad name!" is not a valid name; expected 1 to 100 characters from A-Z a-z 0-9 _ - ."#
        ),
        (#"[1, 2]"#, "the spec as a whole: expected an object of fields at the top level, found an array"),
        (#"{"": 1}"#, #""" (an empty name): unknown field; allowed: name, description, dataset, preprocessing, encoder, methods, tasks, protocols, label_fractions, seeds, baseline, sweep, fine_tune, linear_probe"#
            + "\nname: required field is missing; expected the experiment's name\ndataset: required field is missing; "
            + "expected an object with the name of an imported dataset, or a kind (movielens1m, movielens100k, "
            + "movielens20m, yelp, sequences, synthetic)"),
        (#""barlow_twins""#, #"the spec as a whole: expected an object of fields at the top level, found string "barlow_twins""#),
    ]

    @Test(arguments: badSpecs)
    func badSpecsGivePreciseErrors(json: String, expected: String) {
        #expect(specError(json)?.description == expected)
    }

    @Test func invalidJSONIsReportedAtTheRoot() throws {
        let error = try #require(specError(#"{"name": "demo", "#))
        #expect(error.path == "")
        #expect(error.message.hasPrefix("not valid JSON"))
    }

    @Test func decoderPathIncludesTheEnclosingDocument() throws {
        // A spec inside another document (a stored job payload) names the full path.
        struct Wrapper: Decodable { var spec: ExperimentSpec }
        let json = #"{"spec": {"name": "x", "dataset": {"kind": "synthetic"}, "encoder": {"dropout": 1}}}"#
        #expect {
            _ = try JSONDecoder().decode(Wrapper.self, from: Data(json.utf8))
        } throws: { error in
            (error as? ExperimentSpecError)?.description
                == "spec.encoder.dropout: 1 is out of range; expected a number in [0, 1)"
        }
    }

    @Test func datasetDependentChecksNameTheField() throws {
        let spec = try ExperimentSpec(
            json: specJSON(
                #""tasks": ["next_category", "gender"]"#,
                dataset: #"{"kind": "yelp", "path": "/data/yelp"}"#))
        #expect(throws: Never.self) { try spec.validate(supportedTasks: ["next_category", "gender"]) }
        #expect {
            try spec.validate(supportedTasks: ["next_category", "future_categories", "next_rating_high"])
        } throws: { error in
            (error as? ExperimentSpecError)?.description == #"tasks[1]: task "gender" is not supported by dataset "#
                + "yelp; supported: next_category, future_categories, next_rating_high"
        }
        #expect {
            try spec.validateDatasetFiles { _ in false }
        } throws: { error in
            (error as? ExperimentSpecError)?.description == #"dataset.path: no such file or folder "/data/yelp""#
        }
        #expect(throws: Never.self) { try spec.validateDatasetFiles { $0 == "/data/yelp" } }
    }
}
