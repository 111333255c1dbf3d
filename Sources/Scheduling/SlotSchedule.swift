import Foundation

/// A recurring trigger seen as a sequence of slots (the instants it is due).
///
/// Everything here is pure: the current time is always a parameter.
package protocol SlotSchedule: Sendable {
    /// The first slot strictly after `instant`, or nil if there is none.
    func nextSlot(after instant: Date) -> Date?
}

/// Whole milliseconds since 1970, the precision of interval and one-shot slots.
@inline(__always)
func milliseconds(_ date: Date) -> Int64? {
    let value = (date.timeIntervalSince1970 * 1000).rounded(.down)
    guard value.isFinite, abs(value) < 9e15 else { return nil }
    return Int64(value)
}

@inline(__always)
func date(milliseconds: Int64) -> Date {
    Date(timeIntervalSince1970: TimeInterval(milliseconds) / 1000)
}

extension Duration {
    /// Whole milliseconds, rounded toward zero, saturating.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, overflow2) = ms.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow || overflow2 ? (seconds < 0 ? .min : .max) : total
    }
}
