import Cron
import Foundation

extension ExecutionTrigger {
    /// The extra key `retry_at`: on a failed attempt's record, when its retry is due.
    /// The daemon sets it in the same write that makes the record terminal, so the chosen
    /// time survives a restart; a retry's own trigger never carries it over.
    package var retryAt: Date? {
        get {
            guard case .string(let text) = extra["retry_at"] else { return nil }
            return Timestamp.parse(text)
        }
        set { extra["retry_at"] = newValue.map { .string(Timestamp.format($0)) } }
    }
}
