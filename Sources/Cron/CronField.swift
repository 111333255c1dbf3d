/// One of the six positions of a cron expression.
enum CronField: Int, Sendable, CaseIterable {
    case second, minute, hour, dayOfMonth, month, dayOfWeek

    var name: String {
        switch self {
        case .second: "second"
        case .minute: "minute"
        case .hour: "hour"
        case .dayOfMonth: "day-of-month"
        case .month: "month"
        case .dayOfWeek: "day-of-week"
        }
    }

    var range: ClosedRange<Int> {
        switch self {
        case .second, .minute: 0...59
        case .hour: 0...23
        case .dayOfMonth: 1...31
        case .month: 1...12
        case .dayOfWeek: 0...7
        }
    }

    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// The set one field denotes. Integers are bits of `values`; the day-of-month `L`/`LW`
    /// and day-of-week `nL`/`n#k` forms are kept apart, as cronsim keeps them.
    struct Value: Sendable, Hashable {
        var values: UInt64 = 0
        var last = false
        var lastWeekday = false
        /// Day-of-week `nL`: bit n (0-7).
        var lastOfMonth: UInt64 = 0
        /// Day-of-week `n#k`: bit `(k - 1) * 8 + n`.
        var nth: UInt64 = 0

        var isEmpty: Bool { values == 0 && !last && !lastWeekday && lastOfMonth == 0 && nth == 0 }

        mutating func formUnion(_ other: Value) {
            values |= other.values
            last = last || other.last
            lastWeekday = lastWeekday || other.lastWeekday
            lastOfMonth |= other.lastOfMonth
            nth |= other.nth
        }
    }

    struct Failure: Error {
        var detail: String
    }

    /// Parses one field exactly as cronsim's `Field.parse` does (text already upper-cased).
    func parse(_ s: Substring) throws(Failure) -> Value {
        if s == "*" { return Value(values: Self.mask(range)) }
        if s.contains("," as Character) {
            var result = Value()
            for term in s.split(separator: ",", omittingEmptySubsequences: false) {
                if term.isEmpty { throw Failure(detail: "empty item in list `\(s)`") }
                result.formUnion(try parse(term))
            }
            return result
        }
        if self == .dayOfWeek, s.contains("L" as Character) {
            let value = s.dropLast()
            guard s.last == "L", !value.isEmpty, value.allSatisfy(\.isASCIIDigit) else {
                throw Failure(detail: "`\(s)`: L needs a day number before it, e.g. 5L for the last Friday")
            }
            let day = try integer(value)
            return Value(lastOfMonth: 1 << UInt64(day))
        }
        if self == .dayOfWeek, let hash = s.firstIndex(of: "#") {
            let nthText = s[s.index(after: hash)...]
            let nth = try Self.digits(nthText, what: "week number after #")
            guard (1...5).contains(nth) else {
                throw Failure(detail: "`\(s)`: the week number after # must be 1-5")
            }
            let day = try integer(s[..<hash])
            return Value(nth: 1 << UInt64((nth - 1) * 8 + day))
        }
        if let slash = s.firstIndex(of: "/") {
            let step = try Self.digits(s[s.index(after: slash)...], what: "step")
            guard step > 0 else { throw Failure(detail: "`\(s)`: step must be at least 1") }
            let items = try parse(s[..<slash])
            if items.values == 0 && items.lastOfMonth == 0 && items.nth == 0 && (items.last != items.lastWeekday) {
                return items  // cronsim: `L/n` is `L`, `LW/n` is `LW`
            }
            var result = Value()
            if items.values.nonzeroBitCount == 1 {
                // A single start value runs to the end of the field's range.
                let start = items.values.trailingZeroBitCount
                var v = start
                while v <= range.upperBound {
                    result.values |= 1 << UInt64(v)
                    v += step
                }
                return result
            }
            var index = 0
            for v in range where items.values & (1 << UInt64(v)) != 0 {
                if index % step == 0 { result.values |= 1 << UInt64(v) }
                index += 1
            }
            return result
        }
        if let dash = s.firstIndex(of: "-") {
            let start = try integer(s[..<dash])
            let end = try integer(s[s.index(after: dash)...])
            guard end >= start else {
                throw Failure(detail: "range `\(s)` ends before it starts")
            }
            return Value(values: Self.mask(start...end))
        }
        if self == .dayOfMonth && s == "LW" { return Value(lastWeekday: true) }
        if self == .dayOfMonth && s == "L" { return Value(last: true) }
        return Value(values: 1 << UInt64(try integer(s)))
    }

    /// A number in range, or (month, day of week) a three-letter name.
    private func integer(_ s: Substring) throws(Failure) -> Int {
        if self == .month, let index = Self.monthNames.firstIndex(of: String(s)) { return index + 1 }
        if self == .dayOfWeek, let index = Self.dayNames.firstIndex(of: String(s)) { return index }
        let names = self == .month ? " or month name (JAN-DEC)" : self == .dayOfWeek ? " or day name (SUN-SAT)" : ""
        guard !s.isEmpty, s.allSatisfy(\.isASCIIDigit) else {
            throw Failure(detail: s.isEmpty ? "a value is missing (expected a number\(names))"
                : "`\(s)` is not a number\(names)")
        }
        let value = Self.saturatingValue(s)
        guard range.contains(value) else {
            throw Failure(detail: "\(s) is out of range \(range.lowerBound)-\(range.upperBound)")
        }
        return value
    }

    private static func digits(_ s: Substring, what: String) throws(Failure) -> Int {
        guard !s.isEmpty, s.allSatisfy(\.isASCIIDigit) else {
            throw Failure(detail: s.isEmpty ? "the \(what) is missing" : "the \(what) `\(s)` is not a number")
        }
        return saturatingValue(s)
    }

    /// Decimal value of ASCII digits, capped far above any meaningful value.
    private static func saturatingValue(_ s: Substring) -> Int {
        var value = 0
        for byte in s.utf8 {
            value = min(value * 10 + Int(byte - 48), 1 << 40)
        }
        return value
    }

    static func mask(_ range: ClosedRange<Int>) -> UInt64 {
        var bits: UInt64 = 0
        for v in range { bits |= 1 << UInt64(v) }
        return bits
    }
}

extension Character {
    var isASCIIDigit: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
}
