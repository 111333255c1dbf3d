import Foundation

/// The slots of a schedule that fell due while nothing ran them: those in `(last, now]`,
/// for catch-up after downtime (`catchup: latest` takes the last one, `catchup: all` the
/// list, at most `max_catchup`).
package struct MissedSlots: Sendable, Equatable {
    /// The most recent missed slots, oldest first, at most the limit asked for.
    package var slots: [Date]
    /// Older missed slots exist that are not in `slots`.
    package var truncated: Bool

    package static let none = MissedSlots(slots: [], truncated: false)

    package init(slots: [Date], truncated: Bool) {
        self.slots = slots
        self.truncated = truncated
    }

    /// Slots of `schedule` strictly after `last` (the last slot executed, or the instant
    /// the daemon last evaluated the job) and at or before `now`, keeping the latest `limit`.
    ///
    /// Cost grows with the slots near `now`, not with the length of the downtime: windows
    /// ending at `now` are widened fourfold until they hold `limit` slots or reach `last`.
    package static func between(_ last: Date, and now: Date, of schedule: some SlotSchedule, limit: Int) -> MissedSlots {
        guard now > last, limit > 0 else { return .none }
        if let interval = schedule as? IntervalSchedule {
            return between(last, and: now, of: interval, limit: limit)
        }
        var span: TimeInterval = 60
        while true {
            let windowStart = max(last, now.addingTimeInterval(-span))
            var kept = [Date]()
            var count = 0
            var cursor = windowStart
            while let next = schedule.nextSlot(after: cursor), next <= now, next > cursor {
                kept.append(next)
                count += 1
                if kept.count > 2 * limit { kept.removeFirst(kept.count - limit) }
                cursor = next
            }
            if kept.count > limit { kept.removeFirst(kept.count - limit) }
            if count >= limit || windowStart == last {
                let truncated = kept.first.map { first in
                    schedule.nextSlot(after: last).map { $0 < first } ?? false
                } ?? false
                return MissedSlots(slots: kept, truncated: truncated)
            }
            span *= 4
        }
    }

    /// Interval slots in closed form.
    private static func between(_ last: Date, and now: Date, of schedule: IntervalSchedule, limit: Int) -> MissedSlots {
        guard let first = schedule.index(atOrBefore: last), let final = schedule.index(atOrBefore: now),
              final > first, final >= 0
        else { return .none }
        let lowest = max(first + 1, 0)
        let from = max(lowest, final - Int64(limit) + 1)
        let slots = (from...final).compactMap { schedule.slot($0) }
        return MissedSlots(slots: slots, truncated: from > lowest)
    }
}
