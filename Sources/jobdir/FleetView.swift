import Cron
import Foundation
import StateStore

/// This host's `fleet.json` (written by a daemon run with `--fleet`), as `jobdir status`
/// shows it: the lease, whether etcd answers, the `once` occurrences waiting and why.
struct FleetView {
    var object: [String: Any]

    init?(layout: StateLayout) {
        guard let data = FileManager.default.contents(atPath: layout.root + "/fleet.json"),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              object["schema"] as? String == "jobdir.fleet/v1" else { return nil }
        self.object = object
    }

    var waiting: [[String: Any]] { object["waiting"] as? [[String: Any]] ?? [] }

    func text(now: Date) -> String {
        let labels = (object["labels"] as? [String: String] ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        var line = "fleet \(object["fleet"] as? String ?? "?") as \(object["host"] as? String ?? "?")"
        if !labels.isEmpty { line += " (\(labels))" }
        let phase = object["phase"] as? String ?? "?"
        switch phase {
        case "member":
            line += ": lease \(object["lease"] as? String ?? "?")"
            if let renewed = (object["renewed_at"] as? String).flatMap(Timestamp.parse) { line += ", renewed \(TimeText.between(renewed, now)) ago" }
            if let fenced = object["fenced_at"] as? String { line += "; last self-fenced at \(fenced) (\(object["fencings"] as? Int ?? 1) time(s))" }
        case "fenced":
            line += ": self-fenced (its lease was not renewed in time) at \(object["fenced_at"] as? String ?? "?"); rejoining"
        default:
            line += ": joining (no lease yet)"
        }
        var text = line + "\n"
        if let since = object["unreachable_since"] as? String {
            text += "  etcd unreachable since \(since): \(Console.oneLine(object["error"] as? String ?? "?"))\n"
        }
        if !waiting.isEmpty {
            text += "\nwaiting for the fleet (\(waiting.count)):\n"
            let rows = waiting.map { entry -> [String] in
                let since = (entry["since"] as? String).flatMap(Timestamp.parse).map { TimeText.between($0, now) } ?? "-"
                return [entry["job"] as? String ?? "?", entry["occurrence"] as? String ?? "?", since, Console.oneLine(entry["reason"] as? String ?? "")]
            }
            text += TableFormatter(columns: [.init(title: "JOB"), .init(title: "OCCURRENCE"), .init(title: "WAITING"),
                                             .init(title: "REASON", flexible: true, minimumWidth: 6)], indent: 2).render(rows)
        }
        return text
    }
}
