/// The keys a job file may hold, in the order the reference lists them.
package enum JobKeys {
    package static let all = [
        "description", "command", "shell", "workdir", "env", "env_file", "schedule", "timezone",
        "every", "at", "watch", "after", "enabled", "timeout", "kill_grace", "retries", "overlap",
        "max_queued", "pool", "catchup", "max_catchup", "starting_deadline", "approval", "output",
        "history", "labels", "notify", "ping", "user", "group", "umask", "limits", "operators",
        "fleet", "hosts",
    ]
    package static let watch = ["paths", "events", "debounce"]
    package static let after = ["job", "on"]
    package static let retries = ["max", "backoff", "max_backoff"]
    package static let approval = ["approvers", "timeout"]
    package static let output = ["max_bytes"]
    package static let history = ["keep", "max_age"]
    package static let notify = ["on", "command", "webhook", "headers", "mail"]
    package static let limits = ["memory", "cpu_time", "open_files", "processes", "file_size", "core", "nice", "io"]
}
