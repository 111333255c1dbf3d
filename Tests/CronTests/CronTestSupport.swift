import Cron
import Foundation

/// Fire times as RFC 3339 strings in the zone, for readable hand-checked expectations.
func fires(_ text: String, zone: String = "UTC", after: String, count: Int = 3) throws -> [String] {
    let rules = try TimeZoneRules(named: zone)
    let expression = try CronExpression(text)
    guard let start = RFC3339.parse(after) else { throw BadTimestamp(text: after) }
    return expression.fireTimes(after: start, in: rules, count: count).map { RFC3339.format($0, in: rules) }
}

struct BadTimestamp: Error { var text: String }

/// The message of the error `CronExpression(text)` throws, or nil if it parses.
func rejection(_ text: String) -> String? {
    do {
        _ = try CronExpression(text)
        return nil
    } catch {
        return error.message
    }
}
