import Foundation
import Testing
import TestSupport

/// `jobdir list`, run as the real binary on a jobs directory and a state directory.
@Suite struct ListCommandTests {
    private func fixture() throws -> StateFixture {
        let fixture = try StateFixture()
        try fixture.job("backup", "description: Nightly backup\ncommand: pg_dump\nschedule: '30 2 * * *'\nlabels: {team: ops}\n")
        try fixture.job("reports/build", "command: make\nevery: 5m\n")
        try fixture.job("reports/publish", "command: publish\nafter: reports/build\nwatch: {paths: [inbox/*.csv]}\n")
        try fixture.job("by-hand", "command: echo\nenabled: false\n")
        try fixture.job("broken", "command: echo\nscedule: '* * * * *'\n")
        try fixture.result("backup") { result in
            result.nextDue = ["cron": fixture.now.addingTimeInterval(3_600)]
            result.lastExecution = .init(id: "20261123T013000.000Z-cron-7f3a", state: "succeeded", finishedAt: fixture.now, exitCode: 0)
        }
        return fixture
    }

    @Test func tableShowsEveryJobWithTriggersNextDueAndLastState() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        let result = try fixture.run(["list"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("ID") == true)
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(result.stdout)")
        let backup = try #require(lines.first { $0.hasPrefix("backup ") })
        #expect(backup.contains("cron 30 2 * * *"))
        #expect(backup.contains("succeeded"))
        #expect(backup.contains("team=ops"))
        #expect(!backup.contains(" - "), "next due comes from results: \(backup)")
        #expect(lines.contains { $0.hasPrefix("reports/build ") && $0.contains("every 5m") })
        #expect(lines.contains { $0.hasPrefix("reports/publish ") && $0.contains("watch inbox/*.csv, after") })
        #expect(lines.contains { $0.hasPrefix("by-hand ") && $0.contains("disabled: manual") })
        #expect(lines.contains { $0.hasPrefix("broken ") && $0.contains("invalid: line 2: unknown") })
        #expect(lines.last == "1 of 5 job files invalid; `jobdir validate` shows every problem")
    }

    @Test func jsonHasOneObjectPerJobFile() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        let result = try fixture.run(["list", "--json"])
        #expect(result.status == 0)
        let items = try #require(try parseJSON(result.stdout) as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == ["backup", "broken", "by-hand", "reports/build", "reports/publish"])
        let backup = items[0]
        #expect(backup["file"] as? String == fixture.jobs + "/backup.yaml")
        #expect(backup["description"] as? String == "Nightly backup")
        #expect(backup["last_state"] as? String == "succeeded")
        #expect((backup["next_due"] as? String)?.hasSuffix("Z") == true)
        #expect(backup["labels"] as? [String: String] == ["team": "ops"])
        #expect(backup["valid"] as? Bool == true)
        #expect(backup["error"] is NSNull)
        let triggers = try #require(backup["triggers"] as? [[String: Any]])
        #expect(triggers.first?["kind"] as? String == "cron")
        #expect(triggers.first?["expression"] as? String == "30 2 * * *")
        let broken = items[1]
        #expect(broken["valid"] as? Bool == false)
        #expect((broken["error"] as? String)?.contains("broken.yaml:2:1: unknown key `scedule`") == true)
        let publish = try #require(items[4]["triggers"] as? [[String: Any]])
        #expect(publish.map { $0["kind"] as? String } == ["watch", "after"])
        #expect(items[2]["enabled"] as? Bool == false)
        #expect((items[2]["triggers"] as? [Any])?.isEmpty == true)
    }

    @Test func aMissingJobsDirectoryIsOneLineAndExitOne() throws {
        let result = try ProcessRunner.jobdir(["list", "--jobs", "/nonexistent/jobs", "--state", "/nonexistent/state"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("jobdir list: cannot read the jobs directory /nonexistent/jobs"))
        #expect(result.stderr.split(separator: "\n").count == 1)
    }
}
