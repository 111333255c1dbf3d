import Foundation
import PolicySupport
import Scheduling
import Testing
@testable import Daemon

@Suite struct NotificationDeskTests {
    static let webhook = PlannedDelivery(target: .webhook(url: "http://h/x"), event: "failure")
    static let start = PlannedDelivery(target: .ping(url: "http://h/p", suffix: "/start"), event: "start")

    func attempt(ok: Bool, status: Int? = nil) -> NotificationAttempt {
        NotificationAttempt(target: "webhook", event: "failure", attempt: 1, at: Policy.t0, ok: ok, httpStatus: status)
    }

    @Test func aFailedAttemptIsDueAgainAfterItsBackoffAndThePendingFileGoesWhenDone() throws {
        var desk = NotificationDesk(schedule: DeliverySchedule(firstDelay: .seconds(40)))
        let record = Policy.record("j", slot: 0, state: .failed)
        let (rewritten, pending) = desk.finished(record, deliveries: [Self.webhook], now: Policy.t0)
        #expect(rewritten == nil)
        #expect(pending?.deliveries.count == 1)
        let first = desk.takeDue(now: Policy.t0)
        #expect(first.count == 1)
        // In flight: not handed out twice, and no wake-up for it.
        #expect(desk.takeDue(now: Policy.at(1000)).isEmpty)
        #expect(desk.nextDue == nil)

        let failed = desk.attempted(first[0], outcome: attempt(ok: false, status: 500), now: Policy.at(1))
        #expect(failed.record?.notifications.map(\.attempt) == [1])
        #expect(failed.record?.notifications.first?.retryAt == Policy.at(41))
        #expect(failed.pending?.deliveries.first?.attempts == 1)
        #expect(failed.pending?.deliveries.first?.dueAt == Policy.at(41))
        #expect(desk.nextDue == Policy.at(41))
        #expect(desk.takeDue(now: Policy.at(40)).isEmpty)

        let second = desk.takeDue(now: Policy.at(41))
        #expect(second.first?.attempt == 2)
        let done = desk.attempted(second[0], outcome: attempt(ok: true, status: 200), now: Policy.at(42))
        #expect(done.record?.notifications.map(\.ok) == [false, true])
        #expect(done.removePending)
        #expect(desk.isEmpty)
    }

    @Test func theFifthFailedAttemptIsTheLast() {
        var desk = NotificationDesk(schedule: DeliverySchedule(firstDelay: .seconds(1)))
        _ = desk.finished(Policy.record("j", slot: 0, state: .failed), deliveries: [Self.webhook], now: Policy.t0)
        var now = Policy.t0
        var last: NotificationDesk.Update?
        for _ in 1...10 {
            guard let due = desk.takeDue(now: now).first else { break }
            last = desk.attempted(due, outcome: attempt(ok: false), now: now)
            now = now.addingTimeInterval(100)
        }
        #expect(last?.record?.notifications.count == 5)
        #expect(last?.removePending == true)
        #expect(desk.isEmpty)
    }

    @Test func aStartPingAnsweredBeforeTheEndIsKeptInTheTerminalRecord() {
        var desk = NotificationDesk(schedule: .standard)
        var running = Policy.record("j", slot: 0, state: .running)
        running.finishedAt = nil
        desk.started(running, deliveries: [Self.start], now: Policy.t0)
        let due = desk.takeDue(now: Policy.t0)
        let answered = desk.attempted(due[0], outcome: NotificationAttempt(target: "ping/start", event: "start", attempt: 1, at: Policy.t0, ok: true, httpStatus: 200), now: Policy.t0)
        // Nothing to write while the record is not terminal: the run's own writes own it.
        #expect(answered.record == nil && answered.pending == nil)
        let (rewritten, pending) = desk.finished(Policy.record("j", slot: 0, state: .succeeded), deliveries: [], now: Policy.at(1))
        #expect(rewritten?.notifications.map(\.target) == ["ping/start"])
        #expect(pending == nil)
        #expect(desk.isEmpty)
    }

    static let success = PlannedDelivery(target: .ping(url: "http://h/p", suffix: ""), event: "success")

    func running() -> ExecutionRecord {
        var record = Policy.record("j", slot: 0, state: .running)
        record.finishedAt = nil
        return record
    }

    @Test func aStartPingNotYetSentGoesWhenTheFinalPingIsPlanned() {
        var desk = NotificationDesk(schedule: .standard)
        desk.started(running(), deliveries: [Self.start], now: Policy.t0)
        _ = desk.finished(Policy.record("j", slot: 0, state: .succeeded), deliveries: [Self.success], now: Policy.t0)
        #expect(desk.takeDue(now: Policy.t0).map(\.delivery) == [Self.success])
    }

    @Test func theFinalPingWaitsForAStartInFlightWhichIsNotTriedAgain() {
        var desk = NotificationDesk(schedule: DeliverySchedule(firstDelay: .seconds(1)))
        desk.started(running(), deliveries: [Self.start], now: Policy.t0)
        let start = desk.takeDue(now: Policy.t0)
        #expect(start.map(\.delivery) == [Self.start])
        _ = desk.finished(Policy.record("j", slot: 0, state: .succeeded), deliveries: [Self.success], now: Policy.t0)
        // Held while /start is out: not handed out, and no wake-up for it.
        #expect(desk.takeDue(now: Policy.at(1)).isEmpty)
        #expect(desk.nextDue == nil)
        let failed = NotificationAttempt(target: "ping/start", event: "start", attempt: 1, at: Policy.t0, ok: false, httpStatus: 500)
        let update = desk.attempted(start[0], outcome: failed, now: Policy.at(1))
        #expect(update.record?.notifications.last?.retryAt == nil)
        #expect(desk.takeDue(now: Policy.at(1)).map(\.delivery) == [Self.success])
        #expect(desk.takeDue(now: Policy.at(1000)).isEmpty, "the failed /start is not due again")
    }

    @Test func restoredDeliveriesCarryOn() {
        var desk = NotificationDesk(schedule: .standard)
        let record = Policy.record("j", slot: 0, state: .failed)
        desk.restore(PendingNotifications(record: record, deliveries: [.init(planned: Self.webhook, attempts: 2, dueAt: Policy.at(5))]))
        #expect(desk.nextDue == Policy.at(5))
        let due = desk.takeDue(now: Policy.at(5))
        #expect(due.first?.attempt == 3)
        let done = desk.attempted(due[0], outcome: attempt(ok: true, status: 200), now: Policy.at(6))
        #expect(done.removePending)
    }
}
