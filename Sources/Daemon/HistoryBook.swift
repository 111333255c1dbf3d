import Definitions
import Foundation
import Scheduling

/// How many execution records each job has on disk and the oldest one's due
/// time, kept in memory so that retention reads the records only when some
/// are due for removal (listing a directory of thousands after every run is not free).
struct HistoryBook {
    private var counts: [String: (count: Int, oldest: Date?)] = [:]

    /// The job's figures, read from the file names (oldest first) the first time.
    mutating func figures(_ job: String, list: () -> [ExecutionID]) -> (count: Int, oldest: Date?) {
        if let known = counts[job] { return known }
        let ids = list()
        let figures = (ids.count, ids.first?.dueAt)
        counts[job] = figures
        return figures
    }

    /// Whether `job`'s records call for retention at `now`: more than `keep` of them, or
    /// the oldest due longer than `maxAge` ago. When they do, the figures are forgotten
    /// (the prune that follows changes them) and read again next time.
    mutating func pruneDue(_ job: String, keep: Int, maxAge: Duration?, now: Date, list: () -> [ExecutionID]) -> Bool {
        let figures = figures(job, list: list)
        let oldEnough = maxAge.map { age in
            figures.oldest.map { now.timeIntervalSince($0) > Double(age.milliseconds) / 1000 } ?? false
        } ?? false
        guard figures.count > keep || oldEnough else { return false }
        reset(job)
        return true
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
