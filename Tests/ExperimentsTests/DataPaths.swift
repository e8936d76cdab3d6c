import Foundation
import SeqTwinsTestSupport
import Testing

/// Paths of the repository's `Jobs` folder and of the shared real data for the Experiments tests.
enum DataPaths {
    /// The repository root.
    static let repositoryRoot = RepositoryPaths.root

    /// `<repo root>/Jobs`.
    static let jobs = repositoryRoot.appendingPathComponent("Jobs").path

    /// `<repo root>/../shared/data`, or `$SEQTWINS_SHARED_DATA`; nil when the folder is absent.
    static let sharedData: String? = RepositoryPaths.sharedDataPath

    /// Whether real-data tests run: when the data is present, or when `CI=true` (then they fail without it).
    static let realDataTestsEnabled = RepositoryPaths.realDataTestsEnabled

    /// The shared data folder, failing the test when it is absent (only reached when `CI=true`).
    static func requireSharedData() throws -> String {
        try #require(sharedData, "shared data is required when CI=true (set SEQTWINS_SHARED_DATA)")
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ label: String) -> String { RepositoryPaths.temporaryDirectory(label) }
}
