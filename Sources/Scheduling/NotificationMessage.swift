import Cron
import Foundation

/// The texts people read: a mail's subject and body, a ping's body. Pure.
package enum NotificationMessage {
    /// `jobdir: backup failed (exit 3) on host-1`.
    package static func subject(_ record: ExecutionRecord, event: String) -> String {
        oneLine("jobdir: \(record.job) \(outcome(record, event: event)) on \(record.host)")
    }

    /// What happened, in a few words: `failed (exit 3)`, `recovered`, `timed out`, ...
    package static func outcome(_ record: ExecutionRecord, event: String) -> String {
        switch record.state {
        case .succeeded: return event == "recovery" ? "recovered" : "succeeded"
        case .failed:
            if let code = record.exitCode { return "failed (exit \(code))" }
            if let signal = record.signal { return "failed (signal \(signal))" }
            return "failed" + (record.error.map { " (\($0.kind))" } ?? "")
        case .timedOut: return "timed out"
        case .interrupted: return "was interrupted"
        case .skipped: return "was skipped" + (record.error.map { " (\($0.kind))" } ?? "")
        case .canceled: return "was canceled"
        case .rejected: return "was rejected"
        case .expired: return "expired waiting for approval"
        default: return record.state.rawValue
        }
    }

    /// A message for `sendmail -t`: headers naming the recipients, then the output tail.
    package static func mail(_ record: ExecutionRecord, event: String, to addresses: [String]) -> String {
        var lines = [
            "To: " + addresses.joined(separator: ", "),
            "Subject: " + subject(record, event: event),
            "Content-Type: text/plain; charset=utf-8",
            "Auto-Submitted: auto-generated",
            "X-Jobdir-Job: " + oneLine(record.job),
            "X-Jobdir-Execution: " + record.id.rawValue,
            "X-Jobdir-Event: " + event,
            "",
        ]
        let tail = record.output?.tail ?? ""
        lines.append(tail.isEmpty ? "(no output)" : (tail.hasSuffix("\n") ? String(tail.dropLast()) : tail))
        lines.append("")
        lines.append("-- ")
        lines.append("execution \(record.id.rawValue), attempt \(record.attempt), state \(record.state.rawValue)")
        if let error = record.error { lines.append("error: \(error.kind): \(oneLine(error.message))") }
        if let started = record.startedAt { lines.append("started \(Timestamp.format(started))") }
        if let finished = record.finishedAt { lines.append("finished \(Timestamp.format(finished))") }
        if let log = record.output?.log { lines.append("log: \(log)") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A ping's body: the output tail (healthchecks.io keeps it as the ping's log).
    package static func pingBody(_ record: ExecutionRecord) -> [UInt8] {
        Array((record.output?.tail ?? "").utf8)
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
