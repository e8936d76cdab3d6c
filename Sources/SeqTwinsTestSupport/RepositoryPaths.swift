import Foundation

/// Paths that tests need: the checkout and the shared real data beside it.
public enum RepositoryPaths {
    /// The repository root, derived from this file's compile-time path.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The shared real data (`$SEQTWINS_SHARED_DATA`, else `<root>/../shared/data`), or `nil` when absent.
    /// Under `CI=true` an absent folder is a failure, reported by `requireSharedData()`.
    public static var sharedData: URL? {
        let environment = ProcessInfo.processInfo.environment
        let url = environment["SEQTWINS_SHARED_DATA"].map { URL(fileURLWithPath: $0) }
            ?? root.deletingLastPathComponent().appendingPathComponent("shared/data")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// `sharedData`'s path, or `nil` when absent.
    public static var sharedDataPath: String? { sharedData?.path }

    /// Whether real-data tests run: when the data is present, or when `CI=true` (then they fail without it, through
    /// a `#require` on ``sharedDataPath``). Elsewhere a missing folder prints why and skips them.
    public static let realDataTestsEnabled: Bool = {
        if sharedData != nil { return true }
        if ProcessInfo.processInfo.environment["CI"] == "true" { return true }
        print("shared data not found beside the checkout (set SEQTWINS_SHARED_DATA); skipping real-data tests")
        return false
    }()

    /// A fresh temporary directory whose name starts with `seqtwins-<label>-`.
    public static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "seqtwins-\(label)-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The built products folder holding this test bundle and the `seqtwins` executable.
    public static var productsFolder: URL {
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            return URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// The built `seqtwins` executable next to the tests.
    public static var seqtwinsExecutable: URL { productsFolder.appendingPathComponent("seqtwins") }
}
