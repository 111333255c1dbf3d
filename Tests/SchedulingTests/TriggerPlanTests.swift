import Cron
import Foundation
import Testing
@testable import Definitions
@testable import Scheduling

/// Which slots fire when: the pure decision behind the daemon's timers.
@Suite struct TriggerPlanTests {
    func definition(_ yaml: String) throws -> JobDefinition {
        let (root, problems) = YAMLReader(file: "job.yaml").read(Array(yaml.utf8))
        #expect(problems.isEmpty)
        return try JobFileParser(directory: "/jobs").parse(try #require(root), defaults: nil, id: JobID("job")!, file: "job.yaml", sha256: "x").get()
    }

    func at(_ text: String) -> Date { Timestamp.parse(text)! }

    @Test func cronSlotFiresOnTimeAndNextDueFollows() throws {
        let plan = TriggerPlan(definition: try definition("command: x\nschedule: '*/5 * * * *'\n"), firstSeen: at("2026-11-23T10:00:30.000Z"), zone: .utc, loadedAt: at("2026-11-23T10:00:30.000Z"))
        var timeline = JobTimeline(firstSeen: at("2026-11-23T10:00:30.000Z"))
        #expect(plan.wakeTime(timeline, now: at("2026-11-23T10:01:00.000Z")) == at("2026-11-23T10:05:00.000Z"))
        let (slots, updated) = plan.due(timeline, now: at("2026-11-23T10:05:00.002Z"))
        #expect(slots == [TriggerPlan.Slot(kind: .cron, time: at("2026-11-23T10:05:00.000Z"), catchup: false, pastDeadline: false)])
        timeline = updated
        #expect(plan.due(timeline, now: at("2026-11-23T10:05:00.500Z")).slots.isEmpty, "a slot fires once")
        #expect(plan.wakeTime(timeline, now: at("2026-11-23T10:05:00.500Z")) == at("2026-11-23T10:10:00.000Z"))
    }

    @Test func slotsBeforeTheJobWasFirstSeenNeverFire() throws {
        let plan = TriggerPlan(definition: try definition("command: x\nschedule: '* * * * *'\ncatchup: all\n"), firstSeen: at("2026-11-23T10:00:30.000Z"), zone: .utc, loadedAt: at("2026-11-23T10:00:30.000Z"))
        let slots = plan.due(JobTimeline(firstSeen: at("2026-11-23T10:00:30.000Z")), now: at("2026-11-23T10:00:40.000Z")).slots
        #expect(slots.isEmpty)
    }

    @Test(arguments: [("none", 0), ("latest", 1), ("all", 3)])
    func catchupAfterDowntime(mode: String, catchups: Int) throws {
        let plan = TriggerPlan(definition: try definition("command: x\nschedule: '0 * * * *'\ncatchup: \(mode)\n"), firstSeen: at("2026-11-20T00:00:00.000Z"), zone: .utc, loadedAt: at("2026-11-23T14:00:10.000Z"))
        // Last ran at 10:00; down until 14:00:10: 11:00, 12:00, 13:00 were missed, 14:00 is on time.
        let timeline = JobTimeline(firstSeen: at("2026-11-20T00:00:00.000Z"), lastSlot: [.cron: at("2026-11-23T10:00:00.000Z")])
        let (slots, updated) = plan.due(timeline, now: at("2026-11-23T14:00:10.000Z"))
        #expect(slots.filter(\.catchup).count == catchups)
        #expect(slots.filter { !$0.catchup }.map(\.time) == [at("2026-11-23T14:00:00.000Z")])
        if mode == "latest" { #expect(slots.first?.time == at("2026-11-23T13:00:00.000Z")) }
        #expect(updated.lastSlot[.cron] == at("2026-11-23T14:00:00.000Z"))
    }

    @Test func maxCatchupKeepsTheNewestMissedSlots() throws {
        let plan = TriggerPlan(definition: try definition("command: x\nschedule: '0 * * * *'\ncatchup: all\nmax_catchup: 2\n"), firstSeen: at("2026-11-20T00:00:00.000Z"), zone: .utc, loadedAt: at("2026-11-23T14:30:00.000Z"))
        let timeline = JobTimeline(firstSeen: at("2026-11-20T00:00:00.000Z"), lastSlot: [.cron: at("2026-11-23T08:00:00.000Z")])
        let slots = plan.due(timeline, now: at("2026-11-23T14:30:00.000Z")).slots
        #expect(slots.map(\.time) == [at("2026-11-23T13:00:00.000Z"), at("2026-11-23T14:00:00.000Z")])
        #expect(slots.allSatisfy { $0.catchup }, "14:00 is 30 minutes late: not on time")
    }

    @Test func startingDeadlineMarksLateSlots() throws {
        let plan = TriggerPlan(definition: try definition("command: x\nschedule: '0 * * * *'\ncatchup: all\nstarting_deadline: 90m\n"), firstSeen: at("2026-11-20T00:00:00.000Z"), zone: .utc, loadedAt: at("2026-11-23T14:30:00.000Z"))
        let timeline = JobTimeline(firstSeen: at("2026-11-20T00:00:00.000Z"), lastSlot: [.cron: at("2026-11-23T11:00:00.000Z")])
        let slots = plan.due(timeline, now: at("2026-11-23T14:30:00.000Z")).slots
        #expect(slots.map(\.pastDeadline) == [true, false, false], "12:00 is 2h30m late; 13:00 and 14:00 are within 90m")
    }

    @Test func intervalsAreAnchoredAtFirstSeen() throws {
        let plan = TriggerPlan(definition: try definition("command: x\nevery: 90s\n"), firstSeen: at("2026-11-23T10:00:00.250Z"), zone: .utc, loadedAt: at("2026-11-23T10:00:00.250Z"))
        let timeline = JobTimeline(firstSeen: at("2026-11-23T10:00:00.250Z"))
        #expect(plan.wakeTime(timeline, now: at("2026-11-23T10:02:00.000Z")) == at("2026-11-23T10:03:00.250Z"))
    }

    @Test func oneShotsInThePastNeverFire() throws {
        let plan = TriggerPlan(definition: try definition("command: x\nat: ['2026-11-23T09:00:00Z', '2026-11-23T11:00:00Z']\n"), firstSeen: at("2026-11-01T00:00:00.000Z"), zone: .utc, loadedAt: at("2026-11-23T10:00:00.000Z"))
        let timeline = JobTimeline(firstSeen: at("2026-11-01T00:00:00.000Z"))
        #expect(plan.due(timeline, now: at("2026-11-23T10:00:00.000Z")).slots.isEmpty)
        #expect(plan.wakeTime(timeline, now: at("2026-11-23T10:00:00.000Z")) == at("2026-11-23T11:00:00.000Z"))
    }

    @Test func wallClockStepBackDoesNotRepeatSlots() throws {
        let plan = TriggerPlan(definition: try definition("command: x\nschedule: '0 * * * *'\n"), firstSeen: at("2026-11-20T00:00:00.000Z"), zone: .utc, loadedAt: at("2026-11-23T14:00:00.000Z"))
        let timeline = JobTimeline(firstSeen: at("2026-11-20T00:00:00.000Z"), lastSlot: [.cron: at("2026-11-23T14:00:00.000Z")])
        // The clock is set back an hour: 13:00 and 14:00 come round again but were dealt with.
        #expect(plan.due(timeline, now: at("2026-11-23T14:00:05.000Z").addingTimeInterval(-3600)).slots.isEmpty)
        #expect(plan.wakeTime(timeline, now: at("2026-11-23T13:00:05.000Z")) == at("2026-11-23T15:00:00.000Z"))
    }

    @Test func daylightSavingInAZone() throws {
        let berlin = try TimeZoneRules(named: "Europe/Berlin")
        let plan = TriggerPlan(definition: try definition("command: x\nschedule: '30 2 * * *'\ntimezone: Europe/Berlin\n"), firstSeen: at("2026-03-28T00:00:00.000Z"), zone: berlin, loadedAt: at("2026-03-28T00:00:00.000Z"))
        // 02:30 does not exist on 2026-03-29 in Berlin: it fires at 03:00 CEST (01:00 UTC).
        #expect(plan.nextDue(after: at("2026-03-28T12:00:00.000Z"))[.cron] == at("2026-03-29T01:00:00.000Z"))
    }
}
