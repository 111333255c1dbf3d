/// The parsed fields of a cron expression as bit sets, plus the two flags that change
/// how they combine: cronsim's `day_and` and whether its DST fix-up applies.
struct CronFields: Sendable, Hashable {
    var seconds: UInt64
    var minutes: UInt64
    var hours: UInt64
    /// Days 1-31 as bits 1-31.
    var days: UInt64
    var lastDay: Bool
    var lastWeekdayOfMonth: Bool
    /// Months 1-12 as bits 1-12.
    var months: UInt64
    /// Days of week, 0 = Sunday (7 folded into 0).
    var weekdays: UInt64
    /// `nL`: bit n set if the last such weekday of the month matches.
    var lastWeekdays: UInt64
    /// `n#k`: bit `(k - 1) * 8 + n`.
    var nthWeekdays: UInt64
    /// Day-of-month and day-of-week must both match (either field starts with `*`).
    var daysAreAnded: Bool
    /// A 5-field expression with fixed minute and hour: evaluated on wall time, then moved
    /// out of DST gaps (cronsim's `fixup_tz`).
    var fixesUpDST: Bool

    init(values: [CronField.Value], daysAreAnded: Bool, fixesUpDST: Bool) {
        func foldSunday(_ bits: UInt64, stride: Int = 8) -> UInt64 {
            var result = bits
            for k in 0..<5 where bits & (1 << UInt64(k * stride + 7)) != 0 {
                result = result & ~(1 << UInt64(k * stride + 7)) | 1 << UInt64(k * stride)
            }
            return result
        }
        seconds = values[0].values
        minutes = values[1].values
        hours = values[2].values
        days = values[3].values
        lastDay = values[3].last
        lastWeekdayOfMonth = values[3].lastWeekday
        months = values[4].values
        weekdays = foldSunday(values[5].values) & 0x7F
        lastWeekdays = foldSunday(values[5].lastOfMonth) & 0x7F
        nthWeekdays = foldSunday(values[5].nth)
        self.daysAreAnded = daysAreAnded
        self.fixesUpDST = fixesUpDST
    }

    /// cronsim's `match_day`, given the day, the month's length and the day's weekday (0 = Sunday).
    @inline(__always)
    func matchesDay(_ day: Int64, daysInMonth: Int64, weekday: Int64) -> Bool {
        var dom = days & (1 << UInt64(day)) != 0
        if !dom && lastDay && day == daysInMonth { dom = true }
        if !dom && lastWeekdayOfMonth && day >= 26 {
            let lastWeekday = (weekday + daysInMonth - day) % 7
            let target = lastWeekday == 0 ? daysInMonth - 2 : lastWeekday == 6 ? daysInMonth - 1 : daysInMonth
            dom = day == target
        }
        if daysAreAnded && !dom { return false }
        if !daysAreAnded && dom { return true }
        let bit: UInt64 = 1 << UInt64(weekday)
        if weekdays & bit != 0 { return true }
        if lastWeekdays & bit != 0 && day + 7 > daysInMonth { return true }
        if nthWeekdays != 0 && nthWeekdays & (bit << UInt64((day - 1) / 7 * 8)) != 0 { return true }
        return false
    }

    /// Why the expression can never fire, or nil. Day patterns repeat with the month's
    /// length and the weekday of its first day, and every such pair occurs in the
    /// Gregorian calendar (February with 28 and with 29 days), so trying them all decides it.
    func reasonItNeverFires(dayOfMonthText: String, dayOfWeekText: String) -> String? {
        let monthNames = ["January", "February", "March", "April", "May", "June", "July", "August",
                          "September", "October", "November", "December"]
        let chosen = (1...12).filter { months & (1 << UInt64($0)) != 0 }
        let longest = chosen.map { $0 == 2 ? 29 : Int(CivilDate.daysInMonth(year: 2001, month: Int64($0))) }.max() ?? 0
        let firstDay = days.trailingZeroBitCount
        if daysAreAnded && !lastDay && !lastWeekdayOfMonth && firstDay > 29 && firstDay > longest {
            let where_ = chosen.count == 1 ? "in \(monthNames[chosen[0] - 1])" : "in any month of the month field"
            return "day-of-month field: day \(dayOfMonthText) never occurs \(where_), so the expression never fires"
        }
        for month in chosen {
            let lengths: [Int64] = month == 2 ? [28, 29] : [CivilDate.daysInMonth(year: 2001, month: Int64(month))]
            for length in lengths {
                for firstWeekday in Int64(0)..<7 {
                    for day in Int64(1)...length where matchesDay(day, daysInMonth: length, weekday: (firstWeekday + day - 1) % 7) {
                        return nil
                    }
                }
            }
        }
        let rule = daysAreAnded ? "both day-of-month `\(dayOfMonthText)` and day-of-week `\(dayOfWeekText)`" :
            "day-of-month `\(dayOfMonthText)` or day-of-week `\(dayOfWeekText)`"
        return "the expression never fires: no day in the chosen months matches \(rule)"
    }
}
