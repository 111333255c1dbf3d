import Foundation

/// One try to tell someone about an execution, appended to its record under
/// `notifications` (SPEC section 10): which target, when, whether it worked, the HTTP
/// status or exit code, and the error. Never a header value or a secret.
///
/// `answer`, the start of what an HTTP server said back, is for the person running
/// `jobdir notify-test` and is not encoded: the record keeps `http_status` and `error`,
/// and a server's text (which may echo what it was sent, or more) stays out of state files.
package struct NotificationAttempt: Hashable, Sendable, Codable {
    /// `webhook`, `command`, `mail`, `ping`, `ping/start` or `ping/fail`.
    package var target: String
    /// What was told: `failure`, `recovery`, `success`, `always`, `skipped` or `start`.
    package var event: String
    /// 1 for the first try of this delivery, up to `DeliverySchedule.maxAttempts`.
    package var attempt: Int
    package var at: Date
    package var ok: Bool
    package var httpStatus: Int?
    package var exitCode: Int32?
    package var error: String?
    /// When the next try is due, when one follows.
    package var retryAt: Date?
    /// The start of an HTTP server's answer body as one printable line (`answer(from:)`);
    /// nil when it sent none. Not encoded.
    package var answer: String?

    /// How many bytes of an answer body are kept.
    package static let answerBytes = 200

    package init(target: String, event: String, attempt: Int, at: Date, ok: Bool, httpStatus: Int? = nil,
                 exitCode: Int32? = nil, error: String? = nil, retryAt: Date? = nil, answer: String? = nil) {
        self.target = target
        self.event = event
        self.attempt = attempt
        self.at = at
        self.ok = ok
        self.httpStatus = httpStatus
        self.exitCode = exitCode
        self.error = error
        self.retryAt = retryAt
        self.answer = answer
    }

    /// The first `answerBytes` of `body` as one line a terminal shows safely: invalid
    /// UTF-8 and a character cut at the end dropped, control characters and runs of
    /// white space made one space, trimmed; nil when nothing is left.
    package static func answer(from body: [UInt8]) -> String? {
        var text = String(decoding: body.prefix(answerBytes), as: UTF8.self)
        while text.hasSuffix("\u{FFFD}") { text.removeLast() }
        var line = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars where scalar != "\u{FFFD}" {
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                pendingSpace = !line.isEmpty
            } else {
                if pendingSpace { line.append(" ") }
                pendingSpace = false
                line.unicodeScalars.append(scalar)
            }
        }
        return line.isEmpty ? nil : line
    }

    enum CodingKeys: String, CodingKey {
        case target, event, attempt, at, ok, error
        case httpStatus = "http_status", exitCode = "exit_code", retryAt = "retry_at"
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        target = try c.decode(String.self, forKey: .target)
        event = try c.decode(String.self, forKey: .event)
        attempt = try c.decode(Int.self, forKey: .attempt)
        at = try c.decodeTimestamp(forKey: .at)
        ok = try c.decode(Bool.self, forKey: .ok)
        httpStatus = try c.decodeIfPresent(Int.self, forKey: .httpStatus)
        exitCode = try c.decodeIfPresent(Int32.self, forKey: .exitCode)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        retryAt = try c.decodeTimestampIfPresent(forKey: .retryAt)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(target, forKey: .target)
        try c.encode(event, forKey: .event)
        try c.encode(attempt, forKey: .attempt)
        try c.encodeTimestamp(at, forKey: .at)
        try c.encode(ok, forKey: .ok)
        try c.encodeOrNull(httpStatus, forKey: .httpStatus)
        try c.encodeOrNull(exitCode, forKey: .exitCode)
        try c.encodeOrNull(error, forKey: .error)
        try c.encodeTimestamp(retryAt, forKey: .retryAt)
    }
}
