// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "jobdir",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jobdir", targets: ["jobdir"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libyaml from the system (Debian: libyaml-dev).
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // Pure: cron expressions and their evaluation in a time zone.
        .target(name: "Cron"),
        // Pure: YAML node tree with positions, job definitions, discovery rules.
        .target(name: "Definitions", dependencies: ["CYAML", "Cron"]),
        // Pure: triggers, due times, run policies, the execution state machine.
        .target(name: "Scheduling", dependencies: ["Definitions", "Cron"]),
        // Edge: atomic JSON files and the layout of state/.
        .target(name: "StateStore", dependencies: ["Scheduling", "Definitions"]),
        // Edge: spawning runs in their own sessions, timeouts, output capture.
        .target(name: "Execution"),
        // Edge: inotify.
        .target(name: "Watching"),
        // Wiring: the daemon's run loop.
        .target(
            name: "Daemon",
            dependencies: ["Definitions", "Cron", "Scheduling", "StateStore", "Execution", "Watching"]
        ),
        .executableTarget(
            name: "jobdir",
            dependencies: [
                "Definitions", "Cron", "Scheduling", "StateStore", "Daemon",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "cron-benchmark", dependencies: ["Cron"], path: "Benchmarks/CronBenchmark"),
        .testTarget(name: "CronTests", dependencies: ["Cron"]),
        .testTarget(name: "DefinitionsTests", dependencies: ["Definitions"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Definitions", "Cron"]),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore", "Scheduling"]),
        .testTarget(name: "ExecutionTests", dependencies: ["Execution"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Definitions"]),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
