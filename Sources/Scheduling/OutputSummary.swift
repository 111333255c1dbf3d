/// The record's `output` object: where the log is, how many bytes the command wrote,
/// whether the log was cut to its head and tail, and the last 4 KiB of output.
package struct OutputSummary: Hashable, Sendable, Codable {
    /// Path of the log relative to the state directory (`logs/<job>/<id>.log`).
    package var log: String
    package var bytes: Int64
    package var truncated: Bool
    package var tail: String

    package init(log: String, bytes: Int64, truncated: Bool, tail: String) {
        self.log = log
        self.bytes = bytes
        self.truncated = truncated
        self.tail = tail
    }
}
