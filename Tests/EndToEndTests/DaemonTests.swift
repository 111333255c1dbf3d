import Foundation
import Testing
import TestSupport

/// `jobdir run` as the real binary on temp directories.
@Suite(.serialized) struct DaemonTests {
    /// Whether `pid` runs (a zombie does not: orphans may not be reaped here).
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    struct Setup {
        let dir: TemporaryDirectory
        var jobs: String { dir.url("jobs") }
        var state: String { dir.url("state") }
        var files: StateFiles { StateFiles(state) }

        init() throws {
            dir = try TemporaryDirectory("jobdir-e2e")
            try FileManager.default.createDirectory(atPath: dir.url("jobs"), withIntermediateDirectories: true)
        }

        @discardableResult
        func job(_ name: String, _ text: String) throws -> String { try dir.write("jobs/" + name, text) }

        func start(_ arguments: [String] = []) throws -> DaemonProcess {
            try DaemonProcess(jobs: jobs, state: state, arguments: arguments)
        }

        func trigger(_ job: String, _ content: String = "") throws {
            let directory = state + "/triggers"
            let temporary = directory + "/.\(job).tmp"
            try Data(content.utf8).write(to: URL(fileURLWithPath: temporary))
            #expect(rename(temporary, directory + "/" + job) == 0)
        }
    }

