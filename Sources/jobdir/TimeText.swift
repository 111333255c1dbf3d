import Cron
import Foundation

/// Times and durations as the human tables print them.
enum TimeText {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// Like `ls -l`, in `zone`: `Nov 23 02:30` within six months of `now`, else `Nov 23  2025`.
    static func moment(_ date: Date, now: Date, zone: TimeZoneRules) -> String {
        let text = Array(RFC3339.format(date, in: zone))
        let month = Int(String(text[5..<7])) ?? 1
        let day = String(text[8..<10])
        let paddedDay = day.hasPrefix("0") ? " " + day.dropFirst() : Substring(day)
        let head = "\(months[max(0, min(11, month - 1))]) \(paddedDay)"
        if abs(date.timeIntervalSince(now)) < 182 * 86_400 {
            return head + " " + String(text[11..<16])
        }
        return head + "  " + String(text[0..<4])
    }

    /// `412ms`, `12.3s`, `3m12s`, `1h02m`, `2d03h`.
    static func duration(milliseconds ms: Int64) -> String {
        let ms = max(0, ms)
        if ms < 1_000 { return "\(ms)ms" }
        if ms < 60_000 {
            let tenths = ms / 100
            return tenths % 10 == 0 || ms >= 10_000 ? "\(ms / 1_000)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = ms / 1_000
        if seconds < 3_600 { return "\(seconds / 60)m\(pad(seconds % 60))s" }
        if seconds < 86_400 { return "\(seconds / 3_600)h\(pad(seconds / 60 % 60))m" }
        return "\(seconds / 86_400)d\(pad(seconds / 3_600 % 24))h"
    }

    /// The time from `start` to `end`, as `duration(milliseconds:)`.
    static func between(_ start: Date, _ end: Date) -> String {
        duration(milliseconds: Timestamp.milliseconds(end) - Timestamp.milliseconds(start))
    }

    private static func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
