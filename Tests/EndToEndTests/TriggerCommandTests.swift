import Foundation
import Testing
import TestSupport

/// `jobdir trigger`, run as the real binary: the request files it drops.
@Suite struct TriggerCommandTests {
    @Test func dropsARequestAndASuffixedOneWhileTheFirstWaits() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("reports/build", "command: make\n")
        let first = try fixture.run(["trigger", "reports/build"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "requested a run of reports/build (\(fixture.state)/triggers/reports/build)\n")
        #expect(first.stderr == "jobdir trigger: no daemon is running on this state directory; the request will be acted on when `jobdir run` starts\n")
        #expect(fixture.stateFile("triggers/reports/build") == "")

        let lock = fixture.holdLock()
        defer { lock.release() }
        let second = try fixture.run(["trigger", "reports/build", "--env", "MODE=full", "--env", "EMPTY="])
        #expect(second.status == 0)
        #expect(second.stderr.isEmpty, "a daemon holds the lock")
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.state + "/triggers/reports").sorted()
        #expect(names.count == 2, "\(names)")
        #expect(names[0] == "build")
        let suffixed = try #require(names.last)
        #expect(suffixed.hasPrefix("build@") && suffixed.count == "build@".count + 8)
        #expect(suffixed.dropFirst(6).allSatisfy { $0.isHexDigit && !$0.isUppercase })
        let content = try #require(fixture.stateFile("triggers/reports/\(suffixed)"))
        let object = try #require(try parseJSON(content) as? [String: [String: String]])
        #expect(object == ["env": ["MODE": "full", "EMPTY": ""]])
        #expect(fixture.stateFile("triggers/reports/build") == "", "the first request is untouched")
    }

    @Test func unknownJobNamesTheClosestOne() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("nightly-backup", "command: true\n")
        let result = try fixture.run(["trigger", "nightly-bakup"])
        #expect(result.status == 1)
        #expect(result.stderr == "jobdir trigger: unknown job `nightly-bakup`; did you mean `nightly-backup`? `jobdir list` shows every job\n")
        #expect((try? FileManager.default.contentsOfDirectory(atPath: fixture.state + "/triggers"))?.isEmpty == true)
    }

    @Test func badEnvIsAUsageError() throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("a", "command: true\n")
        for bad in ["NOEQUALS", "1X=2", "A-B=c", "=v", "JOBDIR_JOB=x"] {
            let result = try fixture.run(["trigger", "a", "--env", bad])
            #expect(result.status == 2, "\(bad)")
            #expect(result.stderr.contains("--env `\(bad)`"), "\(result.stderr)")
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: fixture.state + "/triggers"))?.isEmpty == true)
    }

    @Test func createsTheStateDirectoryWhenNoDaemonEverRan() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("jobs/a.yaml", "command: true\n")
        let result = try ProcessRunner.jobdir(["trigger", "a"], currentDirectory: directory.path, environment: StateFixture.environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: directory.url("state/triggers/a")))
        var info = stat()
        #expect(stat(directory.url("state"), &info) == 0 && info.st_mode & 0o777 == 0o700)
    }
}
