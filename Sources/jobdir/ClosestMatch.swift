import Definitions

/// The job ids a verb can name, and the "unknown job" error that names the closest one.
struct ClosestMatch {
    /// Known ids, sorted.
    var ids: [String]

    /// Ids of the job files in the jobs directory (valid or not), plus `extra` (jobs the
    /// state directory knows). Nil, with the reason, when the directory cannot be read.
    static func jobs(in jobsDirectory: String, extra: [String] = []) -> (match: ClosestMatch, problem: String?) {
        let directory = JobDirectory(root: jobsDirectory)
        var ids = Set(extra)
        var problem: String?
        do {
            for file in try directory.candidateFiles() {
                if case .job(let id) = JobPathRules.classify(file) { ids.insert(id.rawValue) }
            }
        } catch {
            problem = "cannot read the jobs directory \(jobsDirectory) (\(error.message)); give --jobs DIR or set JOBDIR_JOBS"
        }
        return (ClosestMatch(ids: ids.sorted()), problem)
    }

    func contains(_ id: String) -> Bool { ids.contains(id) }

    /// The known id closest to `id`, if close enough to be a typo.
    func closest(to id: String) -> String? {
        KeySuggestion.closest(to: id, among: ids)
    }

    /// `unknown job `x`; did you mean `y`?` plus where to look.
    func unknownJobMessage(_ id: String) -> String {
        var text = "unknown job `\(id)`"
        if let suggestion = closest(to: id) { text += "; did you mean `\(suggestion)`?" } else { text += ";" }
        return text + " `jobdir list` shows every job"
    }
}
