/// cronsim's `CronSim` iterator, step for step, on integer wall seconds.
///
/// cronsim moves a datetime with two kinds of steps: `tick` (real seconds, through UTC)
/// and `replace`/`combine` (set wall-clock fields, keeping or clearing PEP 495 `fold`).
/// In half-hour-DST zones such as Australia/Lord_Howe these two disagree, and cronsim's
/// answers depend on the exact sequence, so the sequence is reproduced here; where a
/// loop of ticks has a closed form (no zone transitions involved) it is jumped.
struct CronCursor {
    let fields: CronFields
    let table: TimeZoneRules.Table
    /// How ticks move: on naive wall time (UTC, fixed zones, DST fix-up) or through UTC.
    let naive: Bool
    let fixedOffset: Int64
    var wall: Int64
    var fold = false
    /// The UTC instant of `(wall, fold)` when known (after a tick).
    var utc: Int64?

    init(fields: CronFields, table: TimeZoneRules.Table, start: Int64) {
        self.fields = fields
        self.table = table
        if table.transitions.isEmpty {
            naive = true
            fixedOffset = table.initialOffset
            wall = start + fixedOffset
        } else if fields.fixesUpDST {
            naive = true
            fixedOffset = 0
            wall = table.local(fromUTC: start).wall
        } else {
            naive = false
            fixedOffset = 0
            (wall, fold) = table.local(fromUTC: start)
            utc = start
        }
    }

    private var instant: Int64 {
        utc ?? wall - table.offset(forWall: wall, fold: fold)
    }

    @inline(__always)
    private mutating func tick(_ seconds: Int64) {
        if naive {
            wall += seconds
        } else {
            let u = instant + seconds
            (wall, fold) = table.local(fromUTC: u)
            utc = u
        }
    }

    /// Sets the wall time (cronsim's `replace`, which keeps `fold`).
    @inline(__always)
    private mutating func replaceWall(_ newWall: Int64) {
        if newWall != wall {
            wall = newWall
            utc = nil
        }
    }

    private var second: Int64 { floorMod(wall, 60) }
    private var minute: Int64 { floorMod(floorDiv(wall, 60), 60) }
    private var hour: Int64 { floorMod(floorDiv(wall, 3600), 24) }

    /// cronsim's `__next__`: the next fire as a UTC instant.
    mutating func next() -> Int64? {
        tick(1)
        guard advance() else { return nil }
        if table.transitions.isEmpty { return wall - fixedOffset }
        if fields.fixesUpDST {
            // Out of a DST gap, a minute at a time, then the first occurrence (fold 0).
            for _ in 0..<1500 {
                let u = wall - table.offset(forWall: wall, fold: false)
                if table.local(fromUTC: u).wall == wall { return u }
                wall += 60
            }
            return nil
        }
        return instant
    }

    /// Moves to the end of a nearby repeated period (one second before it with
    /// `beforeTick`, since `next()` ticks first); false if there is none.
    mutating func skipRepeatedPeriod(beforeTick: Bool = false) -> Bool {
        guard !naive || fields.fixesUpDST, !table.transitions.isEmpty else { return false }
        let now = naive ? wall - table.offset(forWall: wall, fold: false) : instant
        guard let found = table.endOfRepeatedPeriod(near: now) else { return false }
        let end = beforeTick ? found - 1 : found
        if naive {
            wall = table.local(fromUTC: end).wall
        } else {
            (wall, fold) = table.local(fromUTC: end)
            utc = end
        }
        return true
    }

