import Foundation

/// An `every` trigger: slot k is `anchor + k * interval` (k = 0, 1, 2, ...), where the
/// anchor is the instant the job was first seen (kept in state, so restarts keep the rhythm).
///
/// Intervals are Swift `Duration`s, used to the whole millisecond (at least 1 ms);
/// instants are `Date`s taken to the millisecond. Since the daemon asks for the slot
/// after the moment it first sees the job, the first run is one interval after that.
package struct IntervalSchedule: SlotSchedule, Hashable {
    package let anchor: Date
    package let interval: Duration
    private let anchorMilliseconds: Int64
    private let intervalMilliseconds: Int64

    /// Fails unless the interval is at least one millisecond.
    package init(anchor: Date, interval: Duration) throws(ScheduleError) {
        let ms = interval.wholeMilliseconds
        guard ms >= 1 else {
            throw ScheduleError(message: "interval must be at least 1ms, got \(interval)")
        }
        guard let anchorMs = milliseconds(anchor) else {
            throw ScheduleError(message: "anchor \(anchor) is out of range")
        }
        self.anchor = date(milliseconds: anchorMs)
        self.interval = .milliseconds(ms)
        anchorMilliseconds = anchorMs
        intervalMilliseconds = ms
    }

    /// Slot `k` (k >= 0), or nil if it would overflow.
    package func slot(_ k: Int64) -> Date? {
        guard k >= 0 else { return nil }
        let (offset, o1) = k.multipliedReportingOverflow(by: intervalMilliseconds)
        let (ms, o2) = anchorMilliseconds.addingReportingOverflow(offset)
        return o1 || o2 ? nil : date(milliseconds: ms)
    }

    /// Index of the last slot at or before `instant` (-1 if it is before the anchor).
    package func index(atOrBefore instant: Date) -> Int64? {
        guard let t = milliseconds(instant) else { return nil }
        if t < anchorMilliseconds { return -1 }
        return (t - anchorMilliseconds) / intervalMilliseconds
    }

    package func nextSlot(after instant: Date) -> Date? {
        guard let k = index(atOrBefore: instant) else { return nil }
        return slot(k + 1)
    }
}

/// A trigger that cannot be built from its values.
package struct ScheduleError: Error, Equatable, Sendable, CustomStringConvertible {
    package var message: String
    package init(message: String) { self.message = message }
    package var description: String { message }
}
