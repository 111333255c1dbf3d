import Definitions
import Foundation
import Scheduling

/// `jobdir notify-test`: a sample execution of a job sent through its targets with the
/// daemon's own sender, on a small epoll loop of its own, one attempt each, so a person
/// sees what each target answered before relying on it.
package enum NotificationTest {
    /// A made-up terminal record of `definition` standing for `event`.
    package static func sample(of definition: JobDefinition, event: NotifyPolicy.Event, host: String, now: Date) -> ExecutionRecord {
        let id = ExecutionID(dueAt: now, trigger: .manual, random: UInt16.random(in: 0...UInt16.max))
        var record = ExecutionRecord.queued(id: id, job: definition.id.rawValue, occurrence: .manual(job: definition.id.rawValue, execution: id),
                                            trigger: ExecutionTrigger(kind: .manual, scheduledFor: now), definitionSHA256: definition.sha256,
                                            command: definition.argv, host: host, at: now)
        record.startedAt = now
        record.finishedAt = now
        record.durationMilliseconds = 0
        switch event {
        case .failure, .always:
            record.state = .failed
            record.exitCode = 1
            record.error = ExecutionFailure(kind: "exit", message: "exited with status 1 (a sample from jobdir notify-test)")
        case .skipped:
            record.state = .skipped
            record.error = ExecutionFailure(kind: "overlap", message: "a sample from jobdir notify-test")
        case .success, .recovery:
            record.state = .succeeded
            record.exitCode = 0
        }
        record.output = OutputSummary(log: "logs/\(record.job)/\(id.rawValue).log", bytes: 40, truncated: false,
                                      tail: "sample output from jobdir notify-test\n")
        return record
    }

    /// What to send for the sample: the `notify` targets whatever their `on`, and the
    /// ping (its success or fail URL) only when `ping` is asked for.
    package static func deliveries(of definition: JobDefinition, event: NotifyPolicy.Event, ping: Bool) -> [PlannedDelivery] {
        var notify = definition.notify
        notify?.on = [event]
        return NotificationPlan.onFinish(
            sample(of: definition, event: event, host: "", now: Date()), failuresBefore: event == .recovery ? 1 : 0,
            notify: notify, ping: ping ? definition.ping : nil)
    }

    /// Sends each delivery once and waits for every answer.
    package static func send(_ deliveries: [PlannedDelivery], record: ExecutionRecord, definition: JobDefinition, sendmail: String,
                             environment: [String: String]) throws -> [NotificationAttempt] {
        let loop = try EventLoop()
        let scratch = NSTemporaryDirectory() + "/jobdir-notify-test-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let http = try loop.makeHTTPClient()
        let sender = try NotificationSender(loop: loop, http: http, scratchDirectory: scratch, sendmail: sendmail)
        var answers: [Int: NotificationAttempt] = [:]
        for (index, delivery) in deliveries.enumerated() {
            sender.send(delivery, record: record, definition: definition, environment: environment) { answers[index] = $0 }
        }
        while answers.count < deliveries.count {
            for fd in loop.wait() {
                if http.owns(fd) { http.handle(fd) } else if sender.owns(fd) { sender.handleMailbox() }
            }
        }
        return deliveries.indices.compactMap { answers[$0] }
    }
}
