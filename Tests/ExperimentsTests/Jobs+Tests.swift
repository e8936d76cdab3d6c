import Experiments
import Foundation
import Sequences
import Testing

/// Every file in `Jobs/` decodes with the strict decoder, resolves to a dataset request, validates its tasks and
/// plans.
@Suite("Jobs")
struct JobsTests {
    /// The tasks each job's dataset kind offers (PROTOCOL.md section 2; the loaded data is checked where present).
    static let tasksByKind: [String: Set<String>] = [
        "movielens1m": Set(ExperimentSpec.taskNames),
        "movielens100k": Set(ExperimentSpec.taskNames),
        "movielens20m": ["next_category", "future_top_category", "future_categories", "next_rating_high"],
        "yelp": ["next_category", "future_top_category", "future_categories", "next_rating_high"],
        "sequences": ["next_category", "future_top_category", "future_categories"],
        "synthetic": Set(ExperimentSpec.taskNames),
    ]

    static func jobFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: DataPaths.jobs).filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func everyJobFileDecodesValidatesAndPlans() throws {
        let files = try Self.jobFiles()
        #expect(files == ["amazon-beauty.json", "demo.json", "ml-100k.json", "ml-1m.json", "ml-20m.json", "yelp.json"])
        for file in files {
            let data = try #require(FileManager.default.contents(atPath: DataPaths.jobs + "/" + file))
            let spec = try ExperimentSpec(json: String(decoding: data, as: UTF8.self))
            #expect(spec.name + ".json" == file)
            let supported = try #require(Self.tasksByKind[spec.dataset.kind ?? ""])
            let plan = try ExperimentPlan(spec: spec, supportedTasks: supported)
            #expect(!plan.jobs.isEmpty)
            #expect(plan.jobs.filter { $0.kind == .pretrain }.count == spec.methods.count * spec.seeds.count)
            #expect(Set(spec.methods.map(\.name.rawValue)) == Set(ExperimentSpec.defaultMethodNames), "\(file)")
            for seed in spec.seeds { _ = try DatasetRequest(spec: spec, seed: seed) }
            if spec.dataset.kind != "synthetic" {
                #expect(spec.dataset.path?.hasPrefix("data/") == true, "\(file): paths are placeholders under data/")
            }
        }
    }

    @Test func demoIsSmallAndItsTasksAreSupportedByTheGeneratedData() throws {
        let data = try #require(FileManager.default.contents(atPath: DataPaths.jobs + "/demo.json"))
        let spec = try ExperimentSpec(json: String(decoding: data, as: UTF8.self))
        let synthetic = try #require(spec.dataset.synthetic)
        #expect(synthetic.users <= 5000)
        #expect(spec.methods.compactMap(\.epochs).allSatisfy { $0 <= 10 })
        let dataset = try DatasetRequest(spec: spec, seed: spec.seeds[0]).load()
        try spec.validate(against: dataset)
        #expect(dataset.vocabulary.count >= 10)
        let plan = try ExperimentPlan(spec: spec, supportedTasks: dataset.supportedTaskNames)
        #expect(plan.summary.pretrain == 15)
    }

    @Test(.enabled(if: DataPaths.realDataTestsEnabled))
    func realJobsValidateAgainstTheSharedData() throws {
        let root = try DataPaths.requireSharedData()
        // The placeholders `data/…` point at the shared data once `data` is replaced by its folder.
        for file in ["amazon-beauty.json", "ml-100k.json"] {
            let data = try #require(FileManager.default.contents(atPath: DataPaths.jobs + "/" + file))
            var spec = try ExperimentSpec(json: String(decoding: data, as: UTF8.self))
            spec.dataset.path = spec.dataset.path.map { root + $0.dropFirst(4) }
            spec.dataset.itemAttributes = spec.dataset.itemAttributes.map { root + $0.dropFirst(4) }
            try spec.validateDatasetFilesOnDisk()
            let dataset = try DatasetCache.shared.prepared(DatasetRequest(spec: spec, seed: 0))
            try spec.validate(against: dataset)
            #expect(dataset.supportedTaskNames == Self.tasksByKind[spec.dataset.kind ?? ""], "\(file)")
        }
    }
}
