import Foundation
import Scheduling
import Testing
import TestSupport

/// `jobdir approve` and `jobdir reject`, run as the real binary: by execution id, by job
/// id with 0, 1 or 2 pending approvals, and refusals of decided ones.
@Suite struct ApprovalCommandTests {
    private func awaiting(_ fixture: StateFixture, _ job: String, minutesAgo: Double, random: UInt16 = 0x0001) throws -> ExecutionRecord {
        let record = try fixture.record(job, .awaitingApproval, minutesAgo: minutesAgo, kind: .manual, random: random,
                                        approval: .init(state: .pending, requestedAt: fixture.now, expiresAt: nil))
        try fixture.approval(record)
        return record
    }

    @Test func approveByExecutionIDDropsTheMarkerWithTheComment() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("deploy", "command: true\napproval: required\n")
        let record = try awaiting(fixture, "deploy", minutesAgo: 5)
        let result = try fixture.run(["approve", record.id.rawValue, "--comment", "ship it"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "approved \(record.id.rawValue) of deploy (\(fixture.state)/approvals/\(record.id.rawValue).approve)\n")
        #expect(result.stderr.contains("no daemon is running"))
        #expect(fixture.stateFile("approvals/\(record.id.rawValue).approve") == "ship it")
        let opposite = try fixture.run(["reject", record.id.rawValue])
        #expect(opposite.status == 1)
        #expect(opposite.stderr.contains("already has an `approve` decision waiting"))
        #expect(fixture.stateFile("approvals/\(record.id.rawValue).reject") == nil)
    }

    @Test func byJobIDWithZeroOneOrTwoPending() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("deploy", "command: true\napproval: required\n")
        let none = try fixture.run(["reject", "deploy"])
        #expect(none.status == 1)
        #expect(none.stderr == "jobdir reject: no execution of deploy awaits approval; `jobdir status deploy` shows its executions\n")
        let unknown = try fixture.run(["reject", "deplyo"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("unknown job `deplyo`; did you mean `deploy`?"))

        let first = try awaiting(fixture, "deploy", minutesAgo: 10)
        let lock = fixture.holdLock()
        defer { lock.release() }
        let one = try fixture.run(["reject", "deploy", "--comment", "not today"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.hasPrefix("rejected \(first.id.rawValue) of deploy"))
        #expect(one.stderr.isEmpty)
        #expect(fixture.stateFile("approvals/\(first.id.rawValue).reject") == "not today")

        let second = try awaiting(fixture, "deploy", minutesAgo: 5, random: 0x0002)
        let two = try fixture.run(["approve", "deploy"])
        #expect(two.status == 1)
        #expect(two.stderr == "jobdir approve: deploy has 2 executions awaiting approval (\(first.id.rawValue), \(second.id.rawValue)); give one of these ids\n")
        #expect(fixture.stateFile("approvals/\(second.id.rawValue).approve") == nil)
    }

    @Test func refusesDecidedAndUnknownExecutions() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        let record = try fixture.record("deploy", .succeeded, minutesAgo: 30, kind: .manual, exitCode: 0,
                                        approval: .init(state: .approved, requestedAt: fixture.now, expiresAt: nil, decidedBy: "alice"))
        try fixture.approval(record, state: "approved", decidedBy: "alice")
        let decided = try fixture.run(["reject", record.id.rawValue])
        #expect(decided.status == 1)
        #expect(decided.stderr.hasPrefix("jobdir reject: \(record.id.rawValue) of deploy was already approved by alice at "))
        let running = try fixture.record("deploy", .running, minutesAgo: 1, kind: .manual, random: 0x0003)
        let notWaiting = try fixture.run(["approve", running.id.rawValue])
        #expect(notWaiting.status == 1)
        #expect(notWaiting.stderr.contains("is not awaiting approval (state: running)"))
        let unknown = try fixture.run(["approve", "20261123T013000.000Z-manual-beef"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("jobdir approve: no execution 20261123T013000.000Z-manual-beef"))
    }
}
