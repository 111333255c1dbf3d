import Foundation
import Testing
import TestSupport

/// `jobdir history`, run as the real binary.
@Suite struct HistoryCommandTests {
    @Test func recordsNewestFirstWithLimit() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("backup", "command: true\n")
        let old = try fixture.record("backup", .succeeded, minutesAgo: 30, exitCode: 0)
        let middle = try fixture.record("backup", .failed, minutesAgo: 20, exitCode: 3, error: .init(kind: "exit_status", message: "exited with 3"))
        let newest = try fixture.record("backup", .timedOut, minutesAgo: 10, signal: 9)
        let all = try fixture.run(["history", "backup"])
        #expect(all.status == 0, "\(all.stderr)")
        let lines = all.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("EXECUTION"))
        #expect(lines[1].hasPrefix(newest.id.rawValue) && lines[1].contains("timed_out") && lines[1].hasSuffix("SIGKILL"))
        #expect(lines[2].hasPrefix(middle.id.rawValue) && lines[2].contains("failed") && lines[2].hasSuffix("exit 3"))
        #expect(lines[3].hasPrefix(old.id.rawValue) && lines[3].contains("2.5s") && lines[3].hasSuffix("exit 0"))
        #expect(lines.allSatisfy { $0.count <= 80 })

        let limited = try fixture.run(["history", "backup", "--limit", "2"])
        #expect(limited.stdout.split(separator: "\n").count == 4)
        #expect(limited.stdout.hasSuffix("2 of 3 executions shown; --limit 3 shows all\n"))

        let json = try fixture.run(["history", "backup", "--json", "--limit", "2"])
        let items = try #require(try parseJSON(json.stdout) as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == [newest.id.rawValue, middle.id.rawValue])
        #expect(items[0]["schema"] as? String == "jobdir.execution/v1")
        #expect(items[0]["exit_code"] is NSNull)
        let written = try parseJSON(try #require(fixture.stateFile("executions/backup/\(newest.id.rawValue).json"))) as? NSDictionary
        #expect(written == items[0] as NSDictionary, "records are printed as written")
    }

    @Test func knownJobWithoutRecordsAndUnknownJob() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("nightly-backup", "command: true\n")
        let empty = try fixture.run(["history", "nightly-backup"])
        #expect(empty.status == 0)
        #expect(empty.stdout == "no executions of nightly-backup yet\n")
        #expect(try fixture.run(["history", "nightly-backup", "--json"]).stdout == "[]\n")
        let unknown = try fixture.run(["history", "nightly-bakup"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "jobdir history: unknown job `nightly-bakup`; did you mean `nightly-backup`? `jobdir list` shows every job\n")
        #expect(try fixture.run(["history", "nightly-backup", "--limit", "0"]).status == 2)
    }
}
