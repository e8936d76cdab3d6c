import Foundation
import Learning
import Testing

@testable import Experiments

/// The spec's field tables: they drive decoding and the README's field table, which must be current.
@Suite("Spec field tables")
struct SpecFieldsTests {
    @Test func theReadmeHoldsTheGeneratedFieldTable() throws {
        let readme = try String(contentsOf: DataPaths.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- spec-fields:"))
        let afterMarker = try #require(readme[begin.upperBound...].range(of: "-->\n"))
        let end = try #require(readme.range(of: "<!-- /spec-fields -->"))
        let table = String(readme[afterMarker.upperBound..<end.lowerBound])
        #expect(table == ExperimentSpec.fieldTableMarkdown,
                "README.md's spec field table is stale: replace it with the output of `seqtwins spec fields`")
    }

    @Test func everyKeyOfEveryTableDecodesAndUnknownKeysNameTheTable() throws {
        // Each section's keys are exactly what its reader accepts: an unknown key lists them.
        let error = #expect(throws: ExperimentSpecError.self) {
            _ = try ExperimentSpec(json: #"{"name": "x", "dataset": {"kind": "synthetic"}, "preprocessing": {"max_lenght": 3}}"#)
        }
        #expect(error?.path == "preprocessing.max_lenght")
        #expect(error?.message.contains("did you mean \"max_length\"") == true)
        #expect(error?.message.contains(PreprocessingSpec.fields.map(\.key).joined(separator: ", ")) == true)
    }

    @Test func methodDefaultsAndSweepParametersComeFromTheTable() throws {
        let bt = MethodSpec.defaults(for: .barlowTwins)
        #expect(bt.epochs == 100 && bt.batchSize == 256 && bt.lambda == 1.0 / 256 && bt.projector == [256, 256, 256])
        #expect(bt.temperature == nil && bt.hashBuckets == nil)
        let bag = MethodSpec.defaults(for: .bagOfItems)
        #expect(bag.hashBuckets == 256 && bag.epochs == nil)
        #expect(SweepSpec.parameters == ["epochs", "batch_size", "lr", "weight_decay", "warmup_fraction", "lambda",
                                         "temperature", "augmentations.crop", "augmentations.mask",
                                         "augmentations.reorder", "projector", "augmentations.enabled"])
        let sweep = SweepSpec(parameter: "batch_size", values: [32], methods: ["barlow_twins"])
        #expect(sweep.applying(32, to: bt).batchSize == 32)
        // A sweep value is checked against the field's own range.
        #expect(throws: ExperimentSpecError.self) {
            _ = try ExperimentSpec(json: #"""
                {"name": "x", "dataset": {"kind": "synthetic"}, "sweep": {"parameter": "batch_size", "values": [1]}}
                """#)
        }
    }

    @Test func gradientClippingIsASpecFieldThatReachesTraining() throws {
        let spec = try ExperimentSpec(json: #"""
            {"name": "x", "dataset": {"kind": "synthetic"},
             "methods": [{"name": "barlow_twins", "gradient_clip": 0}, {"name": "dual_encoder"}]}
            """#)
        let off = try PretrainConfig(method: spec.methods[0], encoder: spec.encoder, preprocessing: spec.preprocessing,
                                     itemCount: 100)
        #expect(off.gradientClip == nil)
        let byDefault = try PretrainConfig(method: spec.methods[1], encoder: spec.encoder,
                                           preprocessing: spec.preprocessing, itemCount: 100)
        #expect(byDefault.gradientClip == 1)
    }

    @Test func theOptimizerIsASpecFieldThatReachesTrainingAndStaysOutOfDefaultSpecs() throws {
        let spec = try ExperimentSpec(json: #"""
            {"name": "x", "dataset": {"kind": "synthetic"},
             "methods": [{"name": "barlow_twins", "optimizer": "lazy_adamw"}, {"name": "dual_encoder"}]}
            """#)
        let lazy = try PretrainConfig(method: spec.methods[0], encoder: spec.encoder, preprocessing: spec.preprocessing,
                                      itemCount: 100)
        #expect(lazy.optimizer == .lazyAdamW)
        let byDefault = try PretrainConfig(method: spec.methods[1], encoder: spec.encoder,
                                           preprocessing: spec.preprocessing, itemCount: 100)
        #expect(byDefault.optimizer == .adamW)
        // Unset, the field is absent from the method's encoding, so specs without it keep their job keys.
        #expect(spec.methods[1].optimizer == nil)
    }

    @Test func fineTuningHasItsOwnOptimizerField() throws {
        let lazy = try ExperimentSpec(json: #"""
            {"name": "x", "dataset": {"kind": "synthetic"}, "methods": [{"name": "barlow_twins"}],
             "protocols": ["fine_tune"], "fine_tune": {"optimizer": "lazy_adamw"}}
            """#)
        #expect(FineTuneConfig(spec: lazy.fineTune).optimizer == .lazyAdamW)
        let byDefault = try ExperimentSpec(json: #"{"name": "x", "dataset": {"kind": "synthetic"}}"#)
        #expect(FineTuneConfig(spec: byDefault.fineTune).optimizer == .adamW)
        // It survives the resolved spec's round trip (what the plan stores and evaluate payloads carry).
        let again = try JSONDecoder().decode(FineTuneSpec.self, from: JSONEncoder().encode(lazy.fineTune))
        #expect(again == lazy.fineTune)
        // Unset, it stays out of the encoding, so experiments that do not use it keep their payloads.
        let plain = String(decoding: try JSONEncoder().encode(byDefault.fineTune), as: UTF8.self)
        #expect(!plain.contains("optimizer"))
        let unknown = #expect(throws: ExperimentSpecError.self) {
            try ExperimentSpec(json: #"""
                {"name": "x", "dataset": {"kind": "synthetic"}, "fine_tune": {"optimizer": "sgd"}}
                """#)
        }
        #expect(unknown.map { "\($0)" }?.contains("fine_tune.optimizer") == true)
        #expect(unknown.map { "\($0)" }?.contains("adamw, lazy_adamw") == true)
    }
}