    @Test func droppedJobFiresAndRecordsEveryExecution() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.json("daemon.json") != nil })
        try setup.job("tick.yaml", "command: echo tick $JOBDIR_TRIGGER\nschedule: '* * * * * *'\n")
        #expect(await waitUntil { setup.files.executions("tick", state: "succeeded").count >= 2 }, "\(daemon.log)")
        let record = try #require(setup.files.executions("tick", state: "succeeded").first)
        #expect(record["schema"] as? String == "jobdir.execution/v1")
        #expect((record["trigger"] as? [String: Any])?["kind"] as? String == "cron")
        let scheduled = try #require((record["trigger"] as? [String: Any])?["scheduled_for"] as? String)
        #expect(scheduled.hasSuffix(".000Z"))
        #expect(record["occurrence"] as? String == "tick:cron:\(scheduled)")
        #expect(setup.files.log(record) == "tick cron\n")
        let result = try #require(setup.files.result("tick"))
        #expect(result["loaded"] as? Bool == true)
        #expect((result["counts"] as? [String: Any])?["succeeded"] as? Int ?? 0 >= 1)
        #expect(daemon.stop() == 0)
    }

    @Test func editsTakeEffectAndInvalidEditsKeepTheLastDefinition() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("job.yaml", "command: echo first\nschedule: '* * * * * *'\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.executions("job").contains { setup.files.log($0) == "first\n" } }, "\(daemon.log)")

        try setup.job("job.yaml", "command: echo second\nschedule: '* * * * * *'\n")
        #expect(await waitUntil { setup.files.executions("job").contains { setup.files.log($0) == "second\n" } }, "\(daemon.log)")

        try setup.job("job.yaml", "command: echo third\nschedule: '* * * * * *'\ntimeout: soon\n")
        #expect(await waitUntil { (setup.files.result("job")?["definition_error"] as? String)?.contains("job.yaml:3:10: `timeout` must be a duration") == true }, "\(daemon.log)")
        let countBefore = setup.files.executions("job").count
        #expect(await waitUntil { setup.files.executions("job").count >= countBefore + 2 })
        #expect(setup.files.executions("job").allSatisfy { setup.files.log($0) != "third\n" })
        #expect(setup.files.result("job")?["loaded"] as? Bool == true)

        try setup.job("job.yaml", "command: echo fourth\nschedule: '* * * * * *'\n")
        #expect(await waitUntil { setup.files.result("job")?["definition_error"] is NSNull }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    @Test func deletedJobStopsFiring() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let file = try setup.job("gone.yaml", "command: 'true'\nschedule: '* * * * * *'\n")
        let daemon = try setup.start()
        #expect(await waitUntil { !setup.files.executions("gone").isEmpty })
        #expect(unlink(file) == 0)
        #expect(await waitUntil { setup.files.result("gone")?["loaded"] as? Bool == false }, "\(daemon.log)")
        let settled = setup.files.executions("gone").count
        // Two more seconds of slots would have fired by now.
        try setup.job("other.yaml", "command: 'true'\nschedule: '* * * * * *'\n")
        #expect(await waitUntil { setup.files.executions("other").count >= 2 })
        #expect(setup.files.executions("gone").count == settled)
        #expect(daemon.log.contains("removed job=gone"))
        #expect(daemon.stop() == 0)
    }

    @Test func triggerFileRunsTheJobWithItsEnvironment() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("hand.yaml", "command: echo \"$GREETING from $JOBDIR_JOB ($JOBDIR_TRIGGER)\"\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("hand") != nil })
        try setup.trigger("hand", #"{"env": {"GREETING": "hello"}}"#)
        #expect(await waitUntil { setup.files.executions("hand", state: "succeeded").count == 1 }, "\(daemon.log)")
        let record = try #require(setup.files.executions("hand").first)
        #expect(setup.files.log(record) == "hello from hand (manual)\n")
        #expect(!FileManager.default.fileExists(atPath: setup.state + "/triggers/hand"))
        // Manual triggers are never deduplicated.
        try setup.trigger("hand")
        #expect(await waitUntil { setup.files.executions("hand", state: "succeeded").count == 2 })
        #expect(daemon.stop() == 0)
    }

    @Test func secondDaemonIsRefusedNamingTheFirst() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let first = try setup.start()
        #expect(await waitUntil { setup.files.json("daemon.json") != nil })
        let second = try ProcessRunner.jobdir(["run", "--jobs", setup.jobs, "--state", setup.state])
        #expect(second.status == 1)
        #expect(second.stderr.contains("another daemon (pid \(first.pid)) is running"))
        #expect(first.stop() == 0)
    }

    @Test func aKilledDaemonLeavesItsRunsGoingAndTheNextOneFollowsThem() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("slow.yaml", "command: sleep 30 & sleep 30\nschedule: '* * * * * *'\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.executions("slow").contains { $0["pid"] is Int } }, "\(daemon.log)")
        let running = try #require(setup.files.executions("slow", state: "running").first)
        let pid = Int32(running["pid"] as! Int)
        #expect(daemon.stop(signal: SIGKILL) != nil)
        #expect(Self.isAlive(pid), "the run outlives its daemon")

        let restarted = try setup.start(["--shutdown-grace", "100ms"])
        let id = running["id"] as! String
        #expect(await waitUntil { restarted.log.contains("reattached job=slow execution=\(id)") }, "\(restarted.log)")
        #expect(Self.isAlive(pid), "a re-attached run goes on")
        #expect(setup.files.json("executions/slow/\(id).json")?["state"] as? String == "running")
        // The next stop (the default `--on-stop wait`) cancels it after the grace, like its own runs.
        #expect(restarted.stop() == 0)
        #expect(setup.files.json("executions/slow/\(id).json")?["state"] as? String == "canceled", "\(restarted.log)")
        #expect(await waitUntil { !Self.isAlive(pid) })
        let slots = setup.files.executions("slow").compactMap { ($0["trigger"] as? [String: Any])?["scheduled_for"] as? String }
        #expect(Set(slots).count == slots.count, "a slot ran twice: \(slots.sorted())")
    }

    @Test func aResultThatMissedItsRunsEndCatchesUpAtTheNextStart() async throws {
        let fixture = try StateFixture()
        defer { fixture.remove() }
        try fixture.job("nightly", "command: 'true'\nschedule: '0 3 * * *'\n")
        let ended = try fixture.record("nightly", .failed, minutesAgo: 5, exitCode: 2)
        try fixture.result("nightly") { $0.running = [ended.id.rawValue] }
        let daemon = try DaemonProcess(jobs: fixture.jobs, state: fixture.state, arguments: [])
        let files = StateFiles(fixture.state)
        #expect(await waitUntil {
            (files.result("nightly")?["last_execution"] as? [String: Any])?["id"] as? String == ended.id.rawValue
        }, "\(daemon.log)")
        let result = try #require(files.result("nightly"))
        #expect((result["running"] as? [Any])?.isEmpty == true, "\(result)")
        #expect(result["consecutive_failures"] as? Int == 1)
        #expect(daemon.stop() == 0)
    }

    @Test func sigtermLetsARunningJobFinish() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let gate = Gate(at: setup.dir.url("gate"))
        try setup.job("short.yaml", "command: read x < \(gate.path); echo done\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("short") != nil })
        try setup.trigger("short")
        #expect(await waitUntil { setup.files.executions("short", state: "running").first?["pid"] is Int })
        kill(daemon.pid, SIGTERM)
        #expect(await waitUntil { daemon.log.contains(" stopping signal=SIGTERM") }, "\(daemon.log)")
        gate.open()
        #expect(daemon.stop() == 0)
        let record = try #require(setup.files.executions("short").first)
        #expect(record["state"] as? String == "succeeded")
        #expect(setup.files.log(record) == "done\n")
    }

    @Test func shutdownGraceEndsRunsThatTakeTooLong() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("long.yaml", "command: sleep 60\nkill_grace: 1s\n")
        let daemon = try setup.start(["--shutdown-grace", "200ms"])
        #expect(await waitUntil { setup.files.result("long") != nil })
        try setup.trigger("long")
        #expect(await waitUntil { setup.files.executions("long").first?["pid"] is Int })
        #expect(daemon.stop() == 0)
        let record = try #require(setup.files.executions("long").first)
        #expect(record["state"] as? String == "canceled")
    }

    @Test func movedJobsDirectoryIsReportedAndWatchedAgainWhenItReturns() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("a.yaml", "command: 'true'\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("a") != nil })
        #expect(rename(setup.jobs, setup.jobs + ".away") == 0)
        #expect(await waitUntil { daemon.log.contains("jobs_directory_gone") }, "\(daemon.log)")
        #expect(rename(setup.jobs + ".away", setup.jobs) == 0)
        #expect(await waitUntil { daemon.log.contains("jobs_directory_back") }, "\(daemon.log)")
        try setup.job("b.yaml", "command: 'true'\n")
        #expect(await waitUntil { setup.files.result("b")?["loaded"] as? Bool == true }, "\(daemon.log)")
        #expect(daemon.stop() == 0)
    }

    /// Past 64 files a full load reads and parses them on a thread of its own: each file's
    /// outcome is the one it has when loaded alone, in the same order.
    @Test func aStartWithManyFilesLoadsEachAsItWouldAlone() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        for index in 0..<100 { try setup.job("team\(index % 4)/job\(index).yaml", "command: 'true'\ndescription: job \(index)\n") }
        for index in 0..<10 { try setup.job("broken\(index).yaml", "command: 'true'\ntimeout: soon\n") }
        try setup.job("-bad id.yaml", "command: 'true'\n")
        try setup.job("team1/job1.yaml~", "command: 'true'\n")
        try setup.job("nobody\(0).yaml", "command: 'true'\nuser: no-such-user-here\n")
        let daemon = try setup.start()
        #expect(await waitUntil { daemon.log.contains("loaded_all reason=start") }, "\(daemon.log)")
        #expect(daemon.log.contains("loaded_all reason=start jobs=100 invalid=12"), "\(daemon.log.suffix(3000))")
        #expect(await waitUntil { setup.files.result("broken9") != nil && setup.files.result("team3/job99") != nil })
        for index in 0..<100 {
            #expect(setup.files.result("team\(index % 4)/job\(index)")?["description"] as? String == "job \(index)")
        }
        for index in 0..<10 {
            let error = setup.files.result("broken\(index)")?["definition_error"] as? String
            #expect(error?.contains("broken\(index).yaml:2:10: `timeout` must be a duration") == true, "\(error ?? "none")")
        }
        let unknownUser = setup.files.result("nobody0")?["definition_error"] as? String
        #expect(unknownUser?.contains("no-such-user-here") == true, "\(unknownUser ?? "none")")
        // The loaded_all line comes after every file's own line.
        let lines = daemon.log.split(separator: "\n")
        let summary = try #require(lines.firstIndex { $0.contains("loaded_all") })
        #expect(lines[..<summary].filter { $0.contains(" loaded job=") }.count == 100)
        #expect(daemon.stop() == 0)
    }

    @Test func sighupRescansTheJobsDirectory() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("a.yaml", "command: 'true'\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("a") != nil })
        kill(daemon.pid, SIGHUP)
        #expect(await waitUntil { daemon.log.contains("loaded_all reason=SIGHUP jobs=1") }, "\(daemon.log)")
        #expect(daemon.isRunning)
        #expect(daemon.stop() == 0)
    }
}
