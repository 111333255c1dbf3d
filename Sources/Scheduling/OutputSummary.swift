/// The record's `output` object: where the log is, how many bytes the command wrote,
/// whether the log was cut to its head and tail, and the last 4 KiB of output.
package struct OutputSummary: Hashable, Sendable, Codable {
    /// Path of the log relative to the state directory (`logs/<job>/<id>.log`).
    package var log: String
    package var bytes: Int64
    package var truncated: Bool
    package var tail: String
    /// Why the log lacks output beyond the `max_bytes` bound, if it does: it could not be
    /// written (a full disk); the tail is still the command's last output.
    package var truncatedReason: String?

    package init(log: String, bytes: Int64, truncated: Bool, tail: String, truncatedReason: String? = nil) {
        self.log = log
        self.bytes = bytes
        self.truncated = truncated
        self.tail = tail
        self.truncatedReason = truncatedReason
    }

    enum CodingKeys: String, CodingKey {
        case log, bytes, truncated, tail, truncatedReason = "truncated_reason"
    }
}
