import Foundation
import Scheduling

/// `history.keep` and `history.max_age` of one job.
package struct HistoryRetention: Hashable, Sendable {
    /// How many records to keep (newest first); nil for no count limit.
    package var keep: Int?
    /// Records that ended longer ago than this are removed; nil for no age limit.
    package var maxAge: Duration?

    package init(keep: Int? = 100, maxAge: Duration? = nil) {
        self.keep = keep
        self.maxAge = maxAge
    }

    /// The ids whose records may go, oldest first, from the ids alone: those beyond `keep`
    /// by id order, and those due before `maxAge` ago (a record ends after it is due, so
    /// none due later ended earlier). Only these records need reading, not the whole
    /// history at every run. Pure.
    package func candidates(_ ids: [ExecutionID], now: Date) -> [ExecutionID] {
        let sorted = ids.sorted(), beyond = beyondKeep(sorted.count), cutoff = ageCutoff(now)
        return sorted.enumerated().filter { entry in
            entry.offset < beyond || cutoff.map { entry.element.dueAt < $0 } == true
        }.map(\.element)
    }

    /// The records to remove, oldest first, among `records` (read from `candidates(ids)`,
    /// `ids` being all of the job's): beyond `keep` by id order, or ended before `maxAge`
    /// ago; never a non-terminal record. A candidate that could not be read is not among
    /// `records`: it stays. Pure.
    package func victims(among records: [ExecutionRecord], of ids: [ExecutionID], now: Date) -> [ExecutionRecord] {
        let sorted = ids.sorted(), cutoff = ageCutoff(now)
        let beyond = Set(sorted.prefix(beyondKeep(sorted.count)))
        return records.sorted { $0.id < $1.id }.filter { r in
            r.state.isTerminal && (beyond.contains(r.id) || cutoff.map { (r.finishedAt ?? r.createdAt) < $0 } == true)
        }
    }

    /// How many of `count` records, oldest first, are beyond `keep`.
    private func beyondKeep(_ count: Int) -> Int {
        keep.map { max(count - max($0, 0), 0) } ?? 0
    }

    private func ageCutoff(_ now: Date) -> Date? {
        maxAge.map { now.addingTimeInterval(-(Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18)) }
    }
}
