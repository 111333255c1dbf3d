import Foundation
import Testing
import TestSupport

/// `jobdir cancel`, run as the real binary.
@Suite struct CancelCommandTests {
    @Test func dropsACancelRequestForALiveExecution() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        let record = try fixture.record("reports/build", .running, minutesAgo: 2)
        let result = try fixture.run(["cancel", record.id.rawValue])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("requested cancel of \(record.id.rawValue) of reports/build, running"))
        #expect(result.stderr.contains("no daemon is running"))
        #expect(fixture.stateFile("cancel/\(record.id.rawValue)") == "")
        let again = try fixture.run(["cancel", record.id.rawValue])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("a cancel request for \(record.id.rawValue) is already waiting"))
    }

    @Test func refusesUnknownAndEndedExecutions() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        let ended = try fixture.record("backup", .succeeded, minutesAgo: 2, exitCode: 0)
        let result = try fixture.run(["cancel", ended.id.rawValue])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("jobdir cancel: \(ended.id.rawValue) of backup already ended: succeeded at "))
        #expect(result.stderr.split(separator: "\n").count == 1)
        let unknown = try fixture.run(["cancel", "20261123T013000.000Z-cron-0000"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.hasPrefix("jobdir cancel: no execution 20261123T013000.000Z-cron-0000"))
        #expect((try? FileManager.default.contentsOfDirectory(atPath: fixture.state + "/cancel"))?.isEmpty == true)
    }
}
