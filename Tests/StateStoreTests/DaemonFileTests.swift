import Foundation
import StateStore
import Testing

/// `daemon.json` as the command line reads it back.
@Suite struct DaemonFileTests {
    @Test func fieldsOfTheDaemonsFile() {
        let file = DaemonFile(bytes: Data("{\"pid\": 42, \"host\": \"backup-01\", \"started_at\": \"2026-11-23T01:30:00.000Z\"}".utf8))
        #expect(file.isReadable)
        #expect(file.pid == 42)
        #expect(file.host == "backup-01")
        #expect(file.startedAt == Date(timeIntervalSince1970: 1_795_397_400))
    }

    @Test func contentThatIsNotAnObjectIsUnreadableAndEmpty() {
        for text in ["", "[]", "{\"pid\": ", "42"] {
            let file = DaemonFile(bytes: Data(text.utf8))
            #expect(!file.isReadable, "\(text)")
            #expect(file.object.isEmpty && file.pid == nil, "\(text)")
        }
        #expect(DaemonFile(bytes: Data("{\"pid\": \"42\"}".utf8)).pid == nil)
    }
}
