import Foundation
import Testing

/// Paths of the repository's `Jobs` folder and of the shared real data for the Experiments tests.
enum DataPaths {
    /// The repository root (two levels above this test folder).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `<repo root>/Jobs`.
    static let jobs = repositoryRoot.appendingPathComponent("Jobs").path

    /// `<repo root>/../shared/data`, or `$SEQTWINS_SHARED_DATA`; nil when the folder is absent.
    static let sharedData: String? = {
        let path =
            ProcessInfo.processInfo.environment["SEQTWINS_SHARED_DATA"]
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data").path
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? path : nil
    }()

    /// Whether real-data tests run: when the data is present, or when `CI=true` (then they fail without it).
    static let realDataTestsEnabled: Bool = {
        if sharedData != nil { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        print("ExperimentsTests: shared data not found (set SEQTWINS_SHARED_DATA); skipping real-data tests")
        return false
    }()

    /// The shared data folder, failing the test when it is absent (only reached when `CI=true`).
    static func requireSharedData() throws -> String {
        try #require(sharedData, "shared data is required when CI=true (set SEQTWINS_SHARED_DATA)")
    }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "seqtwins-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
