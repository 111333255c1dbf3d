import Cron
import Foundation
import Testing
@testable import Scheduling

@Suite struct ExecutionIDTests {
    let due = Timestamp.parse("2026-11-23T01:30:00.000Z")!

    @Test func hasTheSpecifiedShape() {
        let id = ExecutionID(dueAt: due, trigger: .cron, random: 0x7f3a)
        #expect(id.rawValue == "20261123T013000.000Z-cron-7f3a")
        #expect(ExecutionID(dueAt: due, trigger: .manual, random: 0x00a).rawValue == "20261123T013000.000Z-manual-000a")
        #expect(id.dueAt == due)
        #expect(id.trigger == .cron)
        #expect(ExecutionID(rawValue: id.rawValue) == id)
    }

    @Test func sortsByDueTime() {
        let times = [0, 1, 999, 60_000, 86_400_000, 31_536_000_000].map { due.addingTimeInterval(Double($0) / 1000) }
        let ids = times.reversed().enumerated().map { ExecutionID(dueAt: $0.element, trigger: $0.offset % 2 == 0 ? .watch : .at, random: UInt16($0.offset * 9999)) }
        #expect(ids.sorted().map { Timestamp.milliseconds($0.dueAt) } == times.map(Timestamp.milliseconds))
        #expect(ids.map(\.rawValue).sorted() == ids.sorted().map(\.rawValue))
    }

    @Test(arguments: ["", "x", "20261123T013000.000Z-cron-7f3", "20261123T013000.000Z-cron-7F3A", "20261123T013000.000Z--7f3a",
                      "20261323T013000.000Z-cron-7f3a", "20261123T013000.000Z-Cron-7f3a", "2026-11-23T01:30:00.000Z-cron-7f3a"])
    func rejectsMalformed(_ text: String) {
        #expect(ExecutionID(rawValue: text) == nil)
    }

    @Test func occurrenceKeys() {
        let id = ExecutionID(dueAt: due, trigger: .cron, random: 0x7f3a)
        #expect(OccurrenceKey.slot(job: "nightly-backup", kind: .cron, at: due).rawValue == "nightly-backup:cron:2026-11-23T01:30:00.000Z")
        #expect(OccurrenceKey.slot(job: "a/b", kind: .every, at: due).rawValue == "a/b:every:2026-11-23T01:30:00.000Z")
        #expect(OccurrenceKey.watch(job: "w", contentHash: "abc123").rawValue == "w:watch:abc123")
        #expect(OccurrenceKey.chain(job: "down", upstream: id).rawValue == "down:after:20261123T013000.000Z-cron-7f3a")
        #expect(OccurrenceKey.manual(job: "m", execution: id).rawValue == "m:manual:20261123T013000.000Z-cron-7f3a")
        #expect(OccurrenceKey.slot(job: "reports/weekly", kind: .cron, at: due).job == "reports/weekly")
    }
}
