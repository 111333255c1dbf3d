import Foundation

/// Reads what a daemon wrote under a state directory, as `jq` would see it.
package struct StateFiles: Sendable {
    package let root: String

    package init(_ root: String) { self.root = root }

    package func json(_ relative: String) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: root + "/" + relative) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    /// `results/<job>.json`.
    package func result(_ job: String) -> [String: Any]? { json("results/\(job).json") }

    /// Every execution record of `job`, oldest first.
    package func executions(_ job: String) -> [[String: Any]] {
        let directory = root + "/executions/" + job
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(".json") }.sorted()
        return names.compactMap { json("executions/\(job)/\($0)") }
    }

    /// Records of `job` in `state`.
    package func executions(_ job: String, state: String) -> [[String: Any]] {
        executions(job).filter { $0["state"] as? String == state }
    }

    package func log(_ record: [String: Any]) -> String {
        guard let output = record["output"] as? [String: Any], let path = output["log"] as? String else { return "" }
        return (try? String(contentsOfFile: root + "/" + path, encoding: .utf8)) ?? ""
    }
}
