import Foundation
import Scheduling
import Testing

@Suite struct IntervalScheduleTests {
    let anchor = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func slotsAreAnchoredAndStrictlyAfter() throws {
        let every = try IntervalSchedule(anchor: anchor, interval: .seconds(90))
        #expect(every.nextSlot(after: anchor) == anchor.addingTimeInterval(90))
        #expect(every.nextSlot(after: anchor.addingTimeInterval(89.999)) == anchor.addingTimeInterval(90))
        #expect(every.nextSlot(after: anchor.addingTimeInterval(90)) == anchor.addingTimeInterval(180))
        // Before the anchor, the anchor itself is the next slot.
        #expect(every.nextSlot(after: anchor.addingTimeInterval(-5)) == anchor)
        // A restart a day later keeps the rhythm.
        #expect(every.nextSlot(after: anchor.addingTimeInterval(86_400 + 1)) == anchor.addingTimeInterval(86_400 + 90))
        #expect(every.slot(3) == anchor.addingTimeInterval(270))
    }

    @Test func millisecondIntervals() throws {
        let every = try IntervalSchedule(anchor: anchor, interval: .milliseconds(500))
        #expect(every.nextSlot(after: anchor.addingTimeInterval(0.2)) == anchor.addingTimeInterval(0.5))
        #expect(every.interval == .milliseconds(500))
    }

    @Test func rejectsIntervalsBelowOneMillisecond() {
        #expect(throws: ScheduleError.self) { try IntervalSchedule(anchor: anchor, interval: .zero) }
        #expect(throws: ScheduleError.self) { try IntervalSchedule(anchor: anchor, interval: .microseconds(999)) }
        #expect(throws: ScheduleError.self) { try IntervalSchedule(anchor: anchor, interval: .seconds(-1)) }
    }
}

@Suite struct OneShotScheduleTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func pastTimesNeverFire() {
        let at = OneShotSchedule(times: [now.addingTimeInterval(-60), now, now.addingTimeInterval(30),
                                         now.addingTimeInterval(10), now.addingTimeInterval(30)], now: now)
        #expect(at.times == [now.addingTimeInterval(10), now.addingTimeInterval(30)])
        #expect(at.nextSlot(after: now) == now.addingTimeInterval(10))
        #expect(at.nextSlot(after: now.addingTimeInterval(10)) == now.addingTimeInterval(30))
        #expect(at.nextSlot(after: now.addingTimeInterval(30)) == nil)
    }

    @Test func dueBetweenEvaluations() {
        let at = OneShotSchedule(times: [now.addingTimeInterval(10), now.addingTimeInterval(20)], now: now)
        #expect(at.due(after: now, through: now.addingTimeInterval(10)) == [now.addingTimeInterval(10)])
        #expect(at.due(after: now.addingTimeInterval(10), through: now.addingTimeInterval(15)).isEmpty)
        #expect(at.due(after: now.addingTimeInterval(15), through: now.addingTimeInterval(25)) == [now.addingTimeInterval(20)])
    }
}
