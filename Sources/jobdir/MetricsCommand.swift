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
        discussion: "The same text `jobdir run --metrics-file PATH` keeps up to date; jobdir_up says whether a daemon runs."
    )
    @OptionGroup var directories: DirectoryOptions

    func run() async throws {
        let reader = StateReader(root: directories.state, verb: "metrics")
        let daemon = DaemonPresence(layout: reader.layout)
        let failure = daemon.stateFailure
        let snapshot = MetricsSnapshot(up: daemon.isRunning, startedAt: daemon.isRunning ? daemon.startedAt : nil,
                                       version: BuildInfo.version, commit: BuildInfo.commit, jobs: reader.results(),
                                       stateHealth: daemon.isRunning ? (failure == nil, failure?["owed_writes"] as? Int ?? 0) : nil)
        Console.out(PrometheusText.render(snapshot))
    }
}
