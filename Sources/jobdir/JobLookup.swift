import Definitions

/// A job's current definition from its file, for verbs that work on one job.
enum JobLookup {
    /// The definition of job `text`, or a one-line reason it has none (unknown, with a
    /// suggestion; invalid, with its first problem).
    static func definition(_ text: String, jobsDirectory: String) -> Result<JobDefinition, LookupFailure> {
        let jobs = JobDirectory(root: jobsDirectory)
        let files = (try? jobs.candidateFiles()) ?? []
        let ids = files.compactMap { file -> (JobID, String)? in
            if case .job(let id) = JobPathRules.classify(file) { return (id, file) }
            return nil
        }
        guard let (_, file) = ids.first(where: { $0.0.rawValue == text }) else {
            let hint = KeySuggestion.closest(to: text, among: ids.map(\.0.rawValue)).map { "; did you mean `\($0)`?" } ?? ""
            return .failure(LookupFailure(message: "unknown job `\(text)`\(hint) (`jobdir list` shows every job)"))
        }
        guard let load = jobs.load(file, defaults: jobs.loadDefaults()) else { return .failure(LookupFailure(message: "`\(file)` is not a job file")) }
        switch load.result {
        case .success(let loaded): return .success(loaded)
        case .failure(let problems): return .failure(LookupFailure(message: "\(text) is invalid: \(problems.items.first.map(\.description) ?? "")"))
        }
    }

    struct LookupFailure: Error {
        var message: String
    }
}
