import Foundation
import SeqTwinsTestSupport
import Testing

@testable import Sequences

/// Paths of the committed fixtures and of the shared real data.
enum Paths {
    /// `Tests/SequencesTests/Fixtures`.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    /// A fixture file or folder.
    static func fixture(_ name: String) -> String { fixtures + "/" + name }

    /// The repository root.
    static let repositoryRoot = RepositoryPaths.root

    /// `<repo root>/../shared/data`, or `$SEQTWINS_SHARED_DATA`; nil when the folder is absent.
    static let sharedData: String? = RepositoryPaths.sharedDataPath

    /// Whether real-data tests run: when the data is present, or when `CI=true` (then they fail without it).
    static let realDataTestsEnabled = RepositoryPaths.realDataTestsEnabled

    /// A fresh temporary directory.
    static func temporaryDirectory(_ label: String) -> String { RepositoryPaths.temporaryDirectory(label) }
}

/// Runs `body` and returns the `DatasetError` it throws (failing the test when it throws none or another type).
func datasetError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> DatasetError? {
    do {
        try body()
        Issue.record("expected a DatasetError, none thrown", sourceLocation: sourceLocation)
    } catch let error as DatasetError {
        return error
    } catch {
        Issue.record("expected a DatasetError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

extension InteractionDataset {
    /// User `u`'s original item ids in order.
    func itemIDs(ofUser user: Int) -> [String] { range(ofUser: user).map { itemIDs[Int(items[$0])] } }
    /// The index of an original user id.
    func user(_ id: String) -> Int { userIDs.firstIndex(of: id)! }
}
