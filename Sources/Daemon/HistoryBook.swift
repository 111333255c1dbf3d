import Foundation
import Scheduling

/// How many execution records each job has on disk and the oldest one's due
/// time, kept in memory so that retention reads the records only when some
/// are due for removal (listing a directory of thousands after every run is not free).
struct HistoryBook {
    private var counts: [String: (count: Int, oldest: Date?)] = [:]

    /// The job's figures, read from the file names the first time.
    mutating func figures(_ job: String, list: () -> [ExecutionID]) -> (count: Int, oldest: Date?) {
        if let known = counts[job] { return known }
        let ids = list()
        let figures = (ids.count, ids.first?.dueAt)
        counts[job] = figures
        return figures
    }

    /// A new record file for `job`.
    mutating func added(_ job: String, dueAt: Date) {
        guard var known = counts[job] else { return }
        known.count += 1
        known.oldest = known.oldest.map { min($0, dueAt) } ?? dueAt
        counts[job] = known
    }

    /// Forget `job`'s figures; they are read again next time (after a prune).
    mutating func reset(_ job: String) { counts[job] = nil }
}
