import Cron
import Foundation
import Scheduling

/// Renders a `MetricsSnapshot` in the Prometheus text exposition format (0.0.4), every
/// name prefixed `jobdir_`, with its unit in the name and one `job_id` label per job
/// (Prometheus keeps `job` for the scrape job).
///
/// Only jobs whose file is there show: loaded ones and those whose file is invalid. A
/// removed job's result stays in `results/` (for `status` and history) but has no series,
/// so its failures no longer keep an alert firing.
///
/// Timestamps are seconds since the epoch with milliseconds, as state files keep them. A
/// job with no such time yet (never started, never succeeded, nothing due) has no sample
/// for it rather than a 0, so `time() - jobdir_job_last_success_timestamp_seconds` is never
/// a 56-year age; alert on its absence with `absent()` or `unless`.
package enum PrometheusText {
    /// The terminal states counted in `jobdir_job_runs_total`, each always present.
    static let terminalStates = ExecutionState.allCases.filter(\.isTerminal).map(\.rawValue)

    package static func render(_ snapshot: MetricsSnapshot) -> String {
        var out = ""
        func family(_ name: String, _ type: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for sample in samples {
                out += name
                if !sample.labels.isEmpty {
                    out += "{" + sample.labels.map { "\($0.0)=\"\(escaped($0.1))\"" }.joined(separator: ",") + "}"
                }
                out += " \(sample.value)\n"
            }
        }
        let jobs = snapshot.jobs.filter { $0.loaded || $0.definitionError != nil }.sorted { $0.job < $1.job }
        func perJob(_ value: (JobResult) -> String?) -> [(labels: [(String, String)], value: String)] {
            jobs.compactMap { result in value(result).map { ([("job_id", result.job)], $0) } }
        }

        family("jobdir_up", "gauge", "Whether a jobdir daemon runs on this state directory (1) or not (0).",
               [([], snapshot.up ? "1" : "0")])
        family("jobdir_start_time_seconds", "gauge", "When the running daemon started, in seconds since the Unix epoch.",
               snapshot.startedAt.map { [([], seconds($0))] } ?? [])
        if let health = snapshot.stateHealth {
            family("jobdir_state_directory_writable", "gauge",
                   "Whether the state directory takes the daemon's writes (1) or refuses them (0: no run starts until it does).",
                   [([], health.writable ? "1" : "0")])
            family("jobdir_state_owed_writes", "gauge", "State files the daemon still has to write because the state directory refused them.",
                   [([], "\(health.owedWrites)")])
        }
        family("jobdir_build_info", "gauge", "The jobdir version and the commit it was built from; always 1.",
               [([("version", snapshot.version), ("commit", snapshot.commit)], "1")])
        family("jobdir_job_definition_invalid", "gauge",
               "Whether the job file's last edit is invalid (1; the last valid definition, if any, stays in force) or not (0).",
               perJob { $0.definitionError == nil ? "0" : "1" })
        family("jobdir_job_last_start_timestamp_seconds", "gauge", "When the job's latest run started, in seconds since the Unix epoch.",
               perJob { $0.lastStartedAt.map(seconds) })
        family("jobdir_job_last_success_timestamp_seconds", "gauge", "When the job last succeeded, in seconds since the Unix epoch.",
               perJob { $0.lastSuccessAt.map(seconds) })
        family("jobdir_job_last_duration_seconds", "gauge", "How long the job's latest finished run took, in seconds.",
               perJob { $0.lastExecution?.durationMilliseconds.map(seconds(milliseconds:)) })
        family("jobdir_job_next_due_timestamp_seconds", "gauge",
               "When the job is next due (the earliest of its schedule, every and at triggers), in seconds since the Unix epoch.",
               perJob { $0.nextDue.values.min().map(seconds) })
        family("jobdir_job_consecutive_failures", "gauge", "Failed, timed out, interrupted or expired executions since the job's last success.",
               perJob { "\($0.consecutiveFailures)" })
        family("jobdir_job_runs_total", "counter", "Executions of the job that ended, by terminal state.",
               jobs.flatMap { result in
                   terminalStates.map { state in ([("job_id", result.job), ("state", state)], "\(result.counts[state] ?? 0)") }
               })
        family("jobdir_job_running", "gauge", "Executions of the job running now.", perJob { "\($0.running.count)" })
        family("jobdir_job_queued", "gauge", "Executions of the job waiting to start (run policies, pools, retry backoff).",
               perJob { "\($0.queued.count)" })
        family("jobdir_job_awaiting_approval", "gauge", "Executions of the job waiting for a human decision.",
               perJob { "\($0.pendingApprovals.count)" })
        return out
    }

    /// A label value with `\`, `"` and newlines escaped.
    static func escaped(_ value: String) -> String {
        var out = ""
        for character in value {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out
    }

    static func seconds(_ date: Date) -> String { seconds(milliseconds: Timestamp.milliseconds(date)) }

    /// `1234` ms as `1.234`.
    package static func seconds(milliseconds: Int64) -> String {
        let sign = milliseconds < 0 ? "-" : ""
        let magnitude = milliseconds.magnitude
        let fraction = String(magnitude % 1000)
        return sign + "\(magnitude / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
