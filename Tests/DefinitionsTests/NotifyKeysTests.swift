import Foundation
import Testing
@testable import Definitions

@Suite struct NotifyKeysTests {
    let parser = JobFileParserTests()

    @Test func readsNotifyAndPing() throws {
        let definition = try parser.parse("""
        command: "true"
        notify:
          on: recovery
          command: "alert --room ops"
          webhook: https://chat.example/hooks/T0001
          headers: {Authorization: "Bearer ${ALERT_TOKEN}", X-Room: 7}
          mail: ops@example.com
        ping: https://hc-ping.com/1f3c
        """).get()
        let notify = try #require(definition.notify)
        #expect(notify.on == [.recovery])
        #expect(notify.command == ["/bin/sh", "-c", "alert --room ops"])
        #expect(notify.webhook == "https://chat.example/hooks/T0001")
        #expect(notify.headers == [.init(name: "Authorization", value: "Bearer ${ALERT_TOKEN}"), .init(name: "X-Room", value: "7")])
        #expect(notify.mail == ["ops@example.com"])
        #expect(definition.ping == "https://hc-ping.com/1f3c")
    }

    @Test func defaultsToFailureOnlyAndComesFromTheDefaultsFile() throws {
        let definition = try parser.parse("command: \"true\"\n", defaults: "notify: {mail: [root]}\nping: http://127.0.0.1:8000/p\n").get()
        #expect(definition.notify?.on == [.failure])
        #expect(definition.notify?.mail == ["root"])
        #expect(definition.ping == "http://127.0.0.1:8000/p")
        // A job's own `notify` replaces the default one as a whole.
        let own = try parser.parse("command: \"true\"\nnotify: {webhook: 'http://h/x'}\n", defaults: "notify: {mail: [root]}\n").get()
        #expect(own.notify?.mail == [])
        #expect(own.notify?.webhook == "http://h/x")
    }

    @Test func refusesWhatCannotBeSent() {
        #expect(parser.problems("command: x\nnotify: {webhook: 'http://h/x', headers: {A: '${'}}\n").first?.contains("`notify.headers.A`") == true)
        #expect(parser.problems("command: x\nnotify: {mail: [root], headers: {A: b}}\n").first?.contains("sent with the `webhook`") == true)
        #expect(parser.problems("command: x\nnotify: {command: []}\n").first?.contains("must not be an empty list") == true)
        #expect(parser.problems("command: x\nnotify: {webhook: 'https://'}\n").first?.contains("not a URL with a host") == true)
        #expect(parser.problems("command: x\nnotify: {webhook: 'http://h/x', onn: failure}\n").first?.contains("did you mean `on`?") == true)
        #expect(parser.problems("command: x\nping: ftp://h/x\n").first?.contains("http:// or https://") == true)
    }

    @Test func aURLIsJudgedTheSameEveryTimeItIsRead() {
        // More URLs than the answers kept, each read twice: good ones stay good, bad ones bad.
        for round in 0..<2 {
            for n in 0..<100 {
                #expect(parser.problems("command: x\nping: http://host\(n).example/p\n").isEmpty, "round \(round), url \(n)")
                #expect(parser.problems("command: x\nping: 'http://:\(n)/p'\n").first?.contains("not a URL with a host") == true,
                        "round \(round), url \(n)")
            }
        }
    }
}
