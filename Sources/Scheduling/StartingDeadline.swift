import Foundation

/// The `starting_deadline` rule: a slot more than `limit` past its time when it could
/// start is skipped, not started. A slot exactly `limit` late still starts.
package struct StartingDeadline: Sendable, Hashable {
    package let limit: Duration

    package init(_ limit: Duration) {
        self.limit = limit
    }

    /// Whether a run due at `slot` may still start at `now` (to the millisecond).
    package func allowsStart(of slot: Date, at now: Date) -> Bool {
        guard let slotMs = milliseconds(slot), let nowMs = milliseconds(now) else { return false }
        let (lateness, overflow) = nowMs.subtractingReportingOverflow(slotMs)
        return !overflow && lateness <= limit.wholeMilliseconds
    }

    /// Splits slots into those that may start at `now` and those skipped, keeping order.
    package func partition(_ slots: [Date], at now: Date) -> (start: [Date], skip: [Date]) {
        var start = [Date](), skip = [Date]()
        for slot in slots {
            if allowsStart(of: slot, at: now) { start.append(slot) } else { skip.append(slot) }
        }
        return (start, skip)
    }
}
