import Service

/// A log event as a journal entry: `MESSAGE` (the line without its time, which the journal
/// keeps itself), `PRIORITY`, `SYSLOG_IDENTIFIER=jobdir`, `JOBDIR_EVENT`, and `JOB` and
/// `EXECUTION` when the event concerns them, so `journalctl -u jobdir JOB=backup` works.
extension DaemonLog {
    func journalFields(_ name: String, _ fields: [(key: String, value: String?)], line: String) -> [(name: String, value: String)] {
        var values: [String: String] = [:]
        for (key, value) in fields { if let value { values[key] = value } }
        // Text lines start with the time and a space; JSON lines are kept whole.
        let message = format == .text ? String(line.drop { $0 != " " }.dropFirst()) : line
        var entry: [(name: String, value: String)] = [
            ("MESSAGE", message), ("PRIORITY", "\(Self.priority(of: name, values).rawValue)"),
            ("SYSLOG_IDENTIFIER", "jobdir"), ("JOBDIR_EVENT", name),
        ]
        if let job = values["job"] { entry.append(("JOB", job)) }
        if let execution = values["execution"] { entry.append(("EXECUTION", execution)) }
        return entry
    }

    /// syslog priorities, as the journal takes them.
    enum Priority: Int { case error = 3, warning = 4, notice = 5, info = 6 }

    /// How much an event matters: the disk or the jobs directory refusing is an error; a
    /// run that did not succeed, an invalid file or a refused request a warning; the
    /// daemon's own life notice; everything else info.
    static func priority(of event: String, _ fields: [String: String]) -> Priority {
        switch event {
        case "write_failed", "prune_failed", "not_started", "jobs_directory_unreadable", "metrics_write_failed", "refused":
            return .error
        case "finished":
            return fields["state"] == "succeeded" ? .info : .warning
        case "invalid", "skipped", "interrupted", "chain_refused", "trigger_refused", "cancel_refused", "approval_refused",
             "watch_failed", "inotify_overflow", "jobs_directory_gone", "jobs_directory_missing", "stopping_run":
            return .warning
        case "started" where fields["job"] == nil, "stopping", "stopped", "reload", "clock_changed", "recovering":
            return .notice
        default:
            return .info
        }
    }
}
