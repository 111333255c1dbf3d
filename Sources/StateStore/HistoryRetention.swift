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

    /// The records to remove, oldest first: beyond `keep` by id order, or older than
    /// `maxAge` at `now`; never a non-terminal record. Pure.
    package func victims(_ records: [ExecutionRecord], now: Date) -> [ExecutionRecord] {
        let sorted = records.sorted { $0.id < $1.id }
        var remove = Set<ExecutionID>()
        if let keep, sorted.count > keep {
            for r in sorted.prefix(sorted.count - max(keep, 0)) where r.state.isTerminal { remove.insert(r.id) }
        }
        if let maxAge {
            let seconds = Double(maxAge.components.seconds) + Double(maxAge.components.attoseconds) / 1e18
            let cutoff = now.addingTimeInterval(-seconds)
            for r in sorted where r.state.isTerminal && (r.finishedAt ?? r.createdAt) < cutoff { remove.insert(r.id) }
        }
        return sorted.filter { remove.contains($0.id) }
    }
}
