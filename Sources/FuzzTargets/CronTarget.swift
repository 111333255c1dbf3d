import Cron
import Foundation

/// `ZONE\nSTART\nEXPRESSION`: a zone name (read from /usr/share/zoneinfo as `next
/// --timezone` and the job parser do), a start in seconds since 1970 (any text that is
/// not a number means 2026-03-29T00:00:00Z), and a cron expression. Fire times must
/// come, be strictly increasing and after the start, and the search must end.
enum CronTarget {
    static let defaultStart: Int64 = 1_774_742_400

    static func run(_ bytes: [UInt8]) {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        guard lines.count == 3 else { return }
        guard let zone = try? TimeZoneRules(named: String(lines[0])) else { return }
        let start = Int64(lines[1].trimmingCharacters(in: .whitespaces)).map { max(-1_000_000_000_000, min($0, 1_000_000_000_000)) } ?? defaultStart
        guard let expression = try? CronExpression(String(lines[2])) else { return }
        var previous = start
        for _ in 0..<5 {
            guard let next = expression.nextFire(afterUTC: previous, in: zone) else { return }
            FuzzCheck.expect(next > previous, "`\(lines[2])` in \(lines[0]) fired at \(next), not after \(previous)")
            previous = next
        }
        let date = Date(timeIntervalSince1970: TimeInterval(start))
        let times = expression.fireTimes(after: date, in: zone, count: 3)
        FuzzCheck.expect(zip(times, times.dropFirst()).allSatisfy { $0 < $1 }, "fire times not increasing: \(times)")
    }
}
