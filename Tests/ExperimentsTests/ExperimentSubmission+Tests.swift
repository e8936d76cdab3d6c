import Foundation
import Testing

@testable import Experiments

/// Checks that need the loaded dataset name the spec field that decides them.
@Suite("Experiment submission")
struct ExperimentSubmissionTests {
    @Test func aFilterNoUserSurvivesNamesTheFilter() throws {
        for (preprocessing, field) in [(#"{"min_sequence_length": 1000}"#, "preprocessing.min_sequence_length"),
                                       (#"{"k_core": 900}"#, "preprocessing.k_core")] {
            let spec = try ExperimentSpec(json: """
                {"name": "x", "dataset": {"kind": "synthetic", "synthetic": {"users": 300, "items": 100,
                 "mean_sequence_length": 20}}, "preprocessing": \(preprocessing), "methods": [{"name": "none"}]}
                """)
            let error = #expect(throws: ExperimentSpecError.self) {
                _ = try ExperimentSubmission(spec: spec, cache: DatasetCache())
            }
            #expect(error?.path == field, "\(String(describing: error))")
            #expect(error?.message.contains("users have at least") == true)
        }
    }
}
