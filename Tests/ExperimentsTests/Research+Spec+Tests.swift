import Experiments
import Foundation
import Testing

/// `methods[].budget`: one of epochs, steps, examples; epochs stay the default.
@Suite("Spec budgets")
struct SpecBudgetTests {
    @Test func aBudgetInStepsOrExamplesReplacesEpochs() throws {
        let spec = try ExperimentSpec(json: specJSON(#"""
            "methods": [{"name": "barlow_twins", "budget": {"steps": 500}},
                        {"name": "dual_encoder", "budget": {"examples": 64000}},
                        {"name": "contrastive", "budget": {"epochs": 8}}, {"name": "none"}]
            """#))
        #expect(spec.methods[0].budget == BudgetSpec(.steps, 500) && spec.methods[0].epochs == nil)
        #expect(spec.methods[1].budget == BudgetSpec(.examples, 64000) && spec.methods[1].epochs == nil)
        #expect(spec.methods[2].budget == nil && spec.methods[2].epochs == 8)
        #expect(spec.methods[3].budget == nil)
        // The canonical form keeps the budget and decodes back to an equal spec.
        let canonical = String(decoding: try spec.canonicalJSON(), as: UTF8.self)
        #expect(canonical.contains(#""budget" : {"#) && canonical.contains(#""steps" : 500"#))
        #expect(try ExperimentSpec(json: canonical) == spec)
        // An epoch budget is the old spec exactly.
        #expect(try ExperimentSpec(json: specJSON(#""methods": [{"name": "contrastive", "budget": {"epochs": 8}}]"#))
                == ExperimentSpec(json: specJSON(#""methods": [{"name": "contrastive", "epochs": 8}]"#)))
    }

    @Test func budgetErrorsNameTheField() {
        #expect(specError(specJSON(#""methods": [{"name": "barlow_twins", "budget": {"steps": 5, "examples": 9}}]"#))?
            .description == "methods[0].budget: expected exactly one of epochs, steps, examples, found steps and examples")
        #expect(specError(specJSON(#""methods": [{"name": "barlow_twins", "budget": {}}]"#))?.description
            == "methods[0].budget: expected exactly one of epochs, steps, examples, found none")
        #expect(specError(specJSON(#""methods": [{"name": "barlow_twins", "epochs": 3, "budget": {"steps": 9}}]"#))?
            .path == "methods[0].budget")
        #expect(specError(specJSON(#""methods": [{"name": "barlow_twins", "budget": {"steps": 0}}]"#))?.path
            == "methods[0].budget.steps")
        #expect(specError(specJSON(#""methods": [{"name": "barlow_twins", "budget": {"step": 9}}]"#))?.description
            .contains(#"did you mean "steps"?"#) == true)
        #expect(specError(specJSON(#""methods": [{"name": "none", "budget": {"steps": 9}}]"#))?.path
            == "methods[0].budget")
    }
}

/// Cartesian sweeps: series names from the values, one pretraining per grid point, baselines by label or series.
@Suite("Spec grid sweeps")
struct SpecGridSweepTests {
    static let grid = specJSON(#"""
        "methods": [{"name": "barlow_twins"}, {"name": "dual_encoder"}, {"name": "none"}],
        "tasks": ["next_category"], "protocols": ["linear_probe"], "label_fractions": [0.1, 1], "seeds": 2,
        "sweep": {"grid": {"lambda": [0.005, 0.01], "batch_size": [32, 64]}}
        """#)

    @Test func aGridSweepsTheParametersThatApplyToEachMethod() throws {
        let spec = try ExperimentSpec(json: Self.grid)
        #expect(spec.sweep?.axes.map(\.parameter) == ["batch_size", "lambda"])  // field-table order
        #expect(spec.sweep?.methods == ["barlow_twins", "dual_encoder"])
        #expect(ExperimentPlan.series(of: spec) == [
            "barlow_twins[batch_size=32,lambda=0.005]", "barlow_twins[batch_size=32,lambda=0.01]",
            "barlow_twins[batch_size=64,lambda=0.005]", "barlow_twins[batch_size=64,lambda=0.01]",
            "dual_encoder[batch_size=32]", "dual_encoder[batch_size=64]", "none",
        ])
        let plan = try ExperimentPlan(spec: spec)
        // 7 series × 2 seeds × (pretrain + embed + 2 evaluations).
        #expect(plan.jobs.count == 7 * 2 * 4)
        #expect(plan.summary.series.count == 7 && plan.summary.pretrain == 14)
        let job = try #require(plan.job("pretrain/barlow_twins/seed=1/batch_size=64/lambda=0.01"))
        guard case .pretrain(let payload) = job.payload else { Issue.record("not a pretrain job"); return }
        #expect(payload.method.batchSize == 64 && payload.method.lambda == 0.01)
        #expect(payload.sweep == nil && payload.points.map(\.label) == ["batch_size=64", "lambda=0.01"])
        #expect(plan.job("evaluate/dual_encoder/seed=0/batch_size=32/next_category/linear_probe/fraction=1") != nil)
        // The canonical form writes the grid and reads back equal.
        #expect(try ExperimentSpec(json: String(decoding: try spec.canonicalJSON(), as: UTF8.self)) == spec)
    }

    @Test func aOneParameterSweepKeepsItsSeriesKeysAndPayloads() throws {
        let spec = try ExperimentSpec(json: specJSON(#"""
            "methods": [{"name": "barlow_twins"}], "sweep": {"parameter": "batch_size", "values": [16, 64]}
            """#))
        #expect(ExperimentPlan.series(of: spec) == ["barlow_twins[batch_size=16]", "barlow_twins[batch_size=64]"])
        let plan = try ExperimentPlan(spec: spec)
        let job = try #require(plan.job("pretrain/barlow_twins/seed=0/batch_size=64"))
        guard case .pretrain(let payload) = job.payload else { Issue.record("not a pretrain job"); return }
        #expect(payload.sweep == SweepPoint(parameter: "batch_size", value: 64) && payload.grid == nil)
        let json = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        #expect(!json.contains("grid"))
        let canonical = String(decoding: try spec.canonicalJSON(), as: UTF8.self)
        #expect(canonical.contains(#""parameter" : "batch_size""#) && !canonical.contains(#""grid""#))
    }

    @Test func augmentationRatesSweepOnlyTheMethodsWithAugmentations() throws {
        let spec = try ExperimentSpec(json: specJSON(#"""
            "methods": [{"name": "barlow_twins"}, {"name": "dual_encoder"}],
            "sweep": {"grid": {"augmentations.mask": [0.1, 0.5]}}
            """#))
        #expect(ExperimentPlan.series(of: spec) == [
            "barlow_twins[augmentations.mask=0.1]", "barlow_twins[augmentations.mask=0.5]", "dual_encoder",
        ])
        let plan = try ExperimentPlan(spec: spec)
        guard case .pretrain(let payload) = plan.job("pretrain/barlow_twins/seed=0/augmentations.mask=0.5")?.payload
        else { Issue.record("no such job"); return }
        #expect(payload.method.augmentations?.mask == 0.5)
    }

    @Test func projectorWidthsAndAugmentationSetsSweepAsLists() throws {
        let spec = try ExperimentSpec(json: specJSON(#"""
            "methods": [{"name": "barlow_twins"}, {"name": "barlow_twins", "label": "fixed", "lambda": 0.02}],
            "sweep": {"grid": {"projector": [[128, 128], [64]], "augmentations.enabled": [["crop", "mask"], ["reorder"]]}}
            """#))
        #expect(ExperimentPlan.series(of: spec).prefix(4) == [
            "barlow_twins[projector=128+128,augmentations.enabled=crop+mask]",
            "barlow_twins[projector=128+128,augmentations.enabled=reorder]",
            "barlow_twins[projector=64,augmentations.enabled=crop+mask]",
            "barlow_twins[projector=64,augmentations.enabled=reorder]",
        ])
        let plan = try ExperimentPlan(spec: spec)
        guard case .pretrain(let swept) = plan.job("pretrain/barlow_twins/seed=0/projector=64/augmentations.enabled=reorder")?.payload,
            case .pretrain(let fixed) = plan.job("pretrain/fixed/seed=0/projector=64/augmentations.enabled=reorder")?.payload
        else { Issue.record("no such jobs"); return }
        #expect(swept.method.projector == [64] && swept.method.augmentations?.enabled == ["reorder"])
        #expect(swept.method.lambda == 1.0 / 64)  // λ follows the last width by default...
        #expect(fixed.method.lambda == 0.02)  // ...but not where the method sets it.
        #expect(swept.grid?.map(\.label) == ["projector=64", "augmentations.enabled=reorder"])
        // The canonical form writes the lists back as lists and reads back equal.
        let canonical = String(decoding: try spec.canonicalJSON(), as: UTF8.self)
        #expect(try ExperimentSpec(json: canonical) == spec)
        #expect(specError(specJSON(#""sweep": {"parameter": "projector", "values": [[1, 2], [1, 2]]}"#))?.path
                == "sweep.values[1]")
        #expect(specError(specJSON(#""sweep": {"parameter": "augmentations.enabled", "values": [["crop", "blur"]]}"#))?
            .path == "sweep.values[0][1]")
    }

    @Test func theBaselineIsALabelOrASeries() throws {
        let swept = #""methods": [{"name": "barlow_twins"}, {"name": "dual_encoder"}], "sweep": {"parameter": "batch_size", "values": [32, 64]}"#
        #expect(try ExperimentSpec(json: specJSON(swept + #", "baseline": "dual_encoder""#)).baseline == "dual_encoder")
        #expect(try ExperimentSpec(json: specJSON(swept + #", "baseline": "dual_encoder[batch_size=32]""#)).baseline
                == "dual_encoder[batch_size=32]")
        let error = specError(specJSON(swept + #", "baseline": "dual_encoder[batch_size=16]""#))
        #expect(error?.path == "baseline")
        #expect(error?.message.contains("dual_encoder[batch_size=32]") == true)
    }

    @Test func gridErrorsNameTheirPaths() {
        #expect(specError(specJSON(#""sweep": {"grid": {"lamda": [1]}}"#))?.description.contains(
            #"sweep.grid.lamda: unknown field (sweep parameter); did you mean "lambda"?"#) == true)
        #expect(specError(specJSON(#""sweep": {"grid": {}}"#))?.path == "sweep.grid")
        #expect(specError(specJSON(#""sweep": {"grid": {"lr": [1]}, "parameter": "lr"}"#))?.path == "sweep.parameter")
        #expect(specError(specJSON(#""sweep": {"grid": {"batch_size": [1]}}"#))?.path == "sweep.grid.batch_size[0]")
    }
}

/// Every independent spec error is reported at once, each with its path; a syntax error stays one error.
@Suite("Spec errors all at once")
struct SpecAllErrorsTests {
    @Test func independentErrorsAreCollected() throws {
        let error = try #require(specError(#"""
            {"name": "x y", "dataset": {"kind": "synthetic"}, "seeds": 0,
             "methods": [{"name": "barlow_twins", "lr": -1}, {"name": "bt"}, {"name": "none", "label": "n"}],
             "label_fractions": [0.5, 2], "fine_tune": {"patience": 0}, "colour": 1}
            """#))
        let paths = error.all.map(\.path)
        #expect(paths == [
            "colour", "name", "methods[0].lr", "methods[1].name", "label_fractions[1]", "seeds", "fine_tune.patience",
        ], "\(error)")
        #expect(error.description.split(separator: "\n").count == paths.count)
    }

    @Test func aFieldThatDependsOnAFailedOneIsNotReported() throws {
        let error = try #require(specError(specJSON(#""methods": [{"name": "bt"}], "baseline": "bt""#)))
        #expect(error.all.map(\.path) == ["methods[0].name"])
    }

    @Test func aSyntaxErrorIsOneError() throws {
        let error = try #require(specError(#"{"name": "x", "seeds": 0,, }"#))
        #expect(error.all.count == 1)
    }

    @Test func aSingleErrorIsUnchanged() {
        #expect(specError(specJSON(#""seeds": 0"#)) == ExperimentSpecError(
            path: "seeds", message: "0 is out of range; expected an integer in 1...100"))
    }
}
