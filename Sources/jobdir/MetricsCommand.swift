import ArgumentParser
import BuildInfo
import Foundation
import Metrics

/// `jobdir metrics`: the Prometheus text of the state directory, read from its files
/// with or without a daemon; the same text `jobdir run --metrics-file` keeps.
struct MetricsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Prints Prometheus metrics of the jobs from the state files.",
        discussion: """
            The same text `jobdir run --metrics-file PATH` keeps up to date; jobdir_up says whether a daemon runs. \
            jobdir_build_info is the running daemon's version and commit (from daemon.json), or this binary's when no daemon runs.
            """
    )
    @OptionGroup var options: StateOption

    func run() async throws {
        let reader = StateReader(root: options.state, verb: "metrics")
        let daemon = DaemonPresence(layout: reader.layout)
        let failure = daemon.stateFailure
        let build = Self.build(of: daemon)
        let snapshot = MetricsSnapshot(up: daemon.isRunning, startedAt: daemon.isRunning ? daemon.startedAt : nil,
                                       version: build.version, commit: build.commit, jobs: reader.results(),
                                       stateHealth: daemon.isRunning ? (failure == nil, failure?["owed_writes"] as? Int ?? 0) : nil)
        Console.out(PrometheusText.render(snapshot))
    }

    /// What `jobdir_build_info` says: the running daemon's version and commit as its
    /// `daemon.json` has them (commit `unknown` when an older daemon wrote none), so the
    /// text matches the daemon's own metrics file; this binary's when no daemon runs or its
    /// `daemon.json` names no version.
    static func build(of daemon: DaemonPresence) -> (version: String, commit: String) {
        guard daemon.isRunning, let version = daemon.info["version"] as? String else { return (BuildInfo.version, BuildInfo.commit) }
        return (version, daemon.info["commit"] as? String ?? "unknown")
    }
}
