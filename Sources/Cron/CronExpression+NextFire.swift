import Foundation

extension CronExpression {
    /// The first fire time strictly after `date`, evaluated in `zone`; nil if there is none
    /// within 50 years (cronsim's horizon; an accepted expression always fires sooner).
    ///
    /// DST, as cronsim does it: a 5-field expression whose minute and hour fields do not
    /// start with `*` is matched against wall time; a wall time skipped by a gap fires at
    /// the first whole minute after the gap, a repeated wall time fires once, at its first
    /// occurrence. Other expressions are matched against each real instant's wall time.
    /// Precision is one second; fractions of `date` are ignored.
    package func nextFire(after date: Date, in zone: TimeZoneRules) -> Date? {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e13 else { return nil }
        return nextFire(afterUTC: Int64(seconds.rounded(.down)), in: zone).map {
            Date(timeIntervalSince1970: TimeInterval($0))
        }
    }

    /// Like `nextFire(after:in:)` on whole UTC seconds since 1970.
    package func nextFire(afterUTC start: Int64, in zone: TimeZoneRules) -> Int64? {
        var cursor = CronCursor(fields: fields, table: zone.table, start: start)
        // Only the DST fix-up can yield an instant at or before the start (a start in the
        // second pass of a repeated hour); those slots already fired and are skipped.
        // cronsim can also yield one instant over and over (a repeated hour spanning
        // midnight); then the search resumes after the repeated period.
        var previous: Int64?
        for _ in 0..<10_000 {
            guard let next = cursor.next() else { return nil }
            if next > start { return next }
            if next == previous, !cursor.skipRepeatedPeriod(beforeTick: true) { return nil }
            previous = next
        }
        return nil
    }

    /// The next `count` fire times strictly after `date`.
    package func fireTimes(after date: Date, in zone: TimeZoneRules, count: Int) -> [Date] {
        var result = [Date]()
        var current = date
        while result.count < count, let next = nextFire(after: current, in: zone) {
            result.append(next)
            current = next
        }
        return result
    }
}
