/// The POSIX TZ string in a TZif footer (`CET-1CEST,M3.5.0,M10.5.0/3`): the rule for
/// instants after the file's last explicit transition.
///
/// Parsed and evaluated as Python's `zoneinfo` does, so far-future offsets agree with it.
struct PosixTimeZoneRule: Sendable, Hashable {
    /// Standard offset, seconds east of UTC.
    var standardOffset: Int64
    /// Daylight saving part, if the zone observes it.
    var daylight: Daylight?

    struct Daylight: Sendable, Hashable {
        var offset: Int64
        var start: RuleDate
        var end: RuleDate
    }

    /// A transition date within a year and its local time of day (seconds, may be negative or > 24h).
    enum RuleDate: Sendable, Hashable {
        case monthWeekDay(month: Int64, week: Int64, weekday: Int64, time: Int64)
        case julian(day: Int64, time: Int64)
        case zeroBased(day: Int64, time: Int64)

        /// Local seconds since 1970 of this date in `year`, computed like zoneinfo does.
        func localSeconds(year: Int64) -> Int64 {
            let jan1 = CivilDate(year: year, month: 1, day: 1).days
            switch self {
            case let .monthWeekDay(month, week, weekday, time):
                let first = CivilDate(year: year, month: month, day: 1).days
                let firstWeekday = CivilDate.weekday(days: first)
                var day = floorMod(weekday - firstWeekday, 7) + 1 + (week - 1) * 7
                if day > CivilDate.daysInMonth(year: year, month: month) { day -= 7 }
                return (first + day - 1) * 86_400 + time
            case let .julian(day, time):
                var d = day
                if d >= 59 && CivilDate.isLeap(year) { d += 1 }
                return (jan1 - 1 + d) * 86_400 + time
            case let .zeroBased(day, time):
                // zoneinfo counts this form from the day before January 1; kept for agreement.
                return (jan1 - 1 + day) * 86_400 + time
            }
        }
    }

    /// Parses a TZ string; nil if it is not one zoneinfo would accept.
    init?(_ text: String) {
        var scanner = Scanner(bytes: Array(text.utf8))
        guard scanner.skipName() else { return nil }
        var standard: Int64 = 0
        var daylightOffset: Int64?
        var hasDaylight = false
        if let offset = scanner.offset(maxHours: 24) {
            standard = -offset
            if scanner.skipName() {
                hasDaylight = true
                if let offset = scanner.offset(maxHours: 24) { daylightOffset = -offset }
            }
        } else if !scanner.atEnd && scanner.peek != UInt8(ascii: ",") {
            return nil
        }
        standardOffset = standard
        if !hasDaylight {
            guard scanner.atEnd else { return nil }
            daylight = nil
            return
        }
        guard scanner.eat(UInt8(ascii: ",")), let start = scanner.ruleDate(),
              scanner.eat(UInt8(ascii: ",")), let end = scanner.ruleDate(), scanner.atEnd
        else { return nil }
        daylight = Daylight(offset: daylightOffset ?? standard + 3600, start: start, end: end)
    }

    /// UTC instants at which daylight time starts and ends in `year`.
    func transitions(year: Int64) -> (start: Int64, end: Int64)? {
        guard let daylight else { return nil }
        return (daylight.start.localSeconds(year: year) - standardOffset,
                daylight.end.localSeconds(year: year) - daylight.offset)
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func eat(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        mutating func skipAnyByte() -> Bool {
            guard !atEnd else { return false }
            index += 1
            return true
        }

        static func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }

        /// `<...>` or a run of characters other than `<0-9:.+-,`.
        mutating func skipName() -> Bool {
            if eat(UInt8(ascii: "<")) {
                let start = index
                while let byte = peek, byte != UInt8(ascii: ">") {
                    let ok = Self.isDigit(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                        || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                    guard ok else { return false }
                    index += 1
                }
                return index > start && eat(UInt8(ascii: ">"))
            }
            let start = index
            while let byte = peek, !Self.isDigit(byte), !":.+-<,".utf8.contains(byte) { index += 1 }
            return index > start
        }

        mutating func number(maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while let byte = peek, Self.isDigit(byte), count < maxDigits {
                value = value * 10 + Int64(byte - 48)
                index += 1
                count += 1
            }
            return count == 0 ? nil : value
        }

        /// `[+-]h[h[h]][:mm[:ss]]` as signed seconds (POSIX sign: west positive).
        mutating func offset(maxHours: Int64) -> Int64? {
            let save = index
            var sign: Int64 = 1
            if eat(UInt8(ascii: "-")) { sign = -1 } else { _ = eat(UInt8(ascii: "+")) }
            guard let hours = number(maxDigits: 3), hours <= maxHours else { index = save; return nil }
            var total = hours * 3600
            if eat(UInt8(ascii: ":")) {
                guard let minutes = twoDigits() else { index = save; return nil }
                total += minutes * 60
                if eat(UInt8(ascii: ":")) {
                    guard let seconds = twoDigits() else { index = save; return nil }
                    total += seconds
                }
            }
            return sign * total
        }

        mutating func twoDigits() -> Int64? {
            let start = index
            let value = number(maxDigits: 2)
            return index - start == 2 ? value : nil
        }

        mutating func ruleDate() -> RuleDate? {
            var time: Int64 = 7200
            if eat(UInt8(ascii: "M")) {
                guard let month = number(maxDigits: 2), (1...12).contains(month),
                      eat(UInt8(ascii: ".")), let week = number(maxDigits: 1), (1...5).contains(week),
                      skipAnyByte(),  // zoneinfo's pattern has `.` unescaped here: any character
                      let weekday = number(maxDigits: 1), (0...6).contains(weekday)
                else { return nil }
                if eat(UInt8(ascii: "/")) {
                    guard let t = offset(maxHours: 167) else { return nil }
                    time = t
                }
                return .monthWeekDay(month: month, week: week, weekday: weekday, time: time)
            }
            let julian = eat(UInt8(ascii: "J"))
            guard let day = number(maxDigits: 3), day >= (julian ? 1 : 0), day <= 365 else { return nil }
            if eat(UInt8(ascii: "/")) {
                guard let t = offset(maxHours: 167) else { return nil }
                time = t
            }
            return julian ? .julian(day: day, time: time) : .zeroBased(day: day, time: time)
        }
    }
}
