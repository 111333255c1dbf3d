import Foundation
import Scheduling
import Testing
import TestSupport

/// `jobdir logs`, run as the real binary; `--follow` against a log and a record the
/// test changes while the command runs.
@Suite struct LogsCommandTests {
    @Test func printsTheLogOfAnEndedExecution() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        let record = try fixture.record("reports/build", .succeeded, minutesAgo: 5, exitCode: 0)
        try fixture.appendLog(record, "line 1\nline 2\n")
        let result = try fixture.run(["logs", record.id.rawValue])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "line 1\nline 2\n")
    }

    @Test func unknownAndMalformedExecutions() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        let unknown = try fixture.run(["logs", "20261123T013000.000Z-cron-7f3a"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("jobdir logs: no execution 20261123T013000.000Z-cron-7f3a in "))
        #expect(unknown.stderr.split(separator: "\n").count == 1)
        let malformed = try fixture.run(["logs", "backup"])
        #expect(malformed.status == 1)
        #expect(malformed.stderr.hasPrefix("jobdir logs: `backup` is not an execution id"))
    }

    @Test func aQueuedExecutionHasNoOutputYet() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        let record = try fixture.record("backup", .queued, minutesAgo: 1)
        let result = try fixture.run(["logs", record.id.rawValue])
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("has no output yet (queued)"))
    }

    @Test func followPrintsAppendedOutputUntilTheRecordIsTerminal() async throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        var record = try fixture.record("reports/build", .running, minutesAgo: 1)
        try fixture.appendLog(record, "first\n")
        let follow = try BackgroundRun(["logs", record.id.rawValue, "--follow", "--jobs", fixture.jobs, "--state", fixture.state])
        defer { follow.kill() }
        #expect(await waitUntil { follow.stdout == "first\n" })
        try fixture.appendLog(record, "second\n")
        #expect(await waitUntil { follow.stdout == "first\nsecond\n" })
        #expect(follow.isRunning)
        try fixture.appendLog(record, "last words\n")
        record.state = .succeeded
        record.finishedAt = Date()
        record.exitCode = 0
        try fixture.store.write(record)
        #expect(await waitUntil { !follow.isRunning })
        #expect(follow.status == 0)
        #expect(await waitUntil { follow.stdout == "first\nsecond\nlast words\n" }, "\(follow.stdout)")
    }

    @Test func followWaitsForAQueuedExecutionToStart() async throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        var record = try fixture.record("backup", .queued, minutesAgo: 1)
        let follow = try BackgroundRun(["logs", record.id.rawValue, "--follow", "--jobs", fixture.jobs, "--state", fixture.state])
        defer { follow.kill() }
        record.state = .running
        record.startedAt = Date()
        record.output = OutputSummary(log: fixture.store.layout.logRelativePath(job: "backup", id: record.id), bytes: 0, truncated: false, tail: "")
        try fixture.store.write(record)
        try fixture.appendLog(record, "started\n")
        #expect(await waitUntil { follow.stdout == "started\n" })
        record.state = .failed
        record.exitCode = 1
        try fixture.store.write(record)
        #expect(await waitUntil { !follow.isRunning })
        #expect(follow.stdout == "started\n")
    }
}
