import Foundation

/// What the time-based triggers of one job remember between wake-ups and
/// across restarts: when the job was first seen (the `every` anchor and the
/// catch-up baseline) and the last slot of each trigger kind that was dealt with.
package struct JobTimeline: Sendable, Equatable {
    package var firstSeen: Date
    package var lastSlot: [TriggerKind: Date]

    package init(firstSeen: Date, lastSlot: [TriggerKind: Date] = [:]) {
        self.firstSeen = firstSeen
        self.lastSlot = lastSlot
    }

    /// Slots after this instant are new for `kind`.
    package func baseline(_ kind: TriggerKind) -> Date {
        max(firstSeen, lastSlot[kind] ?? firstSeen)
    }
}
