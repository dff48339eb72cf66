// swift-tools-version:6.0
import PackageDescription

/// The link flags of a release `kiln` (see the `kiln` target): the Swift runtime and Foundation
/// linked in (`-static-stdlib`); `swift build --static-swift-stdlib` would compile every module
/// for it, here only the link changes, so the libraries static Foundation needs (which its static
/// module would list itself) are named, in dependency order. lld packs the 84,000 relative
/// relocations of a static position-independent binary into DT_RELR (16 kB instead of 2 MB of
/// `.rela.dyn` read at every start; glibc 2.36 and later, which Debian bookworm has).
let staticStandardLibrary = [
    "-static-stdlib", "-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
    "-lFoundation", "-lCoreFoundation", "-lFoundationInternationalization", "-lFoundationEssentials",
    "-l_FoundationCollections", "-l_FoundationCShims", "-l_FoundationICU",
    "-lswiftDispatch", "-ldispatch", "-lBlocksRuntime", "-lswiftSynchronization", "-lstdc++", "-lm",
]

let package = Package(
    name: "kiln",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kiln", targets: ["kiln"]),
        .executable(name: "kiln-bench", targets: ["kiln-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // libmodbus: KilnModbus imports it for `kiln probe`'s client, and KilnSimulator for the
        // server side (modbus_reply, register mappings, listening); no other target does.
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        // C stays behind one door: only KilnSQLite imports CSQLite.
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // OpenSSL's libcrypto (Debian libssl-dev), the plant's patched and possibly FIPS-validated
        // build, not a bundled copy: only KilnCrypto imports it.
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // zlib, for the HTTP API's gzipped tags snapshot: only KilnServer imports it.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Pure values: device model, data types, decoding, read planning, status codes.
        .target(name: "KilnCore"),
        // YAML device maps and gateway configs, with FILE:LINE:COLUMN diagnostics.
        .target(
            name: "KilnConfig",
            dependencies: ["KilnCore", .product(name: "Yams", package: "Yams")]
        ),
        // Modbus/TCP framing and non-blocking sessions for the poll path, and the libmodbus client
        // of `kiln probe`.
        .target(
            name: "KilnModbus",
            dependencies: ["KilnCore", "CModbus", .product(name: "Logging", package: "swift-log")]
        ),
        // The simulated plant: thermal models, scripted faults, a Modbus/TCP server (`kiln simulate`).
        // It answers with libmodbus's modbus_reply and register mappings; the second importer of
        // CModbus, kept to these server calls (KilnModbus has the client side).
        .target(name: "KilnSimulator", dependencies: ["KilnCore", "CModbus"]),
        // Local programs run without a shell: posix_spawn in a process group of its own, the head
        // and tail of their output, the whole group killed at a deadline (exec hooks, ssh).
        .target(name: "KilnProcess"),
        // SHA-256, HMAC-SHA256 and constant-time comparison through libcrypto; base64 and hex.
        .target(name: "KilnCrypto", dependencies: ["COpenSSL"]),
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
        // Seeded synthetic traces and the RMS grid, for tests and kiln-bench; not in the product.
        .target(name: "KilnTraces", dependencies: ["KilnCore", "KilnSignal"]),
        // Pure time-series codecs: block encoding, exception and swinging-door filters, aggregates.
        .target(name: "KilnSeries", dependencies: ["KilnCore"]),
        // SQLite's one home: connection, statements, typed errors and the versioned migrations each
        // module contributes to the one file.
        .target(name: "KilnSQLite", dependencies: ["CSQLite"]),
        // The SQLite historian: store, writer, compaction, queries and export.
        .target(
            name: "KilnHistorian",
            dependencies: [
                "KilnCore", "KilnSeries", "KilnSQLite", .product(name: "Logging", package: "swift-log"),
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
        // ISA-18.2 alarms: the state machine (pure, injected clock), the engine that judges
        // conditioned samples, their state in the gateway's SQLite file, and the hooks' outbox.
        .target(
            name: "KilnAlarms",
            dependencies: [
                "KilnCore", "KilnSQLite", .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Delivery of the outbox to ops tooling: webhooks (Standard Webhooks signatures),
        // Alertmanager, PagerDuty and local programs, at least once, with back-off.
        .target(
            name: "KilnHooks",
            dependencies: [
                "KilnCore", "KilnAlarms", "KilnSQLite", "KilnCrypto", "KilnProcess",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Remediation over SSH: rules that act when an alarm persists, the durable queue and the
        // hash-chained audit log in the gateway's SQLite file, and the OpenSSH client transport.
        .target(
            name: "KilnRemediation",
            dependencies: [
                "KilnCore", "KilnAlarms", "KilnSQLite", "KilnCrypto", "KilnProcess",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        // Test only: counts the calling thread's malloc calls, to prove a hot path allocates nothing.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        // Test only: temporary folders and free loopback ports, for every test target that needs them.
        .target(name: "KilnTestSupport", dependencies: ["KilnProcess"], path: "Tests/KilnTestSupport"),
        // The running gateway: poller -> conditioning -> sinks, each part a Service in one ServiceGroup.
        .target(
            name: "KilnGateway",
            dependencies: [
                "KilnCore", "KilnConfig", "KilnPoller", "KilnSignal", "KilnHistorian", "KilnMetrics", "KilnAlarms",
                "KilnHooks", "KilnRemediation",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The HTTP API, the /metrics endpoint and the operator's page (Hummingbird 2), a Service of
        // the gateway's ServiceGroup. The page's three files are embedded in the binary
        // (`PackageResources`), so the gateway serves them with nothing beside it and the page
        // needs nothing from outside the plant network.
        .target(
            name: "KilnServer",
            dependencies: [
                "KilnCore", "KilnConfig", "KilnGateway", "KilnHistorian", "KilnSeries", "KilnAlarms", "KilnRemediation",
                "KilnCrypto", "CZlib", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.embedInCode("Page/index.html"), .embedInCode("Page/app.js"), .embedInCode("Page/style.css")]
        ),
        // The product: one file per subcommand, composing the libraries.
        // What kiln and kiln-bench share on the command line: durations, config loading, standard
        // error, the stop signals.
        .target(
            name: "KilnCommandLine",
            dependencies: [
                "KilnCore", "KilnConfig", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "kiln",
            dependencies: [
                "KilnCommandLine", "KilnCore", "KilnConfig", "KilnModbus", "KilnSimulator", "KilnPoller", "KilnSignal",
                "KilnHistorian", "KilnAlarms", "KilnHooks", "KilnCrypto", "KilnSQLite", "KilnRemediation",
                "KilnGateway", "KilnServer", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // A release `kiln` carries the Swift runtime and Foundation (which Yams pulls in)
            // inside itself: linked dynamically, libswiftCore, libFoundation, its ICU and their
            // neighbours keep about 6 MB more resident (measured at 1,000 devices x 20 tags), and
            // the gateway then needs no Swift runtime installed on the plant's machine.
            linkerSettings: [.unsafeFlags(staticStandardLibrary, .when(platforms: [.linux], configuration: .release))]
        ),
        // Benchmark drivers for tools/bench and the historian's crash tests, outside the product.
        .executableTarget(
            name: "kiln-bench",
            dependencies: [
                "KilnCommandLine", "KilnCore", "KilnConfig", "KilnModbus", "KilnPoller", "KilnSignal", "KilnTraces",
                "KilnSeries",
                "KilnSQLite", "KilnHistorian", "KilnGateway", "KilnAlarms", "KilnHooks",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer targets for everything that parses outside input; kiln-fuzz drives them
        // (tools/fuzz.sh), KilnFuzzingTests replays their corpora and crashers in every test run.
        .target(
            name: "KilnFuzzing",
            dependencies: [
                "KilnCore", "KilnConfig", "KilnModbus", "KilnSignal", "KilnTraces", "KilnSeries", "KilnHistorian",
            ]
        ),
        // libFuzzer's driver, weakly linked: present only in tools/fuzz.sh's -sanitize=fuzzer build.
        .target(name: "CFuzzer"),
        .executableTarget(name: "kiln-fuzz", dependencies: ["KilnFuzzing", "CFuzzer"]),
        .testTarget(name: "KilnCoreTests", dependencies: ["KilnCore"]),
        .testTarget(name: "KilnFuzzingTests", dependencies: ["KilnFuzzing"], exclude: ["Corpus", "Crashers"]),
        .testTarget(
            name: "KilnSignalTests",
            dependencies: ["KilnSignal", "KilnTraces", "KilnCore"],
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
            dependencies: [
                "KilnHistorian", "KilnSQLite", "KilnSeries", "KilnCore", "kiln", "kiln-bench", "KilnTestSupport",
            ]
        ),
        .testTarget(name: "KilnCryptoTests", dependencies: ["KilnCrypto"]),
        .testTarget(
            name: "KilnAlarmsTests",
            dependencies: ["KilnAlarms", "KilnCore", "KilnSQLite", "KilnGateway", "kiln", "KilnTestSupport"]
        ),
        .testTarget(
            name: "KilnHooksTests",
            dependencies: [
                "KilnHooks", "KilnAlarms", "KilnCore", "KilnSQLite", "KilnCrypto", "kiln", "KilnTestSupport",
            ]
        ),
        .testTarget(
            name: "KilnRemediationTests",
            dependencies: [
                "KilnRemediation", "KilnAlarms", "KilnCore", "KilnSQLite", "KilnCrypto", "KilnProcess", "KilnGateway",
                "KilnMetrics", "kiln", "KilnTestSupport", .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "KilnSQLiteTests", dependencies: ["KilnSQLite", "KilnTestSupport"]),
        .testTarget(name: "KilnSimulatorTests", dependencies: ["KilnSimulator", "KilnCore", "kiln"]),
        .testTarget(
            name: "KilnGatewayTests",
            dependencies: ["KilnGateway", "KilnCore", "KilnSignal", "KilnHistorian", "kiln", "KilnTestSupport"]
        ),
        .testTarget(
            name: "KilnServerTests",
            dependencies: [
                "KilnServer", "KilnCore", "KilnCrypto", "KilnGateway", "kiln", "KilnTestSupport", "CZlib",
                .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "KilnIntegrationTests",
            dependencies: [
                "KilnCore", "KilnConfig", "KilnModbus", "KilnSimulator", "KilnPoller", "KilnHistorian", "kiln",
                "kiln-bench", "KilnMetrics",
                "CAllocationCounter", "KilnTestSupport", "KilnServer",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            // schemathesis' settings (HTTPToolingTests) and the page's Chromium driver (PageTests),
            // run with python3.
            exclude: ["Support/schemathesis.toml", "Support/page_driver.py"]
        ),
    ]
)
