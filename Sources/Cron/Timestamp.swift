import Foundation

/// RFC 3339 timestamps in UTC with milliseconds (`2026-11-23T01:30:00.000Z`), the
/// only time format of the state directory. Pure arithmetic: no formatter, no zone data.
package enum Timestamp {
    /// Milliseconds since the Unix epoch, rounded to the nearest millisecond.
    package static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// The date at `milliseconds` since the Unix epoch.
    package static func date(milliseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000)
    }

    /// `2026-11-23T01:30:00.000Z`.
    package static func format(_ date: Date) -> String {
        let f = fields(milliseconds(date))
        return "\(pad(f.year, 4))-\(pad(f.month, 2))-\(pad(f.day, 2))T"
            + "\(pad(f.hour, 2)):\(pad(f.minute, 2)):\(pad(f.second, 2)).\(pad(f.millisecond, 3))Z"
    }

    /// `20261123T013000.000Z`: the compact form used in execution ids.
    package static func compact(_ date: Date) -> String {
        let f = fields(milliseconds(date))
        return "\(pad(f.year, 4))\(pad(f.month, 2))\(pad(f.day, 2))T"
            + "\(pad(f.hour, 2))\(pad(f.minute, 2))\(pad(f.second, 2)).\(pad(f.millisecond, 3))Z"
    }

    /// Parses an RFC 3339 timestamp: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
    /// Fractions beyond milliseconds are truncated. Returns nil for anything else.
    package static func parse(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.digits(4), scanner.take(UInt8(ascii: "-")),
              let month = scanner.digits(2), scanner.take(UInt8(ascii: "-")),
              let day = scanner.digits(2), scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: "t")),
              let hour = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
              let minute = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
              let second = scanner.digits(2)
        else { return nil }
        var millisecond = 0
        if scanner.take(UInt8(ascii: ".")) {
            var count = 0
            while let d = scanner.digit() {
                if count < 3 { millisecond = millisecond * 10 + d }
                count += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { millisecond *= 10 }
        }
        var offsetMinutes = 0
        if scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
            offsetMinutes = 0
        } else if let sign = scanner.sign(), let oh = scanner.digits(2), scanner.take(UInt8(ascii: ":")),
                  let om = scanner.digits(2) {
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard scanner.atEnd, (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour < 24, minute < 60, second < 61
        else { return nil }
        let days = Int64(daysFromCivil(year: year, month: month, day: day))
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        return date(milliseconds: seconds * 1000 + Int64(millisecond))
    }

    private struct Fields { var year, month, day, hour, minute, second, millisecond: Int }

    private static func fields(_ ms: Int64) -> Fields {
        let (days, msOfDay) = floorDivMod(ms, 86_400_000)
        let (y, m, d) = civilFromDays(Int(days))
        let s = Int(msOfDay / 1000)
        return Fields(year: y, month: m, day: d, hour: s / 3600, minute: s / 60 % 60, second: s % 60,
                      millisecond: Int(msOfDay % 1000))
    }

    private static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let s = String(value)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        Int(CivilDate.daysInMonth(year: Int64(year), month: Int64(month)))
    }

    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        Int(CivilDate(year: Int64(year), month: Int64(month), day: Int64(day)).days)
    }

    private static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let date = CivilDate(days: Int64(days))
        return (Int(date.year), Int(date.month), Int(date.day))
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard index < bytes.count, (48...57).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int(bytes[index] - 48)
        }

        mutating func digits(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let d = digit() else { return nil }
                value = value * 10 + d
            }
            return value
        }

        mutating func sign() -> Int? {
            if take(UInt8(ascii: "+")) { return 1 }
            if take(UInt8(ascii: "-")) { return -1 }
            return nil
        }
    }
}
