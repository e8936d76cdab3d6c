// swift-tools-version:6.0
import PackageDescription

/// One settings list for every Swift target: Swift 6 mode with the upcoming features the house style asks for.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Hot numeric modules are optimised even in debug builds, so `swift test` trains models at a usable speed.
let hotSettings: [SwiftSetting] = swiftSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "SeqTwins",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "seqtwins", targets: ["seqtwins"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
    ],
    targets: [
        // C shims: one modulemap and one header each, found through pkg-config.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),

        // Pure logic: no database, no file-system side effects.
        // Randomness is at the bottom: every seeded stream (training, data preparation, job seeds, retry jitter).
        .target(
            name: "Randomness",
            dependencies: [.product(name: "RealModule", package: "swift-numerics")],
            swiftSettings: hotSettings
        ),
        .target(
            name: "Tensors",
            dependencies: ["COpenBLAS", "Randomness", .product(name: "Numerics", package: "swift-numerics")],
            swiftSettings: hotSettings
        ),
        .target(name: "NeuralNet", dependencies: ["Randomness", "Tensors"], swiftSettings: hotSettings),
        .target(name: "Sequences", dependencies: ["Randomness"], swiftSettings: hotSettings),
        .target(name: "Learning", dependencies: ["NeuralNet", "Randomness", "Sequences"], swiftSettings: hotSettings),

        // Database.
        .target(
            name: "Postgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "JobQueue",
            dependencies: ["Postgres", "Randomness", .product(name: "Logging", package: "swift-log"),
                           .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DatasetStore",
            dependencies: ["Postgres", "Sequences", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Experiments",
            dependencies: ["JobQueue", "Postgres", "DatasetStore", "Learning", "Sequences", "NeuralNet", "Tensors",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "CoreMetrics", package: "swift-metrics")],
            swiftSettings: swiftSettings
        ),

        // The read-only web dashboard (`seqtwins serve`): pages over the queue and results, on Hummingbird.
        .target(
            name: "Dashboard",
            dependencies: ["Experiments", "JobQueue", "Postgres",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HTTPTypes", package: "swift-http-types"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),

        // Public dataset archives: a pinned catalog, a resumable verified download, a guarded extraction.
        .target(
            name: "DatasetDownload",
            dependencies: [.product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            swiftSettings: swiftSettings
        ),

        // The command line, thin.
        .executableTarget(
            name: "seqtwins",
            dependencies: ["Experiments", "Dashboard", "DatasetStore", "DatasetDownload", "JobQueue", "Postgres", "Sequences",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Metrics", package: "swift-metrics"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: swiftSettings
        ),

        // Benchmarks: separate executables that print figures.
        .executableTarget(
            name: "bench-queue",
            dependencies: ["JobQueue", "Postgres", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-train",
            dependencies: ["NeuralNet", "Randomness", "Tensors", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: hotSettings
        ),
        .executableTarget(
            name: "bench-pretrain",
            dependencies: ["Learning", "Sequences", "Tensors",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: hotSettings
        ),
        .executableTarget(
            name: "bench-data",
            dependencies: ["Sequences", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: hotSettings
        ),
        .executableTarget(
            name: "bench-datasets",
            dependencies: ["DatasetStore", "Postgres", "Sequences",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "bench-probe",
            dependencies: ["Experiments", "Learning", "Sequences", "Tensors",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: hotSettings
        ),

        .executableTarget(
            name: "bench-scale",
            dependencies: ["Experiments", "Learning", "Postgres", "Sequences", "Tensors",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: hotSettings
        ),

        // Test support: the throwaway Postgres fixture shared by every database test suite.
        .target(name: "SeqTwinsTestSupport", dependencies: ["Postgres"], swiftSettings: swiftSettings),

        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "SeqTwinsTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "JobQueueTests", dependencies: ["JobQueue", "Postgres", "Randomness", "SeqTwinsTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "RandomnessTests", dependencies: ["Randomness"], swiftSettings: swiftSettings),
        .testTarget(name: "TensorsTests", dependencies: ["Randomness", "Tensors"], swiftSettings: swiftSettings),
        .testTarget(name: "NeuralNetTests", dependencies: ["Randomness", "NeuralNet", "Tensors"], swiftSettings: swiftSettings),
        .testTarget(name: "SequencesTests", dependencies: ["Randomness", "Sequences", "SeqTwinsTestSupport"], resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
        .testTarget(name: "LearningTests", dependencies: ["Randomness", "Learning", "NeuralNet", "Tensors", "Sequences"], swiftSettings: swiftSettings),
        .testTarget(name: "DatasetStoreTests", dependencies: ["DatasetStore", "Postgres", "Sequences", "SeqTwinsTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DatasetDownloadTests",
            dependencies: ["DatasetDownload", "Postgres", "SeqTwinsTestSupport",
                           .product(name: "Crypto", package: "swift-crypto"),
                           .product(name: "ZIPFoundation", package: "ZIPFoundation")],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DashboardTests",
            dependencies: ["Dashboard", "Experiments", "JobQueue", "Postgres", "SeqTwinsTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "ExperimentsTests", dependencies: ["Randomness", "Experiments", "JobQueue", "Learning", "NeuralNet", "Sequences", "Postgres", "SeqTwinsTestSupport",
                                                         .product(name: "PropertyBased", package: "swift-property-based")],
                    swiftSettings: swiftSettings),
    ]
)