    private mutating func advance() -> Bool {
        let startYear = CivilDate(days: floorDiv(wall, 86_400)).year
        // Brent's cycle detection on the state at the top of each round. cronsim can loop
        // forever when a repeated hour spans midnight (America/St_Johns 2001-2011): ticking
        // goes back to the previous day, whose day step returns to the first pass. There the
        // search resumes after the repeated period instead.
        var saved = (wall: wall, fold: fold)
        var power = 1
        var steps = 0
        var escapes = 0
        for _ in 0..<200_000 {
            if !naive {
                if steps > 0 && wall == saved.wall && fold == saved.fold {
                    escapes += 1
                    guard escapes <= 8, skipRepeatedPeriod() else { return false }
                }
                steps += 1
                if steps == power {
                    saved = (wall, fold)
                    power *= 2
                    steps = 0
                }
            }
            let year = advanceMonth()
            if year > startYear + 50 { return false }
            if advanceDay() { continue }
            if advanceHour() { continue }
            if advanceMinute() { continue }
            if advanceSecond() { continue }
            return true
        }
        return false
    }

    /// Returns the year after the move.
    private mutating func advanceMonth() -> Int64 {
        let date = CivilDate(days: floorDiv(wall, 86_400))
        if fields.months & (1 << UInt64(date.month)) != 0 { return date.year }
        var year = date.year
        var month = date.month
        repeat {
            month += 1
            if month > 12 { month = 1; year += 1 }
        } while fields.months & (1 << UInt64(month)) == 0
        wall = CivilDate(year: year, month: month, day: 1).days * 86_400
        fold = false
        utc = nil
        return year
    }

    private mutating func advanceDay() -> Bool {
        var days = floorDiv(wall, 86_400)
        let date = CivilDate(days: days)
        let length = CivilDate.daysInMonth(year: date.year, month: date.month)
        var day = date.day
        var weekday = CivilDate.weekday(days: days)
        if fields.matchesDay(day, daysInMonth: length, weekday: weekday) { return false }
        repeat {
            days += 1
            day += 1
            weekday = weekday == 6 ? 0 : weekday + 1
            if day > length { break }
        } while !fields.matchesDay(day, daysInMonth: length, weekday: weekday)
        wall = days * 86_400
        fold = false
        utc = nil
        return true
    }

    private mutating func advanceHour() -> Bool {
        let h = hour
        if fields.hours & (1 << UInt64(h)) != 0 { return false }
        replaceWall(wall - floorMod(wall, 3600))
        if naive {
            let above = fields.hours & ~((2 << UInt64(h)) - 1)
            let target = above == 0 ? 24 : Int64(above.trailingZeroBitCount)
            wall += (target - h) * 3600
            return true
        }
        while fields.hours & (1 << UInt64(hour)) == 0 {
            tick(3600)
            if hour == 0 { break }
        }
        return true
    }

    private mutating func advanceMinute() -> Bool {
        let m = minute
        if fields.minutes & (1 << UInt64(m)) != 0 { return false }
        replaceWall(wall - floorMod(wall, 60))
        if fields.minutes.nonzeroBitCount == 1 {
            let target = Int64(fields.minutes.trailingZeroBitCount)
            tick(floorMod(target - m, 60) * 60)
        } else if naive {
            let above = fields.minutes & ~((2 << UInt64(m)) - 1)
            let target = above == 0 ? 60 : Int64(above.trailingZeroBitCount)
            wall += (target - m) * 60
            return true
        }
        while fields.minutes & (1 << UInt64(minute)) == 0 {
            tick(60)
            if minute == 0 { break }
        }
        return true
    }

    private mutating func advanceSecond() -> Bool {
        let s = second
        if fields.seconds & (1 << UInt64(s)) != 0 { return false }
        if fields.seconds.nonzeroBitCount == 1 {
            let target = Int64(fields.seconds.trailingZeroBitCount)
            tick(floorMod(target - s, 60))
        } else if naive {
            let above = fields.seconds & ~((2 << UInt64(s)) - 1)
            let target = above == 0 ? 60 : Int64(above.trailingZeroBitCount)
            wall += target - s
            return true
        }
        while fields.seconds & (1 << UInt64(second)) == 0 {
            tick(1)
            if second == 0 { break }
        }
        return true
    }
}
