// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "jobdir",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "jobdir", targets: ["jobdir"]),
        .executable(name: "daemon-benchmark", targets: ["daemon-benchmark"]),
        .executable(name: "jobdir-supervisor", targets: ["jobdir-supervisor"]),
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
        // libcurl from the system (Debian: libcurl4-openssl-dev), with typed setopt wrappers.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // libcrypto (OpenSSL, which libcurl brings) for SHA-256 (Debian: libssl-dev).
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // epoll, timerfd, signalfd, eventfd and inotify headers for the edges.
        .systemLibrary(name: "CLinux"),
        // Edge: the libc calls every edge target shares (EINTR retries, `Errno`, close-on-exec).
        .target(name: "SystemCalls"),
        // Pure: cron expressions and their evaluation in a time zone.
        .target(name: "Cron"),
        // Pure: YAML node tree with positions, job definitions, discovery rules.
        .target(name: "Definitions", dependencies: ["CYAML", "CCrypto", "Cron"]),
        // Pure: triggers, due times, run policies, the execution state machine.
        .target(name: "Scheduling", dependencies: ["Definitions", "Cron"]),
        // Edge: atomic JSON files and the layout of state/.
        .target(name: "StateStore", dependencies: ["CLinux", "Cron", "Scheduling", "SystemCalls"]),
        // Edge: spawning runs in their own sessions, timeouts, output capture.
        .target(name: "Execution", dependencies: ["Scheduling", "Cron", "SystemCalls"]),
        // Edge: inotify.
        .target(name: "Watching", dependencies: ["CLinux"]),
        // The version, and the commit stamped by Scripts/install.sh (see BuildInfo.swift).
        .target(name: "BuildInfo"),
        // Pure: Prometheus text of the state (metrics file and `jobdir metrics`).
        .target(name: "Metrics", dependencies: ["Cron", "Scheduling"]),
        // Edge: systemd's notify and journal sockets, the metrics file writer.
        .target(name: "Service", dependencies: ["CLinux", "Metrics", "Scheduling", "StateStore", "SystemCalls"]),
        // Edge: one HTTP client on libcurl's multi-socket API, driven by the caller's epoll loop.
        .target(name: "HTTP", dependencies: ["CCurl", "CLinux", "SystemCalls"]),
        // Edge: etcd's v3 API through its JSON gateway on the HTTP client (SPEC section 13).
        .target(name: "Fleet", dependencies: ["HTTP", "SystemCalls", "CLinux"]),
        // Wiring: the daemon's run loop.
        .target(
            name: "Daemon",
            dependencies: ["CLinux", "Definitions", "Cron", "Scheduling", "StateStore", "Execution", "Watching", "Service", "BuildInfo", "HTTP", "Fleet"]
        ),
        .executableTarget(
            name: "jobdir",
            dependencies: [
                "Definitions", "Cron", "Scheduling", "StateStore", "Daemon", "Watching", "CLinux", "Metrics", "BuildInfo", "Fleet",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The per-run supervisor (C, no Swift runtime): parent of one run's command, writes
        // its log and outcome. Linked statically: it starts in well under a millisecond
        // and the job's environment (LD_PRELOAD, LD_LIBRARY_PATH) cannot reach it.
        .executableTarget(
            name: "jobdir-supervisor",
            cSettings: [.unsafeFlags(["-O2", "-Wall", "-Wextra"])],
            linkerSettings: [.unsafeFlags(["-static-executable", "-nostartfiles"])]
        ),
        // The fuzz targets: every byte stream jobdir reads that someone else may write.
        .target(name: "FuzzTargets", dependencies: ["Definitions", "Cron", "Scheduling", "StateStore", "Execution", "Fleet"]),
        // Scripts/fuzz.sh builds this with libFuzzer; a normal build replays files through a target.
        .executableTarget(name: "jobdir-fuzz", dependencies: ["FuzzTargets"]),
        // Helpers shared by the test targets: temp dirs, running processes, waiting on conditions.
        .target(name: "TestSupport", dependencies: ["CLinux"], path: "Tests/TestSupport"),
        // swift run -c release exec-benchmark: per-run overhead of spawn + record writes.
        .executableTarget(
            name: "exec-benchmark",
            dependencies: ["Execution", "StateStore", "Scheduling", "jobdir-supervisor"],
            path: "Benchmarks/ExecBenchmark"
        ),
        // Benchmarks/run.sh: the real daemon end to end against the machine's floor.
        .executableTarget(name: "daemon-benchmark", path: "Benchmarks/DaemonBenchmark"),
        // swift run -c release state-json-benchmark: a state document's bytes, Foundation's encoder against ours.
        .executableTarget(name: "state-json-benchmark", dependencies: ["StateStore", "Scheduling"], path: "Benchmarks/StateJSONBenchmark"),
        // swift run -c release cron-benchmark: next-fire latency.
        .executableTarget(name: "cron-benchmark", dependencies: ["Cron"], path: "Benchmarks/CronBenchmark"),
        .testTarget(name: "CronTests", dependencies: ["Cron", "TestSupport"], exclude: ["differential"]),
        .testTarget(
            name: "DefinitionsTests",
            dependencies: ["Cron", "Definitions", "TestSupport"],
            exclude: ["Corpus", "schema_check.py"]
        ),
        // Builders of job definitions, ids and records at fixed times, for the policy tests.
        .target(name: "PolicySupport", dependencies: ["Cron", "Definitions", "Scheduling"], path: "Tests/PolicySupport"),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling", "Definitions", "Cron", "PolicySupport"]),
        // The daemon's parts, without processes or a loop.
        .testTarget(name: "DaemonTests", dependencies: ["Daemon", "Scheduling", "Definitions", "Cron", "Watching", "StateStore", "PolicySupport", "Fleet", "HTTP"]),
        .testTarget(name: "StateStoreTests", dependencies: ["CLinux", "Cron", "Definitions", "StateStore", "Scheduling", "atomic-writer-fixture"]),
        // A separate writer process for StateStoreTests' crash test (SIGKILLed in a loop).
        .executableTarget(
            name: "atomic-writer-fixture",
            dependencies: ["StateStore", "Scheduling"],
            path: "Tests/Fixtures/AtomicWriter"
        ),
        .testTarget(name: "ExecutionTests", dependencies: ["Execution", "Scheduling", "jobdir-supervisor", "TestSupport"]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Scheduling", "Cron", "TestSupport"]),
        .testTarget(name: "ServiceTests", dependencies: ["Service", "Metrics", "Scheduling", "StateStore", "TestSupport"]),
        // The HTTP client on a loop of the test's own, against a server on 127.0.0.1.
        .testTarget(name: "HTTPTests", dependencies: ["HTTP", "CLinux", "TestSupport", "HTTPTestSupport"]),
        // An epoll loop of the test's own that drives an `HTTPClient`, as the daemon's does.
        .target(name: "HTTPTestSupport", dependencies: ["HTTP", "CLinux"], path: "Tests/HTTPTestSupport"),
        // The etcd codec on the gateway's literal answers, and the client against a real etcd.
        .testTarget(name: "FleetTests", dependencies: ["Fleet", "HTTP", "TestSupport", "HTTPTestSupport"]),
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
