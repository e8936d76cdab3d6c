import Foundation
import Sequences

/// A process-wide, thread-safe cache of prepared datasets, so that a worker running many jobs of one experiment
/// reads and prepares each dataset once.
///
/// Three levels, each keyed by canonical text (see ``DatasetRequest``):
/// - sources (``DatasetRequest/sourceKey``): the interactions as read or generated;
/// - preparations (``DatasetRequest/preparationKey``): the prepared dataset for the first seed asked;
/// - seeds (``DatasetRequest/key``): `PreparedDataset.reseeded(_:)` of the preparation, which shares every large
///   array with it, so the five seeds of an experiment cost about one dataset's memory;
/// plus the task labels per (seed key, task).
///
/// Each key is computed once: concurrent callers asking for the same key wait for the first one's result (other
/// keys proceed in parallel). A failure is not cached; the next caller tries again. Each level keeps its most
/// recently used entries up to its capacity.
public final class DatasetCache: @unchecked Sendable {
    /// The cache every job handler of this process shares.
    public static let shared = DatasetCache()

    /// Counts of work done and saved, for tests and logs.
    public struct Statistics: Sendable, Equatable {
        /// Sources read or generated.
        public var sourceLoads = 0
        /// Datasets prepared from a source.
        public var preparations = 0
        /// Prepared datasets derived for another seed.
        public var reseeds = 0
        /// Task labels computed.
        public var labelComputations = 0
        /// Requests answered from the cache.
        public var hits = 0
    }

    /// One cached value, filled once under its own lock.
    private final class Entry<Value>: @unchecked Sendable {
        let lock = NSLock()
        var value: Value?
        var lastUse = 0
    }

    /// One level: entries by key, with least-recently-used eviction beyond `capacity`.
    private struct Level<Value> {
        var entries: [String: Entry<Value>] = [:]
        let capacity: Int

        mutating func entry(_ key: String, tick: Int) -> Entry<Value> {
            let entry = entries[key] ?? Entry<Value>()
            entry.lastUse = tick
            entries[key] = entry
            if entries.count > capacity,
                let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key, oldest != key
            {
                entries[oldest] = nil
            }
            return entry
        }
    }

    private let lock = NSLock()
    private var tick = 0
    private var counts = Statistics()
    private var sources: Level<InteractionDataset>
    private var preparations: Level<PreparedDataset>
    private var seeded: Level<PreparedDataset>
    private var labels: Level<TaskLabels>

    /// A cache keeping up to `sources` interaction datasets, `preparations` prepared datasets and `seeds`
    /// reseeded views (with `8 × seeds` task-label sets).
    public init(sources: Int = 2, preparations: Int = 4, seeds: Int = 32) {
        self.sources = Level(capacity: max(sources, 1))
        self.preparations = Level(capacity: max(preparations, 1))
        self.seeded = Level(capacity: max(seeds, 1))
        self.labels = Level(capacity: max(seeds, 1) * 8)
    }

    /// Work done so far.
    public var statistics: Statistics { lock.withLock { counts } }

    /// Forgets every entry (statistics are kept).
    public func removeAll() {
        lock.withLock {
            sources.entries.removeAll()
            preparations.entries.removeAll()
            seeded.entries.removeAll()
            labels.entries.removeAll()
        }
    }

    /// The prepared dataset of `request`, loading it through `loader` and preparing it at most once per key.
    /// - Throws: what `loader` and ``DatasetRequest/prepare(_:)`` throw.
    public func prepared(
        _ request: DatasetRequest, from loader: any DatasetSourceLoader = LocalDatasetSource()
    ) throws -> PreparedDataset {
        let request = try loader.identified(request)
        return try value(request.key, level: \.seeded, count: \.reseeds) {
            let base = try self.value(request.preparationKey, level: \.preparations, count: \.preparations) {
                let source = try self.value(request.sourceKey, level: \.sources, count: \.sourceLoads) {
                    try loader.loadSource(request)
                }
                return try request.prepare(source)
            }
            return base.config.seed == request.seed ? base : base.reseeded(request.seed)
        }
    }

    /// The interactions of `request`'s source as read or generated (before preprocessing), loaded at most once.
    /// - Throws: what `loader` throws.
    public func source(
        _ request: DatasetRequest, from loader: any DatasetSourceLoader = LocalDatasetSource()
    ) throws -> InteractionDataset {
        let request = try loader.identified(request)
        return try value(request.sourceKey, level: \.sources, count: \.sourceLoads) { try loader.loadSource(request) }
    }

    /// The labels of `task` on the prepared dataset of `request`, computed at most once per key and task.
    /// - Throws: `DatasetRequestError` when the dataset does not support the task, and what ``prepared(_:)``
    ///   throws.
    public func labels(
        _ request: DatasetRequest, task: TaskKind, from loader: any DatasetSourceLoader = LocalDatasetSource()
    ) throws -> TaskLabels {
        let dataset = try prepared(request, from: loader)
        return try value("\(request.key) | task=\(task.rawValue)", level: \.labels, count: \.labelComputations) {
            try dataset.labels(for: task)
        }
    }

    private func value<Value>(
        _ key: String, level: ReferenceWritableKeyPath<DatasetCache, Level<Value>>,
        count: WritableKeyPath<Statistics, Int>, compute: () throws -> Value
    ) throws -> Value {
        let entry = lock.withLock {
            tick += 1
            return self[keyPath: level].entry(key, tick: tick)
        }
        entry.lock.lock()
        defer { entry.lock.unlock() }
        if let value = entry.value {
            lock.withLock { counts.hits += 1 }
            return value
        }
        let value = try compute()
        entry.value = value
        lock.withLock { counts[keyPath: count] += 1 }
        return value
    }
}
