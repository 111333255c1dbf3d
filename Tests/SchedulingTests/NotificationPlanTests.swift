import Definitions
import Foundation
import PolicySupport
import Scheduling
import Testing

@Suite struct NotificationPlanTests {
    static let hook = "notify: {on: [failure, recovery], webhook: 'https://chat.example/hook', headers: {Authorization: 'Bearer ${T}'}, command: [/bin/alert], mail: [ops@example.com]}\nping: https://hc-ping.com/abc\n"

    func planned(_ record: ExecutionRecord, failuresBefore: Int = 0, yaml: String = hook) -> [String] {
        let job = Policy.job("j", yaml)
        return NotificationPlan.onFinish(record, failuresBefore: failuresBefore, notify: job.notify, ping: job.ping)
            .map { "\($0.target.name):\($0.event)" }
    }

    @Test(arguments: [ExecutionState.failed, .timedOut, .interrupted])
    func aLastFailedAttemptIsAFailure(_ state: ExecutionState) {
        let record = Policy.record("j", slot: 0, state: state)
        #expect(planned(record) == ["webhook:failure", "command:failure", "mail:failure", "ping/fail:failure"])
    }

    @Test func aFailedAttemptThatIsRetriedTellsNobody() {
        var record = Policy.record("j", slot: 0, state: .failed)
        record.trigger.retryAt = Policy.at(60)
        #expect(planned(record).isEmpty)
        #expect(!NotificationPlan.events(of: record, failuresBefore: 0).contains(.failure))
    }

    @Test func recoveryIsTheFirstSuccessAfterFailures() {
        let success = Policy.record("j", slot: 0, state: .succeeded)
        #expect(planned(success, failuresBefore: 2) == ["webhook:recovery", "command:recovery", "mail:recovery", "ping:success"])
        // No failure before: a success, which `on` does not ask for; the ping still goes.
        #expect(planned(success, failuresBefore: 0) == ["ping:success"])
    }

    @Test func aRetrySucceedingAfterItsOwnFailedAttemptsIsNoRecovery() {
        let retry = Policy.record("j", slot: 0, attempt: 3, state: .succeeded)
        #expect(!NotificationPlan.events(of: retry, failuresBefore: 2).contains(.recovery))
        #expect(NotificationPlan.events(of: retry, failuresBefore: 3).contains(.recovery))
    }

    @Test func alwaysCoversEveryEndButSkipped() {
        let yaml = "notify: {on: always, webhook: 'http://h/x'}\n"
        for state in ExecutionState.allCases where state.isTerminal {
            let told = planned(Policy.record("j", slot: 0, state: state), yaml: yaml)
            #expect(told == (state == .skipped ? [] : ["webhook:always"]))
        }
        let skippedYAML = "notify: {on: [skipped], webhook: 'http://h/x'}\n"
        #expect(planned(Policy.record("j", slot: 0, state: .skipped), yaml: skippedYAML) == ["webhook:skipped"])
        #expect(planned(Policy.record("j", slot: 0, state: .canceled), yaml: skippedYAML).isEmpty)
    }

    @Test func theDefaultIsFailureOnly() {
        let yaml = "notify: {webhook: 'http://h/x'}\n"
        #expect(planned(Policy.record("j", slot: 0, state: .succeeded), failuresBefore: 3, yaml: yaml).isEmpty)
        #expect(planned(Policy.record("j", slot: 0, state: .failed), yaml: yaml) == ["webhook:failure"])
    }

    @Test func aPlannedWebhookCarriesNoHeaders() throws {
        let delivery = try #require(NotificationPlan.onFinish(Policy.record("j", slot: 0, state: .failed), failuresBefore: 0,
                                                              notify: Policy.job("j", Self.hook).notify, ping: nil).first)
        #expect(delivery.target == .webhook(url: "https://chat.example/hook"))
        let pending = PendingNotifications(record: Policy.record("j", slot: 0, state: .failed),
                                           deliveries: [.init(planned: delivery, dueAt: Date())])
        let text = String(decoding: try JSONEncoder().encode(pending), as: UTF8.self)
        #expect(!text.contains("Bearer") && !text.contains("Authorization"), "\(text)")
    }

    @Test func pingURLs() {
        #expect(NotificationPlan.onStart(ping: "https://hc-ping.com/abc").first?.target.url == "https://hc-ping.com/abc/start")
        #expect(NotificationTarget.ping(url: "https://hc-ping.com/abc/", suffix: "/fail").url == "https://hc-ping.com/abc/fail")
        #expect(NotificationTarget.ping(url: "https://hc-ping.com/abc", suffix: "").url == "https://hc-ping.com/abc")
        #expect(NotificationPlan.onStart(ping: nil).isEmpty)
    }

    @Test func retriesDoubleOverAboutTenMinutesAndStopAfterFive() {
        let schedule = DeliverySchedule.standard
        var at = Policy.t0
        var waits: [TimeInterval] = []
        for attempt in 1...5 {
            guard let next = schedule.nextAttempt(after: attempt, endedAt: at, httpStatus: 500) else { break }
            waits.append(next.timeIntervalSince(at))
            at = next
        }
        #expect(waits == [40, 80, 160, 320])
        #expect(waits.reduce(0, +) == 600)
        #expect(schedule.nextAttempt(after: 5, endedAt: at, httpStatus: nil) == nil)
    }

    @Test func aRequestTheServerRefusesAsWrongIsNotRetried() {
        let schedule = DeliverySchedule.standard
        #expect(schedule.nextAttempt(after: 1, endedAt: Policy.t0, httpStatus: 404) == nil)
        #expect(schedule.nextAttempt(after: 1, endedAt: Policy.t0, httpStatus: 429) != nil)
        #expect(schedule.nextAttempt(after: 1, endedAt: Policy.t0, httpStatus: 503) != nil)
        #expect(schedule.nextAttempt(after: 1, endedAt: Policy.t0, httpStatus: nil) != nil)
    }

    @Test func subjects() {
        var record = Policy.record("backup", slot: 0, state: .failed)
        record.exitCode = 3
        #expect(NotificationMessage.subject(record, event: "failure") == "jobdir: backup failed (exit 3) on test")
        record.state = .succeeded
        #expect(NotificationMessage.subject(record, event: "recovery") == "jobdir: backup recovered on test")
        record.state = .timedOut
        #expect(NotificationMessage.subject(record, event: "failure") == "jobdir: backup timed out on test")
    }

    @Test func theMailNamesItsRecipientsAndCarriesTheTail() {
        var record = Policy.record("backup", slot: 0, state: .failed)
        record.exitCode = 3
        record.output = OutputSummary(log: "logs/backup/x.log", bytes: 10, truncated: false, tail: "no space\n")
        let text = NotificationMessage.mail(record, event: "failure", to: ["a@example.com", "b@example.com"])
        let parts = text.components(separatedBy: "\n\n")
        #expect(parts[0].components(separatedBy: "\n").contains("To: a@example.com, b@example.com"))
        #expect(parts[0].components(separatedBy: "\n").contains("Subject: jobdir: backup failed (exit 3) on test"))
        #expect(parts[1] == "no space")
    }
}
