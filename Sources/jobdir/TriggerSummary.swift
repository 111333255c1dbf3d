import Cron
import Definitions
import Foundation

/// A job's triggers, short for the table (`cron 30 2 * * *`, `every 5m`, `watch inbox/*.csv`,
/// `after reports/build`, `manual`) and as JSON objects `{kind, ...}`.
struct TriggerSummary {
    var short: [String] = []
    var json: [[String: Any]] = []

    init(_ definition: JobDefinition, now: Date, zone: TimeZoneRules) {
        let zoneSuffix = definition.timezone.map { " (\($0))" } ?? ""
        for entry in definition.schedules {
            switch entry {
            case .cron(let expression):
                short.append("cron \(expression.text)\(zoneSuffix)")
                json.append(["kind": "cron", "expression": expression.text, "timezone": definition.timezone ?? NSNull()])
            case .every(let interval):
                add(every: interval)
            case .reboot:
                short.append("@reboot")
                json.append(["kind": "reboot"])
            }
        }
        if let every = definition.every { add(every: every) }
        if !definition.at.isEmpty {
            let upcoming = definition.at.filter { $0 > now }.sorted()
            let shown = upcoming.first ?? definition.at.max()!
            var text = "at " + RFC3339.format(shown, in: zone).prefix(16).replacingOccurrences(of: "T", with: " ")
            if upcoming.count > 1 { text += " +\(upcoming.count - 1) more" }
            if upcoming.isEmpty { text += " (past)" }
            short.append(text)
            for time in definition.at.sorted() { json.append(["kind": "at", "time": Timestamp.format(time)]) }
        }
        if let watch = definition.watch {
            short.append("watch \(watch.paths.joined(separator: " "))")
            json.append([
                "kind": "watch", "paths": watch.paths,
                "events": watch.events.map(\.rawValue).sorted(),
                "debounce": DurationText.format(watch.debounce),
            ])
        }
        for after in definition.after {
            short.append("after \(after.job)" + (after.on == .success ? "" : " (on \(after.on.rawValue))"))
            json.append(["kind": "after", "job": after.job.rawValue, "on": after.on.rawValue])
        }
        if short.isEmpty { short.append("manual") }
        if !definition.enabled { short.insert("disabled:", at: 0) }
    }

    private mutating func add(every interval: Duration) {
        short.append("every \(DurationText.format(interval))")
        json.append(["kind": "every", "interval": DurationText.format(interval)])
    }

    /// The short forms joined for a table cell.
    var text: String {
        short.first == "disabled:" ? "disabled: " + short.dropFirst().joined(separator: ", ") : short.joined(separator: ", ")
    }
}
