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
