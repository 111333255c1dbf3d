@testable import Definitions

/// A job file's text parsed as `/jobs/job.yaml` (id `job`), for the key tests.
enum JobText {
    static func parse(_ text: String) -> Result<JobDefinition, Diagnostics> {
        let (root, problems) = YAMLReader(file: "job.yaml").read(Array(text.utf8))
        guard problems.isEmpty, let root else { return .failure(Diagnostics(problems)) }
        return JobFileParser(directory: "/jobs").parse(root, defaults: nil, id: JobID("job")!, file: "job.yaml", sha256: "abc")
    }

    /// The diagnostics of `text`, each as `file:line:column: message`; empty when it is valid.
    static func problems(_ text: String) -> [String] {
        if case .failure(let found) = parse(text) { return found.items.map(\.description) }
        return []
    }
}
