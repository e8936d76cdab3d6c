import Experiments
import Foundation
import Sequences
import Testing

@Suite("DatasetCache")
struct DatasetCacheTests {
    @Test func eachDatasetIsLoadedAndPreparedOnceAcrossSeedsAndThreads() async throws {
        let cache = DatasetCache()
        let spec = try ExperimentSpec(json: smallSyntheticSpec())
        let requests = try (0..<3).map { try DatasetRequest(spec: spec, seed: $0) }
        // 24 concurrent jobs over 3 seeds.
        let splits = try await withThrowingTaskGroup(of: (Int, [UserSplit]).self) { group in
            for job in 0..<24 {
                group.addTask { (job % 3, try cache.prepared(requests[job % 3]).splits) }
            }
            var result: [Int: [[UserSplit]]] = [:]
            for try await (seed, split) in group { result[seed, default: []].append(split) }
            return result
        }
        let statistics = cache.statistics
        #expect(statistics.sourceLoads == 1)
        #expect(statistics.preparations == 1)
        #expect(statistics.reseeds == 3)
        #expect(statistics.hits >= 21)
        for seed in 0..<3 {
            let fresh = try requests[seed].load()
            #expect(splits[seed]?.count == 8)
            #expect(splits[seed]?.allSatisfy { $0 == fresh.splits } == true)
        }
        #expect(splits[0]?.first != splits[1]?.first)
        // Labels are cached per seed and task.
        let first = try cache.labels(requests[0], task: .futureTopCategory)
        let again = try cache.labels(requests[0], task: .futureTopCategory)
        #expect(first.labels == again.labels)
        #expect(cache.statistics.labelComputations == 1)
    }

    @Test func failuresAreNotCachedAndPreprocessingChangesTheKey() throws {
        let cache = DatasetCache()
        let missing = try DatasetRequest(
            spec: ExperimentSpec(json: specJSON(dataset: #"{"kind": "movielens1m", "path": "/nonexistent/ml-1m"}"#)),
            seed: 0)
        for _ in 0..<2 {
            let error = #expect(throws: DatasetError.self) { try cache.prepared(missing) }
            #expect(error?.description.contains("ratings.dat") == true)
        }
        #expect(cache.statistics.sourceLoads == 0)
        let plain = try DatasetRequest(spec: ExperimentSpec(json: smallSyntheticSpec()), seed: 0)
        let longer = try DatasetRequest(
            spec: ExperimentSpec(json: smallSyntheticSpec(extra: #""preprocessing": {"min_sequence_length": 15}"#)),
            seed: 0)
        let a = try cache.prepared(plain)
        let b = try cache.prepared(longer)
        #expect(cache.statistics.sourceLoads == 1 && cache.statistics.preparations == 2)
        #expect(b.userCount < a.userCount)
        cache.removeAll()
        _ = try cache.prepared(plain)
        #expect(cache.statistics.sourceLoads == 2)
    }

    @Test func leastRecentlyUsedEntriesAreEvicted() throws {
        let cache = DatasetCache(sources: 1, preparations: 1, seeds: 1)
        let small = try DatasetRequest(spec: ExperimentSpec(json: smallSyntheticSpec(users: 100)), seed: 0)
        let other = try DatasetRequest(spec: ExperimentSpec(json: smallSyntheticSpec(users: 120)), seed: 0)
        _ = try cache.prepared(small)
        _ = try cache.prepared(other)
        _ = try cache.prepared(small)
        #expect(cache.statistics.sourceLoads == 3)
        _ = try cache.prepared(small)
        #expect(cache.statistics.sourceLoads == 3)
    }
}
