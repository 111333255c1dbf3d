import Cron
import Foundation
import Scheduling
import Testing

@Suite struct MissedSlotsTests {
    let anchor = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func intervalSlotsInHalfOpenRange() throws {
        let every = try IntervalSchedule(anchor: anchor, interval: .seconds(60))
        let missed = MissedSlots.between(anchor.addingTimeInterval(60), and: anchor.addingTimeInterval(240), of: every, limit: 100)
        #expect(missed.slots == [120, 180, 240].map { anchor.addingTimeInterval($0) })
        #expect(!missed.truncated)
        // The limit keeps the latest slots and says that older ones were dropped.
        let capped = MissedSlots.between(anchor, and: anchor.addingTimeInterval(86_400), of: every, limit: 2)
        #expect(capped.slots == [anchor.addingTimeInterval(86_340), anchor.addingTimeInterval(86_400)])
        #expect(capped.truncated)
        #expect(MissedSlots.between(anchor.addingTimeInterval(10), and: anchor.addingTimeInterval(50), of: every, limit: 5) == .none)
        #expect(MissedSlots.between(anchor.addingTimeInterval(50), and: anchor, of: every, limit: 5) == .none)
    }

    @Test func cronSlotsAfterDowntime() throws {
        let zone = try TimeZoneRules(named: "Europe/Berlin")
        let nightly = CronSchedule(expression: try CronExpression("30 2 * * *"), zone: zone)
        // Last run 2026-03-27 02:30 CET; back on 2026-03-30 at 12:00 UTC. The 29th's slot is
        // 03:00 CEST: 02:30 did not exist that night.
        let last = Date(timeIntervalSince1970: 1_774_575_000)
        let now = Date(timeIntervalSince1970: 1_774_872_000)
        let missed = MissedSlots.between(last, and: now, of: nightly, limit: 100)
        #expect(missed.slots.map { RFC3339.format($0, in: zone) }
            == ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"])
        #expect(!missed.truncated)
        let latest = MissedSlots.between(last, and: now, of: nightly, limit: 1)
        #expect(latest.slots.map { RFC3339.format($0, in: zone) } == ["2026-03-30T02:30:00+02:00"])
        #expect(latest.truncated)
    }

    @Test func aSlotExactlyAtNowIsIncluded() throws {
        let minutely = CronSchedule(expression: try CronExpression("* * * * *"), zone: .utc)
        let now = Date(timeIntervalSince1970: 1_800_000_000)  // a whole minute
        let missed = MissedSlots.between(now.addingTimeInterval(-120), and: now, of: minutely, limit: 10)
        #expect(missed.slots == [now.addingTimeInterval(-60), now])
    }

    @Test func longDowntimeOfADenseScheduleStaysCheap() throws {
        let everySecond = CronSchedule(expression: try CronExpression("* * * * * *"), zone: .utc)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let missed = MissedSlots.between(now.addingTimeInterval(-365 * 86_400), and: now, of: everySecond, limit: 100)
        #expect(missed.slots.count == 100)
        #expect(missed.slots.last == now)
        #expect(missed.slots.first == now.addingTimeInterval(-99))
        #expect(missed.truncated)
    }
}

@Suite struct StartingDeadlineTests {
    let slot = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func aSlotMoreThanTheDeadlineLateIsNotStarted() {
        let deadline = StartingDeadline(.seconds(30))
        #expect(deadline.allowsStart(of: slot, at: slot))
        #expect(deadline.allowsStart(of: slot, at: slot.addingTimeInterval(30)))
        #expect(!deadline.allowsStart(of: slot, at: slot.addingTimeInterval(30.001)))
        #expect(deadline.allowsStart(of: slot, at: slot.addingTimeInterval(-5)))
    }

    @Test func partitionsCatchUpSlots() {
        let deadline = StartingDeadline(.seconds(90))
        let slots = [0, 60, 120, 180].map { slot.addingTimeInterval(TimeInterval($0)) }
        let (start, skip) = deadline.partition(slots, at: slot.addingTimeInterval(200))
        #expect(start == [slot.addingTimeInterval(120), slot.addingTimeInterval(180)])
        #expect(skip == [slot, slot.addingTimeInterval(60)])
    }
}
