import Experiments
import Foundation
import Sequences
import Testing

/// A small synthetic spec (fast to generate and prepare).
func smallSyntheticSpec(users: Int = 400, extra: String = "") -> String {
    specJSON(
        extra,
        dataset: #"{"kind": "synthetic", "synthetic": {"users": \#(users), "items": 300, "categories": 12, "#
            + #""mean_sequence_length": 20, "seed": 4}}"#)
}

@Suite("DatasetRequest")
struct DatasetRequestTests {
    @Test func filesDatasetMapsEveryField() throws {
        let spec = try ExperimentSpec(
            json: specJSON(
                #""preprocessing": {"min_sequence_length": 3, "k_core": 2, "max_length": 20, "history_fraction": 0.7, "#
                    + #""label_categories": 10, "pretrain_users": "all"}"#,
                dataset: #"{"kind": "sequences", "path": "/d/seq.txt", "item_attributes": "/d/attrs.json"}"#))
        let request = try DatasetRequest(spec: spec, seed: 3)
        let expected = Sequences.DatasetSpec(
            kind: .sequences, path: "/d/seq.txt", options: ["attributes": "/d/attrs.json"])
        #expect(request.source == .files(expected))
        let p = request.preprocessing
        #expect(p.minSequenceLength == 3 && p.kCore == 2 && p.maxLength == 20 && p.historyFraction == 0.7)
        #expect(p.labelCategories == 10 && p.seed == 3)
        #expect(p.trainFraction == 0.7 && p.validationFraction == 0.1)
        #expect(request.pretrainUsers == "all")
        #expect(request.kindName == "sequences")
        for (kind, reader) in [
            ("movielens1m", Sequences.DatasetSpec.Kind.movielens1m), ("movielens100k", .movielens100k),
            ("movielens20m", .movielens20m), ("yelp", .yelp),
        ] {
            let spec = try ExperimentSpec(json: specJSON(dataset: #"{"kind": "\#(kind)", "path": "data/x"}"#))
            let source = try DatasetRequest(spec: spec, seed: 0).source
            #expect(source == .files(Sequences.DatasetSpec(kind: reader, path: "data/x")))
        }
    }

    @Test func syntheticDatasetMapsTheGeneratorSettings() throws {
        let spec = try ExperimentSpec(json: smallSyntheticSpec())
        let request = try DatasetRequest(spec: spec, seed: 1)
        var config = SyntheticConfig(users: 400, items: 300, categories: 12, meanLength: 20, seed: 4)
        #expect(request.source == .synthetic(config))
        #expect(try DatasetRequest(spec: ExperimentSpec(json: specJSON()), seed: 0).source
            == .synthetic(SyntheticConfig(users: 6040, items: 3706, categories: 18, meanLength: 165, seed: 0)))
        // Generated in memory, exactly the generator's data; the experiment seed changes only the split.
        let dataset = try request.loadSource()
        #expect(dataset.userCount == 400 && dataset.itemCount == 300 && dataset.categoryNames.count == 12)
        #expect(dataset.items == SyntheticWorld(config: config).dataset().items)
        let prepared = try request.load()
        #expect(prepared.config.seed == 1)
        #expect(prepared.supportedTaskNames == Set(ExperimentSpec.taskNames))
        config.seed = 5
        #expect(try DatasetRequest(spec: spec, seed: 1).source != .synthetic(config))
    }

    @Test func keysAreCanonical() throws {
        let a = try DatasetRequest(
            spec: ExperimentSpec(json: specJSON(dataset: #"{"kind": "movielens1m", "path": "/data/./x/../ml-1m"}"#)),
            seed: 2)
        let b = try DatasetRequest(
            spec: ExperimentSpec(json: specJSON(dataset: #"{"kind": "movielens1m", "path": "/data/ml-1m"}"#)), seed: 2)
        #expect(a.key == b.key)
        #expect(a.sourceKey == "movielens1m path=/data/ml-1m")
        let c = b.withSeed(3)
        #expect(c.key != b.key && c.preparationKey == b.preparationKey && c.sourceKey == b.sourceKey)
        let d = try DatasetRequest(
            spec: ExperimentSpec(
                json: specJSON(
                    #""preprocessing": {"k_core": 5}"#, dataset: #"{"kind": "movielens1m", "path": "/data/ml-1m"}"#)),
            seed: 2)
        #expect(d.sourceKey == b.sourceKey && d.preparationKey != b.preparationKey)
        #expect(d.preparationKey.contains("k_core=5") && b.preparationKey.contains("k_core=none"))
    }

    @Test func missingFilesAreNamedWithTheirField() throws {
        let folder = DataPaths.temporaryDirectory("missing")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spec = try ExperimentSpec(json: specJSON(dataset: #"{"kind": "movielens1m", "path": "\#(folder)"}"#))
        let error = #expect(throws: ExperimentSpecError.self) { try spec.validateDatasetFilesOnDisk() }
        #expect(error?.path == "dataset.path")
        #expect(error?.message == "missing file \"\(folder)/ratings.dat\", the MovieLens-1M ratings (ratings.dat)")
        #expect(FileManager.default.createFile(atPath: folder + "/ratings.dat", contents: Data("1::1::5::1\n".utf8)))
        try spec.validateDatasetFilesOnDisk()

        let sequences = try DatasetRequest(
            spec: ExperimentSpec(
                json: specJSON(dataset: #"{"kind": "sequences", "path": "/s.txt", "item_attributes": "/a.json"}"#)),
            seed: 0)
        let attributeError = #expect(throws: ExperimentSpecError.self) {
            try sequences.checkFiles(exists: { $0 == "/s.txt" })
        }
        #expect(
            attributeError?.description
                == #"dataset.item_attributes: missing file "/a.json", the item-attribute file"#)
        let yelp = try DatasetRequest(
            spec: ExperimentSpec(json: specJSON(dataset: #"{"kind": "yelp", "path": "/y"}"#)), seed: 0)
        #expect(yelp.requiredFiles.map(\.path) == ["/y/review.json"])
        #expect(try DatasetRequest(spec: ExperimentSpec(json: specJSON()), seed: 0).requiredFiles.isEmpty)
    }

    @Test func tasksAreValidatedAgainstTheLoadedDataset() throws {
        // A dataset without categories, ratings or attributes supports no task.
        let bare = InteractionDataset(
            name: "bare", userOffsets: [0, 5, 10, 15], items: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2],
            timestamps: Array(0..<15), ratings: [], userIDs: ["a", "b", "c"], itemIDs: ["x", "y", "z"])
        let prepared = try PreparedDataset(bare)
        #expect(prepared.supportedTaskNames.isEmpty)
        let spec = try ExperimentSpec(json: specJSON(#""tasks": ["next_category"]"#))
        let error = #expect(throws: ExperimentSpecError.self) { try spec.validate(against: prepared) }
        #expect(
            error?.description
                == #"tasks[0]: task "next_category" is not supported by dataset bare; supported: none"#)
        let synthetic = try DatasetRequest(spec: ExperimentSpec(json: smallSyntheticSpec()), seed: 0).load()
        try ExperimentSpec(json: smallSyntheticSpec(extra: #""tasks": ["gender", "next_rating_high"]"#))
            .validate(against: synthetic)
    }

    @Test func reseedingEqualsPreparingAfresh() throws {
        let request = try DatasetRequest(spec: ExperimentSpec(json: smallSyntheticSpec()), seed: 0)
        let source = try request.loadSource()
        let base = try request.prepare(source)
        for seed: UInt64 in [1, 7] {
            let fresh = try request.withSeed(seed).prepare(source)
            let reseeded = base.reseeded(seed)
            #expect(reseeded.config == fresh.config)
            #expect(reseeded.splits == fresh.splits)
            #expect(reseeded.trainUsers == fresh.trainUsers)
            #expect(reseeded.validationUsers == fresh.validationUsers)
            #expect(reseeded.testUsers == fresh.testUsers)
            #expect(reseeded.items == fresh.items && reseeded.vocabulary == fresh.vocabulary)
            #expect(reseeded.splits != base.splits)
        }
    }
}
