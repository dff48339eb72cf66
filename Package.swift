// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kiln",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kiln", targets: ["kiln"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C stays behind one door: only KilnModbus imports CModbus.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        // C stays behind one door: only KilnHistorian imports CSQLite.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Pure values: device model, data types, decoding, read planning, status codes.
        .target(name: "KilnCore"),
        // YAML device maps and gateway configs, with FILE:LINE:COLUMN diagnostics.
        .target(
            name: "KilnConfig",
            dependencies: ["KilnCore", .product(name: "Yams", package: "Yams")]
        ),
        // libmodbus client and the simulated plant's server.
        .target(
            name: "KilnModbus",
            dependencies: ["KilnCore", "CModbus", .product(name: "Logging", package: "swift-log")]
        ),
        // Real-time poll threads, priorities, reconnect and back-off.
        .target(
            name: "KilnPoller",
            dependencies: [
                "KilnCore", "KilnModbus", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Signal conditioning and fault classification: pure Swift, no I/O.
        .target(name: "KilnSignal", dependencies: ["KilnCore"]),
        // Pure time-series codecs: block encoding, exception and swinging-door filters, aggregates.
        .target(name: "KilnSeries", dependencies: ["KilnCore"]),
        // The SQLite historian: store, writer, compaction, queries and export.
        .target(
            name: "KilnHistorian",
            dependencies: [
                "KilnCore", "KilnSeries", "CSQLite", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            exclude: ["README.md"]
        ),
        // Kiln's metrics as Prometheus exposes them: help texts, histogram buckets, and a
        // swift-metrics factory over a swift-prometheus registry that applies both.
        .target(
            name: "KilnMetrics",
            dependencies: [
                "KilnPoller", "KilnHistorian", .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // Test only: counts the calling thread's malloc calls, to prove a hot path allocates nothing.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        .executableTarget(
            name: "kiln",
            dependencies: [
                "KilnCore", "KilnConfig", "KilnModbus", "KilnPoller", "KilnSignal", "KilnHistorian",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer targets for everything that parses outside input; kiln-fuzz drives them
        // (tools/fuzz.sh), KilnFuzzingTests replays their corpora and crashers in every test run.
        .target(
            name: "KilnFuzzing",
            dependencies: ["KilnCore", "KilnConfig", "KilnModbus", "KilnSignal", "KilnSeries", "KilnHistorian"]
        ),
        // libFuzzer's driver, weakly linked: present only in tools/fuzz.sh's -sanitize=fuzzer build.
        .target(name: "CFuzzer"),
        .executableTarget(name: "kiln-fuzz", dependencies: ["KilnFuzzing", "CFuzzer"]),
        .testTarget(name: "KilnCoreTests", dependencies: ["KilnCore"]),
        .testTarget(name: "KilnFuzzingTests", dependencies: ["KilnFuzzing"], exclude: ["Corpus", "Crashers"]),
        .testTarget(
            name: "KilnSignalTests",
            dependencies: ["KilnSignal", "KilnCore"],
            resources: [.copy("Cases")]
        ),
        .testTarget(
            name: "KilnConfigTests",
            dependencies: ["KilnConfig", "KilnCore"],
            resources: [.copy("Cases")]
        ),
        .testTarget(name: "KilnSeriesTests", dependencies: ["KilnSeries", "KilnCore"]),
        .testTarget(
            name: "KilnHistorianTests",
            dependencies: ["KilnHistorian", "KilnSeries", "KilnCore", "kiln"]
        ),
        .testTarget(
            name: "KilnIntegrationTests",
            dependencies: [
                "KilnCore", "KilnConfig", "KilnModbus", "KilnPoller", "KilnHistorian", "kiln", "KilnMetrics",
                "CAllocationCounter",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
    ]
)
