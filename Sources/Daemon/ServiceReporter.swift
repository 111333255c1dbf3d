import BuildInfo
import Foundation
import Scheduling
import Service
import StateStore

/// What the daemon tells the outside while it runs: the service manager (`READY=1` once
/// the first loop turn, with jobs loaded and recovery done, is on disk; `STATUS=` when the
/// counts of running, queued and approval-waiting executions change; `STOPPING=1`) and the
/// `--metrics-file`. It is told at the end of each loop turn and of each result written;
/// it decides what to send.
final class ServiceReporter {
    /// What the service manager gives the daemon to talk back to it: the daemon's own, so
    /// no run or notifier inherits them (a run's `sd_notify` would speak for the daemon).
    static let serviceManagerVariables: Set<String> = ["NOTIFY_SOCKET", "JOURNAL_STREAM"]

    private let notifier: ServiceNotifier?
    private let metrics: MetricsFileWriter?
    private var ready = false
    private var sentStopping = false
    private var lastStatus: String?

    init(configuration: DaemonConfiguration, store: StateStore, startedAt: Date, log: DaemonLog) {
        notifier = ServiceNotifier(environment: ProcessInfo.processInfo.environment)
        metrics = configuration.metricsFile.map { path in
            // What the state directory holds now; the daemon's writes update it from here on.
            MetricsFileWriter(path: path, startedAt: startedAt, version: BuildInfo.version, commit: BuildInfo.commit,
                              initial: store.allResults().results,
                              onError: { log.event("metrics_write_failed", ["file": path, "error": $0]) })
        }
    }

    /// A job's result was queued for writing in this turn's group commit.
    func resultWritten(_ result: JobResult) {
        metrics?.update(result)
    }

    /// The loop turn's writes are durable; `running`, `queued` and `awaitingApproval`
    /// count executions now.
    func endTurn(running: Int, queued: Int, awaitingApproval: Int, stopping: Bool) {
        guard let notifier else { return }
        let status = (stopping ? "Stopping: " : "") + "\(running) running, \(queued) queued, \(awaitingApproval) awaiting approval"
        var lines: [String] = []
        if !ready {
            ready = true
            lines.append("READY=1")
        }
        if stopping && !sentStopping {
            sentStopping = true
            lines.append("STOPPING=1")
        }
        if status != lastStatus {
            lastStatus = status
            lines.append("STATUS=" + status)
        }
        if !lines.isEmpty { notifier.send(lines) }
    }

    /// The state directory began or stopped refusing writes, or what it owes changed.
    func stateHealth(writable: Bool, owedWrites: Int) {
        metrics?.updateStateHealth(writable: writable, owedWrites: owedWrites)
    }

    /// The daemon stops: the metrics file says so.
    func stopped() {
        metrics?.finish()
    }
}
