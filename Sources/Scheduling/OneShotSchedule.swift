import Foundation

/// `at` one-shot times (RFC 3339 in the job file). Each fires once; a time that is
/// already past when the schedule is built (at or before `now`) never fires, and one-shot
/// times are never caught up after downtime.
package struct OneShotSchedule: SlotSchedule, Hashable {
    /// The times still to fire, ascending, without duplicates, to the millisecond.
    package let times: [Date]

    package init(times: [Date], now: Date) {
        let nowMs = milliseconds(now) ?? .max
        let kept = Set(times.compactMap(milliseconds).filter { $0 > nowMs })
        self.times = kept.sorted().map { date(milliseconds: $0) }
    }

    package func nextSlot(after instant: Date) -> Date? {
        times.first { $0 > instant }
    }

    /// The times due at `now` that came after `lastChecked` (the previous evaluation),
    /// oldest first; times missed while the daemon was down are past and are not returned
    /// if the caller passes `now` as the time it came back.
    package func due(after lastChecked: Date, through now: Date) -> [Date] {
        times.filter { $0 > lastChecked && $0 <= now }
    }
}
