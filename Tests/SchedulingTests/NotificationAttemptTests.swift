import Foundation
import Scheduling
import Testing

@Suite struct NotificationAttemptTests {
    @Test func anAnswerIsItsFirstBytesOnOnePrintableLine() {
        #expect(NotificationAttempt.answer(from: Array("invalid_token\n".utf8)) == "invalid_token")
        #expect(NotificationAttempt.answer(from: Array("{\"error\":\r\n\t\"bad\"}\u{1b}[2J\u{7}".utf8)) == "{\"error\": \"bad\"} [2J")
        #expect(NotificationAttempt.answer(from: Array(" \n\t ".utf8)) == nil)
        #expect(NotificationAttempt.answer(from: []) == nil)
        let long = NotificationAttempt.answer(from: Array(String(repeating: "a", count: 500).utf8))
        #expect(long?.utf8.count == NotificationAttempt.answerBytes)
        // A character cut at the 200th byte, and bytes that are not UTF-8, are dropped.
        let cut = NotificationAttempt.answer(from: Array((String(repeating: "a", count: 199) + "é").utf8))
        #expect(cut == String(repeating: "a", count: 199))
        #expect(NotificationAttempt.answer(from: [0x6f, 0xff, 0x6b]) == "ok")
    }

    @Test func theAnswerIsNotEncoded() throws {
        let attempt = NotificationAttempt(target: "webhook", event: "failure", attempt: 1, at: Date(timeIntervalSince1970: 0), ok: false,
                                          httpStatus: 403, error: "HTTP 403", answer: "invalid_token")
        let text = String(decoding: try JSONEncoder().encode(attempt), as: UTF8.self)
        #expect(!text.contains("answer") && !text.contains("invalid_token"), "\(text)")
    }
}
