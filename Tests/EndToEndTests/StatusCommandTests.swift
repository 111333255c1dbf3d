import Cron
import Foundation
import Scheduling
import Testing
import TestSupport

/// `jobdir status`, run as the real binary, with and without a process holding the lock.
@Suite struct StatusCommandTests {
    private struct Live {
        var running, queued, awaiting: ExecutionRecord
    }

    private func fixture() throws -> (StateFixture, Live) {
        let fixture = try StateFixture()
        for id in ["backup", "reports/build", "deploy", "flaky", "broken"] { try fixture.job(id, "command: true\n") }
        // Started 3 min 29 s before the fixture was made: shown as 3m however slowly the test runs.
        let running = try fixture.record("backup", .running, minutesAgo: 3.5, pid: 777)
        try fixture.record("backup", .succeeded, minutesAgo: 60, exitCode: 0)
        let queued = try fixture.record("reports/build", .queued, minutesAgo: 1, kind: .manual)
        let awaiting = try fixture.record("deploy", .awaitingApproval, minutesAgo: 12,
                                          approval: .init(state: .pending, requestedAt: fixture.now.addingTimeInterval(-720), expiresAt: nil))
        try fixture.result("reports/build") { $0.queued = [.init(id: queued.id.rawValue, reason: "overlap: queued behind a running execution")] }
        try fixture.result("flaky") { result in
            result.consecutiveFailures = 3
            result.lastExecution = .init(id: "20261123T013000.000Z-every-0001", state: "failed", finishedAt: fixture.now, exitCode: 1)
        }
        try fixture.result("broken") { $0.definitionError = "jobs/broken.yaml:2:1: unknown key `scedule`; did you mean `schedule`?" }
        return (fixture, Live(running: running, queued: queued, awaiting: awaiting))
    }

    @Test func sectionsWithoutADaemon() throws {
        let (fixture, live) = try fixture()
        defer { fixture.remove() }
        let result = try fixture.run(["status"])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        #expect(text.hasPrefix("daemon: not running"))
        #expect(text.contains("running (1):"))
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("  backup ") && $0.contains(live.running.id.rawValue) && $0.contains("3m") && $0.contains(" 777 ") && $0.hasSuffix(" -") })
        #expect(text.contains("queued (1):"))
        #expect(lines.contains { $0.contains(live.queued.id.rawValue) && $0.contains("overlap: queued") })
        #expect(text.contains("awaiting approval (1):"))
        #expect(lines.contains { $0.hasPrefix("  deploy ") && $0.contains(live.awaiting.id.rawValue) && $0.contains("12m") })
        #expect(text.contains("failing (1):"))
        #expect(lines.contains { $0.hasPrefix("  flaky ") && $0.contains("3") && $0.contains("failed (exit 1)") })
        #expect(text.contains("definition errors (1):"))
        #expect(lines.contains { $0.hasPrefix("  broken ") && $0.contains("unknown key") })
    }

    @Test func aLockHolderIsTheRunningDaemon() throws {
        let (fixture, _) = try fixture()
        defer { fixture.remove() }
        let daemon = "{\"schema\": \"jobdir.daemon/v1\", \"pid\": 4321, \"host\": \"box\", \"version\": \"1\", "
            + "\"started_at\": \"\(Timestamp.format(fixture.now.addingTimeInterval(-7_300)))\", \"jobs_dir\": \"jobs\"}\n"
        try daemon.write(toFile: fixture.store.layout.daemonFile, atomically: true, encoding: .utf8)
        let stale = try fixture.run(["status", "--json"])
        let staleDaemon = try #require((try parseJSON(stale.stdout) as? [String: Any])?["daemon"] as? [String: Any])
        #expect(staleDaemon["running"] as? Bool == false)

        let lock = fixture.holdLock()
        let result = try fixture.run(["status"])
        #expect(result.stdout.hasPrefix("daemon: running (pid 4321 on box, up 2h01m)\n"), "\(result.stdout)")
        let json = try #require(try parseJSON(try fixture.run(["status", "--json"]).stdout) as? [String: Any])
        let daemonObject = try #require(json["daemon"] as? [String: Any])
        #expect(daemonObject["running"] as? Bool == true)
        #expect(daemonObject["pid"] as? Int == 4321)
        lock.release()
        #expect(try fixture.run(["status"]).stdout.hasPrefix("daemon: not running"))
    }

    @Test func jsonIsOneObject() throws {
        let (fixture, live) = try fixture()
        defer { fixture.remove() }
        let result = try fixture.run(["status", "--json"])
        #expect(result.status == 0)
        let object = try #require(try parseJSON(result.stdout) as? [String: Any])
        let running = try #require(object["running"] as? [[String: Any]])
        #expect(running.map { $0["id"] as? String } == [live.running.id.rawValue])
        #expect(running.first?["pid"] as? Int == 777)
        #expect((running.first?["elapsed_ms"] as? Int ?? 0) >= 120_000)
        let queued = try #require(object["queued"] as? [[String: Any]])
        #expect(queued.first?["reason"] as? String == "overlap: queued behind a running execution")
        let awaiting = try #require(object["awaiting_approval"] as? [[String: Any]])
        #expect(awaiting.first?["job"] as? String == "deploy")
        #expect((object["failing"] as? [[String: Any]])?.first?["consecutive_failures"] as? Int == 3)
        #expect((object["definition_errors"] as? [[String: Any]])?.first?["job"] as? String == "broken")
        #expect(object["job"] is NSNull)
    }

    @Test func oneJobOnlyAndUnknownJobs() throws {
        let (fixture, live) = try fixture()
        defer { fixture.remove() }
        let result = try fixture.run(["status", "reports/build"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("queued (1):"))
        #expect(result.stdout.contains(live.queued.id.rawValue))
        #expect(!result.stdout.contains(live.running.id.rawValue))
        #expect(!result.stdout.contains("failing"))
        let json = try #require(try parseJSON(try fixture.run(["status", "flaky", "--json"]).stdout) as? [String: Any])
        #expect(json["job"] as? String == "flaky")
        #expect((json["result"] as? [String: Any])?["consecutive_failures"] as? Int == 3)
        let unknown = try fixture.run(["status", "reports/buidl"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "jobdir status: unknown job `reports/buidl`; did you mean `reports/build`? `jobdir list` shows every job\n")
    }

    @Test func quietStateSaysSo() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        let result = try fixture.run(["status"])
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("nothing running, queued, awaiting approval or failing\n"))
    }
}

