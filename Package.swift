// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "seatmeter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "seatmeter", targets: ["seatmeter"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // libcurl through pkg-config; typed wrappers for the variadic setopt/getinfo live in shim.h.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Heap settings made before main for the one-shot commands that read many messages (heap_tuning.c).
        .target(name: "CHeapTuning"),
        // Process-wide SQLite settings made before the first connection (sqlite_setup.c; sqlite3_config is variadic).
        .target(name: "CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SHA-256 blocks with the x86 SHA extensions when the CPU has them (sha256_accelerated.c).
        .target(name: "CSHA256"),
        // Pure: header parsing, identities, classification, report model. No I/O, no libcurl, no GRDB.
        .target(name: "SeatMeterCore", dependencies: ["CSHA256"]),
        // The only importer of CCurl: IMAP over connect-only sessions, SMTP delivery.
        .target(name: "SeatMeterCurl", dependencies: ["CCurl", "SeatMeterCore"]),
        // The only importer of GRDB: the ledger.
        .target(
            name: "SeatMeterStore",
            dependencies: [
                "SeatMeterCore", "CSQLiteSetup", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]
        ),
        // Application: configuration, sync/import orchestration, the commands' logic.
        .target(
            name: "SeatMeterDaemon",
            dependencies: [
                "SeatMeterCore", "SeatMeterCurl", "SeatMeterStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "seatmeter",
            dependencies: [
                "SeatMeterDaemon", "SeatMeterCore", "CHeapTuning",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // `make bench`: the measured paths, timed in-process (not a test).
        .executableTarget(
            name: "seatmeter-bench",
            dependencies: ["SeatMeterCore", "SeatMeterDaemon", "SeatMeterStore", "TestSupport"],
            path: "Sources/SeatMeterBench"
        ),
        // Starts real servers (Dovecot, the aiosmtpd sink) on 127.0.0.1 for the tests; writes Maildirs.
        .target(name: "TestSupport", dependencies: ["SeatMeterCore"], path: "Tests/TestSupport"),
        .testTarget(name: "SeatMeterCoreTests", dependencies: ["SeatMeterCore", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "SeatMeterStoreTests", dependencies: ["SeatMeterStore", "SeatMeterCore", "CSQLiteSetup", "TestSupport"]),
        .testTarget(
            name: "SeatMeterDaemonTests",
            dependencies: [
                "SeatMeterDaemon", "SeatMeterCore", "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["SeatMeterCurl", "SeatMeterStore", "SeatMeterDaemon", "SeatMeterCore", "TestSupport"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("MemberImportVisibility"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
