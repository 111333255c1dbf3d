import Foundation
import Scheduling
import Testing

/// What a trigger file's content and an approval marker's content mean.
@Suite struct RequestContentTests {
    func environment(_ text: String) -> Result<[String: String], TriggerRequest.Problem> {
        TriggerRequest.environment(from: Data(text.utf8))
    }

    @Test func emptyOrBlankTriggerAddsNothing() {
        #expect(environment("") == .success([:]))
        #expect(environment(" \n\t\r\n") == .success([:]))
        #expect(environment("{\"other\": 1}") == .success([:]))
    }

    @Test func triggerEnvMapsNamesToStrings() {
        #expect(environment("{\"env\": {\"GREETING\": \"hello\", \"_N2\": \"\"}}") == .success(["GREETING": "hello", "_N2": ""]))
    }

    @Test func triggerContentThatIsNotARequestIsRefusedWithAReason() {
        #expect(environment("[1]") == .failure(.init("content is not a JSON object like {\"env\": {\"K\": \"V\"}}")))
        #expect(environment("{\"env\": ") == .failure(.init("content is not a JSON object like {\"env\": {\"K\": \"V\"}}")))
        #expect(environment("{\"env\": {\"1A\": \"x\"}}") == .failure(.init("`env` must map variable names to strings")))
        #expect(environment("{\"env\": {\"A\": 1}}") == .failure(.init("`env` must map variable names to strings")))
        let large = "{\"env\": {\"A\": \"" + String(repeating: "x", count: 64 * 1024) + "\"}}"
        #expect(environment(large) == .failure(.init("request is larger than 64 KiB")))
    }

    @Test func approvalCommentIsTheTrimmedFirst4KiB() {
        #expect(ApprovalMarker.comment(from: Data()) == nil)
        #expect(ApprovalMarker.comment(from: Data(" \n\t".utf8)) == nil)
        #expect(ApprovalMarker.comment(from: Data("  looks good\n".utf8)) == "looks good")
        #expect(ApprovalMarker.comment(from: Data(String(repeating: "a", count: 5000).utf8)) == String(repeating: "a", count: 4096))
        #expect(ApprovalMarker.comment(from: Data([0x6F, 0x6B, 0xFF])) == "ok\u{FFFD}")
    }
}