/// `jobdir status` names every state file it cannot read instead of skipping it silently.
@Suite struct StatusUnreadableTests {
    @Test func listsUnreadableStateFiles() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("backup", "command: true\n")
        let running = try fixture.record("backup", .running, minutesAgo: 3, pid: 777)
        let truncated = try fixture.record("backup", .running, minutesAgo: 2, random: 0x0001)
        let garbage = try fixture.record("backup", .succeeded, minutesAgo: 1, random: 0x0002, exitCode: 0)
        let layout = fixture.store.layout
        let truncatedPath = layout.executionFile(job: "backup", id: truncated.id)
        let garbagePath = layout.executionFile(job: "backup", id: garbage.id)
        try Data("{\"state\": \"running\", \"id\": ".utf8).write(to: URL(fileURLWithPath: truncatedPath))
        try Data([0xFF, 0x00, 0x7B]).write(to: URL(fileURLWithPath: garbagePath))
        try fixture.result("backup")
        let resultPath = layout.resultFile(job: "broken")
        try Data("[]".utf8).write(to: URL(fileURLWithPath: resultPath))
        let approvalPath = layout.approvalFile(id: running.id)
        try Data("{\"schema\": \"jobdir.approval/v1\"}".utf8).write(to: URL(fileURLWithPath: approvalPath))
        try Data("{\"pid\": ".utf8).write(to: URL(fileURLWithPath: layout.daemonFile))

        let result = try fixture.run(["status"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("running (1):"), "\(result.stdout)")
        #expect(result.stdout.contains("unreadable state files (5):"), "\(result.stdout)")
        for path in [truncatedPath, garbagePath, resultPath, approvalPath, layout.daemonFile] {
            #expect(result.stdout.contains(path), "\(path) missing from\n\(result.stdout)")
        }

        let json = try fixture.run(["status", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try parseJSON(json.stdout) as? [String: Any])
        let listed = try #require(object["unreadable_files"] as? [[String: Any]])
        #expect(Set(listed.compactMap { $0["file"] as? String }) == [truncatedPath, garbagePath, resultPath, approvalPath, layout.daemonFile])
        #expect(listed.allSatisfy { !(($0["error"] as? String) ?? "").isEmpty })
    }
}
