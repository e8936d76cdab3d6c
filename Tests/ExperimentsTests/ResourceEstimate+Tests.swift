import Foundation
import Testing

@testable import Experiments

/// The memory estimate refuses encoders that cannot fit, at enqueue time, and lets the protocol's sizes through.
@Suite("Resource estimate")
struct ResourceEstimateTests {
    private func spec(_ encoder: String, batch: Int = 256) throws -> ExperimentSpec {
        try ExperimentSpec(json: """
            {"name": "x", "dataset": {"kind": "synthetic"}, "encoder": \(encoder),
             "methods": [{"name": "barlow_twins", "batch_size": \(batch)}, {"name": "none"}]}
            """)
    }

    @Test func theProtocolsEncoderFitsInAFewHundredMegabytes() throws {
        let protocolSize = try spec(#"{"d": 64, "blocks": 2, "heads": 2, "ff": 256}"#)
        let estimate = ResourceEstimate(method: protocolSize.methods[0], encoder: protocolSize.encoder,
                                        maxLength: 50, itemCount: 3_706, interactions: 1_000_209)
        #expect(estimate.parameters > 300_000 && estimate.parameters < 1_000_000, "\(estimate)")
        #expect(estimate.totalBytes < 1 << 30, "\(estimate)")
        try protocolSize.checkResources(itemCount: 3_706, interactions: 1_000_209, limit: 4 << 30)
    }

    @Test func anEncoderThatCannotFitIsRefusedNamingTheMethod() throws {
        // Every value within its documented range, together far beyond any machine (issue: d 4096, 64 blocks, ff 65536).
        let huge = try spec(#"{"d": 4096, "blocks": 64, "heads": 64, "ff": 65536}"#)
        let error = #expect(throws: ExperimentSpecError.self) {
            try huge.checkResources(itemCount: 3_706, interactions: 1_000_209, limit: 24 << 30)
        }
        #expect(error?.path == "methods[0]")
        #expect(error?.message.contains("more than the 24.0 GiB a job may use") == true, "\(String(describing: error))")
        // A swept batch size is checked too.
        var swept = try spec(#"{"d": 64}"#)
        swept.sweep = SweepSpec(parameter: "batch_size", values: [64, 65_536], methods: ["barlow_twins"])
        #expect(throws: ExperimentSpecError.self) {
            try swept.checkResources(itemCount: 3_706, interactions: 1_000_209, limit: 4 << 30)
        }
        // So is a batch size on any axis of a grid.
        swept.sweep = SweepSpec(axes: [.init(parameter: "epochs", values: [1, 2]),
                                       .init(parameter: "batch_size", values: [64, 65_536])],
                                methods: ["barlow_twins"])
        #expect(throws: ExperimentSpecError.self) {
            try swept.checkResources(itemCount: 3_706, interactions: 1_000_209, limit: 4 << 30)
        }
        swept.sweep = SweepSpec(axes: [.init(parameter: "epochs", values: [1, 2]),
                                       .init(parameter: "batch_size", values: [64, 128])],
                                methods: ["barlow_twins"])
        try swept.checkResources(itemCount: 3_706, interactions: 1_000_209, limit: 4 << 30)
    }

    @Test func hugeValuesSaturateInsteadOfTrapping() {
        var method = MethodSpec.defaults(for: .barlowTwins)
        method.batchSize = 65_536
        method.projector = [65_536, 65_536, 65_536, 65_536, 65_536, 65_536, 65_536, 65_536]
        var encoder = EncoderSpec()
        encoder.d = 4096
        encoder.ff = 65_536
        encoder.blocks = 64
        let estimate = ResourceEstimate(method: method, encoder: encoder, maxLength: 4096, itemCount: 10_000_000,
                                        interactions: 200_000_000)
        #expect(estimate.totalBytes > 1 << 50)
    }
}
