import Cron
import Foundation

/// A `schedule` cron expression evaluated in its job's time zone.
package struct CronSchedule: SlotSchedule, Hashable {
    package let expression: CronExpression
    package let zone: TimeZoneRules

    package init(expression: CronExpression, zone: TimeZoneRules) {
        self.expression = expression
        self.zone = zone
    }

    /// Cron slots are whole seconds; see `CronExpression.nextFire(after:in:)` for DST.
    package func nextSlot(after instant: Date) -> Date? {
        expression.nextFire(after: instant, in: zone)
    }
}
