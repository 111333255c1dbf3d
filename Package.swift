// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "jobdir",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jobdir", targets: ["jobdir"]),
        .executable(name: "daemon-benchmark", targets: ["daemon-benchmark"]),
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
        // epoll, timerfd, signalfd, eventfd and inotify headers for the edges.
        .systemLibrary(name: "CLinux"),
        // Pure: cron expressions and their evaluation in a time zone.
        .target(name: "Cron"),
        // Pure: YAML node tree with positions, job definitions, discovery rules.
        .target(name: "Definitions", dependencies: ["CYAML", "Cron"]),
        // Pure: triggers, due times, run policies, the execution state machine.
        .target(name: "Scheduling", dependencies: ["Definitions", "Cron"]),
        // Edge: atomic JSON files and the layout of state/.
        .target(name: "StateStore", dependencies: ["CLinux", "Cron", "Scheduling"]),
        // Edge: spawning runs in their own sessions, timeouts, output capture.
        .target(name: "Execution", dependencies: ["Scheduling"]),
        // Edge: inotify.
        .target(name: "Watching", dependencies: ["CLinux"]),
        // Wiring: the daemon's run loop.
        .target(
            name: "Daemon",
            dependencies: ["CLinux", "Definitions", "Cron", "Scheduling", "StateStore", "Execution", "Watching"]
        ),
        .executableTarget(
            name: "jobdir",
            dependencies: [
                "Definitions", "Cron", "Scheduling", "StateStore", "Daemon", "Watching", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The fuzz targets: every byte stream jobdir reads that someone else may write.
        .target(name: "FuzzTargets", dependencies: ["Definitions", "Cron", "Scheduling", "StateStore"]),
        // Scripts/fuzz.sh builds this with libFuzzer; a normal build replays files through a target.
        .executableTarget(name: "jobdir-fuzz", dependencies: ["FuzzTargets"]),
        // Helpers shared by the test targets: temp dirs, running processes, waiting on conditions.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // swift run -c release exec-benchmark: per-run overhead of spawn + record writes.
        .executableTarget(
            name: "exec-benchmark",
            dependencies: ["Execution", "StateStore", "Scheduling"],
            path: "Benchmarks/ExecBenchmark"
        ),
        // Benchmarks/run.sh: the real daemon end to end against the machine's floor.
        .executableTarget(name: "daemon-benchmark", path: "Benchmarks/DaemonBenchmark"),
        // swift run -c release cron-benchmark: next-fire latency.
        .executableTarget(name: "cron-benchmark", dependencies: ["Cron"], path: "Benchmarks/CronBenchmark"),
        .testTarget(name: "CronTests", dependencies: ["Cron"], exclude: ["differential"]),
        .testTarget(
            name: "DefinitionsTests",
            dependencies: ["Cron", "Definitions", "TestSupport"],
            exclude: ["Corpus", "schema_check.py"]
        ),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Definitions", "Cron"]),
        .testTarget(name: "StateStoreTests", dependencies: ["Cron", "StateStore", "Scheduling", "atomic-writer-fixture"]),
        // A separate writer process for StateStoreTests' crash test (SIGKILLed in a loop).
        .executableTarget(
            name: "atomic-writer-fixture",
            dependencies: ["StateStore", "Scheduling"],
            path: "Tests/Fixtures/AtomicWriter"
        ),
        .testTarget(name: "ExecutionTests", dependencies: ["Execution", "Scheduling"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "Definitions", "Scheduling", "StateStore", "Cron"]),
        .testTarget(name: "EndToEndTests", dependencies: ["jobdir", "Definitions", "TestSupport", "StateStore", "Scheduling", "Cron"]),
    ],
    swiftLanguageModes: [.v6]
)

for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
