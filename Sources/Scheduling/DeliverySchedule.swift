import Foundation

/// How often and how long a notification is tried: up to 5 attempts, each bounded by
/// 10 s, the waits doubling from `firstDelay` (40 s by default: 40 s, 80 s, 160 s,
/// 320 s, so the last attempt comes about 10 minutes after the first).
package struct DeliverySchedule: Sendable, Equatable {
    package static let maxAttempts = 5
    package static let attemptTimeout: Duration = .seconds(10)
    package static let standard = DeliverySchedule(firstDelay: .seconds(40))

    package var firstDelay: Duration

    package init(firstDelay: Duration) { self.firstDelay = firstDelay }

    /// When the attempt after attempt number `attempt` (1-based) is due, or nil when
    /// none follows: the attempts are used up, or the failure cannot be cured by trying
    /// again (an HTTP 4xx other than 408 and 429: the request itself is wrong).
    package func nextAttempt(after attempt: Int, endedAt: Date, httpStatus: Int?) -> Date? {
        guard attempt < Self.maxAttempts else { return nil }
        if let status = httpStatus, (400..<500).contains(status), status != 408, status != 429 { return nil }
        let seconds = Double(firstDelay.components.seconds) + Double(firstDelay.components.attoseconds) / 1e18
        return endedAt.addingTimeInterval(seconds * pow(2, Double(attempt - 1)))
    }
}
