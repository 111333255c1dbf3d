import Foundation
import Glibc
import Testing
import TestSupport

/// Runs outlive the daemon (SPEC section 9): the real binary killed and started again on
/// the same temp directories while its runs go on under their supervisors.
@Suite(.serialized) struct SupervisedRunTests {
    typealias Setup = DaemonTests.Setup

    /// The record of the only execution of `job`, once it has one in `state`.
    func record(_ setup: Setup, _ job: String, state: String) async -> [String: Any]? {
        _ = await waitUntil(timeout: .seconds(20)) { setup.files.executions(job, state: state).count == 1 }
        return setup.files.executions(job, state: state).first
    }

    func runningRecord(_ setup: Setup, _ job: String) async -> [String: Any]? {
        _ = await waitUntil { setup.files.executions(job, state: "running").first?["pid"] is Int }
        return setup.files.executions(job, state: "running").first
    }

    /// SHA-256 of a file, by `sha256sum`.
    func digest(_ path: String) throws -> String {
        String(try ProcessRunner.run("/usr/bin/sha256sum", [path]).stdout.prefix(64))
    }

    /// The run kills its own daemon, so the daemon dies while it runs whatever the test's pace:
    /// the test only looks at what stays (the `running` record of a dead daemon).
    func killedByItsRun(_ setup: Setup, _ job: String, _ daemon: DaemonProcess) async throws -> [String: Any] {
        #expect(await waitUntil(timeout: .seconds(30)) { !daemon.isRunning }, "the run kills its daemon: \(daemon.log)")
        #expect(daemon.stop() != nil)
        return try #require(setup.files.executions(job, state: "running").first, "\(daemon.log)")
    }

    @Test func aRunKilledUnderItsDaemonEndsWithItsRealExitAndItsWholeLog() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let daemon = try setup.start()
        // 20 MB in about 3 s, killing its daemon halfway, then exit 3; the bound is above it,
        // so the log is all of it.
        let copy = setup.dir.url("printed"), chunk = setup.dir.url("chunk")
        let script = try setup.dir.write("print.sh", """
            i=0
            while [ $i -lt 30 ]; do
              [ $i -eq 15 ] && kill -9 \(daemon.pid)
              head -c 524288 /dev/urandom | base64 -w 0 > \(chunk); echo >> \(chunk)
              cat \(chunk) >> \(copy); cat \(chunk); sleep 0.1; i=$((i+1))
            done
            exit 3
            """)
        try setup.job("big.yaml", "command: [/bin/sh, \(script)]\noutput: {max_bytes: 64MiB}\n")
        #expect(await waitUntil { setup.files.result("big") != nil })
        try setup.trigger("big")
        let running = try await killedByItsRun(setup, "big", daemon)

        let restarted = try setup.start()
        let finished = try #require(await record(setup, "big", state: "failed"), "\(restarted.log)")
        #expect(finished["id"] as? String == running["id"] as? String)
        #expect(finished["exit_code"] as? Int == 3, "its real exit code")
        let output = try #require(finished["output"] as? [String: Any])
        #expect(output["truncated"] as? Bool == false)
        let bytes = try #require(output["bytes"] as? Int)
        #expect(bytes > 20_000_000)
        let log = setup.state + "/" + (output["log"] as! String)
        #expect((try FileManager.default.attributesOfItem(atPath: log)[.size] as? Int) == bytes)
        #expect(try digest(log) == digest(copy), "the log is what the command printed, across the restart")
        #expect(restarted.stop() == 0)
    }

    @Test func aTimeoutHoldsWhileNoDaemonRuns() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let daemon = try setup.start()
        // A second in, the run kills its daemon; its 3 s timeout ends it with no daemon.
        try setup.job("hang.yaml", """
            command: [/bin/sh, -c, "sleep 1; kill -9 \(daemon.pid); exec sleep 30"]
            timeout: 3s
            kill_grace: 200ms

            """)
        #expect(await waitUntil { setup.files.result("hang") != nil })
        try setup.trigger("hang")
        let running = try await killedByItsRun(setup, "hang", daemon)
        let pid = Int32(try #require(running["pid"] as? Int, "\(running)"))
        #expect(await waitUntil { !DaemonTests.isAlive(pid) }, "the supervisor enforces the timeout alone")

        let restarted = try setup.start()
        let finished = try #require(await record(setup, "hang", state: "timed_out"), "\(restarted.log)")
        #expect((finished["error"] as? [String: Any])?["kind"] as? String == "timeout")
        #expect(restarted.log.contains("collected job=hang"))
        #expect(restarted.stop() == 0)
    }

    @Test func aCancelDroppedWhileNoDaemonRunsIsActedOnAtStart() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("long.yaml", "command: sleep 60 & sleep 60\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("long") != nil })
        try setup.trigger("long")
        let running = try #require(await runningRecord(setup, "long"), "\(daemon.log)")
        let pid = Int32(running["pid"] as! Int)
        #expect(daemon.stop(signal: SIGKILL) != nil)
        let id = running["id"] as! String
        FileManager.default.createFile(atPath: setup.state + "/cancel/" + id, contents: nil)
        #expect(DaemonTests.isAlive(pid))

        let restarted = try setup.start()
        let canceled = try #require(await record(setup, "long", state: "canceled"), "\(restarted.log)")
        #expect(canceled["id"] as? String == id)
        #expect(await waitUntil { !DaemonTests.isAlive(pid) }, "its group is ended")
        #expect(restarted.stop() == 0)
    }

    @Test func detachedRunsAreCollectedByAnUpgradedBinary() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let gate = Gate(at: setup.dir.url("gate"))
        try setup.job("backup.yaml", "command: [/bin/sh, -c, \"read x < \(gate.path); echo backed up; exit 0\"]\n")
        let daemon = try DaemonProcess(jobs: setup.jobs, state: setup.state, arguments: ["--on-stop", "detach"])
        #expect(await waitUntil { setup.files.result("backup") != nil })
        try setup.trigger("backup")
        let running = try #require(await runningRecord(setup, "backup"), "\(daemon.log)")
        #expect(daemon.stop() == 0, "SIGTERM with --on-stop detach exits at once")
        #expect(daemon.log.contains("detached runs=1"))
        #expect(setup.files.executions("backup", state: "running").count == 1)

        // The new version: a copy of the binaries elsewhere, as a package upgrade puts them.
        let bin = setup.dir.url("new-bin")
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let built = (ProcessRunner.jobdirBinary as NSString).deletingLastPathComponent
        for name in ["jobdir", "jobdir-supervisor"] {
            try FileManager.default.copyItem(atPath: built + "/" + name, toPath: bin + "/" + name)
        }
        let upgraded = try DaemonProcess(jobs: setup.jobs, state: setup.state, binary: bin + "/jobdir")
        #expect(await waitUntil { upgraded.log.contains("reattached job=backup") }, "\(upgraded.log)")
        gate.open()
        let finished = try #require(await record(setup, "backup", state: "succeeded"), "\(upgraded.log)")
        #expect(finished["id"] as? String == running["id"] as? String)
        #expect(setup.files.log(finished) == "backed up\n")
        #expect(upgraded.stop() == 0)
    }

    @Test func aRunThatEndedWhileNoDaemonRanStillFiresItsChain() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let gate = Gate(at: setup.dir.url("gate"))
        // Recovery looks at `b-up` before `a-down`: the chain it fires is already running then.
        try setup.job("b-up.yaml", "command: [/bin/sh, -c, \"read x < \(gate.path)\"]\n")
        try setup.job("a-down.yaml", "command: echo after\nafter: b-up\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("a-down") != nil })
        try setup.trigger("a-down")
        #expect(await record(setup, "a-down", state: "succeeded") != nil, "\(daemon.log)")
        try setup.trigger("b-up")
        _ = try #require(await runningRecord(setup, "b-up"), "\(daemon.log)")
        #expect(daemon.stop(signal: SIGKILL) != nil)
        gate.open()
        let upID = setup.files.executions("b-up").first?["id"] as? String ?? ""
        #expect(await waitUntil { FileManager.default.fileExists(atPath: setup.state + "/executions/b-up/\(upID).outcome") })

        let restarted = try setup.start()
        #expect(await record(setup, "b-up", state: "succeeded") != nil, "\(restarted.log)")
        #expect(await waitUntil { setup.files.executions("a-down", state: "succeeded").count == 2 },
                "the chain runs, and is not taken for an orphan: \(restarted.log)")
        #expect(setup.files.executions("a-down", state: "interrupted").isEmpty)
        #expect(!restarted.log.contains("interrupted job=a-down"), "\(restarted.log)")
        #expect(restarted.stop() == 0)
    }

    @Test func aKilledSupervisorEndsItsRunInterruptedAndItsGroupGoes() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("orphan.yaml", "command: sleep 60 & sleep 60\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("orphan") != nil })
        try setup.trigger("orphan")
        let running = try #require(await runningRecord(setup, "orphan"), "\(daemon.log)")
        let pid = Int32(running["pid"] as! Int)
        let supervisor = try #require((running["supervisor"] as? [String: Any])?["pid"] as? Int)
        #expect(kill(Int32(supervisor), SIGKILL) == 0)
        let interrupted = try #require(await record(setup, "orphan", state: "interrupted"), "\(daemon.log)")
        #expect((interrupted["error"] as? [String: Any])?["message"] as? String ?? "" != "")
        // The command leads its own group: the background `sleep` goes with it.
        #expect(await waitUntil { kill(-pid, 0) != 0 && errno == ESRCH }, "its whole group is ended")
        #expect(daemon.stop() == 0)
    }

    /// A daemon killed before its run's pid reached the record (it is written 250 ms after
    /// the start), then the run's supervisor killed under the next daemon: the group is
    /// found by the execution id in its environment and ended.
    @Test func aReattachedRunWithNoPidInItsRecordLosesItsSupervisorAndItsGroupGoes() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let daemon = try setup.start()
        try setup.job("early.yaml", "command: [/bin/sh, -c, \"kill -9 \(daemon.pid); sleep 60.017 & exec sleep 60.017\"]\n")
        #expect(await waitUntil { setup.files.result("early") != nil })
        try setup.trigger("early")
        let running = try await killedByItsRun(setup, "early", daemon)
        #expect(running["pid"] == nil || running["pid"] is NSNull, "the daemon died before the pid was written")

        let restarted = try setup.start()
        #expect(await waitUntil { restarted.log.contains("reattached job=early") }, "\(restarted.log)")
        let groups = try ProcessRunner.run("/usr/bin/pgrep", ["-f", "^sleep 60.017$"]).stdout.split(separator: "\n").compactMap { Int32($0) }
        let supervisor = try #require(try ProcessRunner.run("/usr/bin/pgrep", ["-f", "jobdir-supervisor v1 --id \(running["id"] as! String)"])
            .stdout.split(separator: "\n").first.flatMap { Int32($0) })
        #expect(kill(supervisor, SIGKILL) == 0)
        #expect(await record(setup, "early", state: "interrupted") != nil, "\(restarted.log)")
        #expect(!groups.isEmpty)
        #expect(await waitUntil { groups.allSatisfy { !DaemonTests.isAlive($0) } }, "its processes are ended")
        #expect(restarted.stop() == 0)
    }

    /// A daemon killed before its run's supervisor reached the record finds it by its
    /// command line, which any user can imitate: nobody's process with that line is not
    /// taken for the supervisor of root's run.
    @Test(.enabled(if: geteuid() == 0, "needs root: the imitation runs as the user nobody"))
    func anotherUsersProcessImitatingTheSupervisorIsNotFollowed() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        chmod(setup.dir.path, 0o755)
        let daemon = try setup.start()
        try setup.job("early.yaml", "command: [/bin/sh, -c, \"kill -9 \(daemon.pid); exec sleep 60.019\"]\n")
        #expect(await waitUntil { setup.files.result("early") != nil })
        try setup.trigger("early")
        let running = try await killedByItsRun(setup, "early", daemon)
        let id = try #require(running["id"] as? String)
        try #require(running["supervisor"] == nil || running["supervisor"] is NSNull, "the daemon died before the supervisor was recorded")
        // The real supervisor and its run go; nobody's imitation takes their place.
        let supervisor = try #require(try ProcessRunner.run("/usr/bin/pgrep", ["-f", "jobdir-supervisor v1 --id \(id)"])
            .stdout.split(separator: "\n").first.flatMap { Int32($0) })
        #expect(kill(supervisor, SIGKILL) == 0)
        _ = try ProcessRunner.run("/usr/bin/pkill", ["-KILL", "-f", "^sleep 60.019$"])
        let script = try setup.dir.write("imitation.sh", "sleep 60.021\n")
        chmod(script, 0o755)
        let imitation = try ChildProcess("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", "/bin/bash", "-c",
                                                              "exec -a jobdir-supervisor /bin/sh \"$0\" --id \"$1\"", script, id])
        defer {
            imitation.signal(SIGTERM)
            _ = try? ProcessRunner.run("/usr/bin/pkill", ["-KILL", "-f", "^sleep 60.021$"])
        }
        #expect(await waitUntil {
            let line = (try? String(contentsOfFile: "/proc/\(imitation.pid)/cmdline", encoding: .utf8)) ?? ""
            return line.hasPrefix("jobdir-supervisor\0") && line.contains("--id\0\(id)")
        }, "the imitation's command line is in place")

        let restarted = try setup.start()
        #expect(await record(setup, "early", state: "interrupted") != nil, "\(restarted.log)")
        #expect(!restarted.log.contains("reattached job=early"), "\(restarted.log)")
        #expect(restarted.stop() == 0)
    }

    /// SPEC section 6: a deleted job's running execution may finish. Its file went while
    /// no daemon ran; the next daemon still follows the run to its real end.
    @Test func aRunWhoseJobFileWentWhileNoDaemonRanIsFollowedToItsEnd() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let gate = Gate(at: setup.dir.url("gate"))
        let file = try setup.job("going.yaml", "command: [/bin/sh, -c, \"read x < \(gate.path); echo done; exit 4\"]\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("going") != nil })
        try setup.trigger("going")
        let running = try #require(await runningRecord(setup, "going"), "\(daemon.log)")
        #expect(daemon.stop(signal: SIGKILL) != nil)
        try FileManager.default.removeItem(atPath: file)

        let restarted = try setup.start()
        // Required: the gate is opened only for a command still there to read it.
        try #require(await waitUntil { restarted.log.contains("reattached job=going") }, "\(restarted.log)")
        gate.open()
        let finished = try #require(await record(setup, "going", state: "failed"), "\(restarted.log)")
        #expect(finished["id"] as? String == running["id"] as? String)
        #expect(finished["exit_code"] as? Int == 4, "its real exit code, not `interrupted`")
        #expect(setup.files.log(finished) == "done\n")
        #expect(restarted.stop() == 0)
    }

    /// The outcome format's first release had no `limit`: a supervisor of that version that
    /// outlived its daemon leaves such a file, and the next daemon records it.
    @Test func anOutcomeInTheFirstReleasesFormatIsCollected() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let gate = Gate(at: setup.dir.url("gate"))
        try setup.job("old.yaml", "command: [/bin/sh, -c, \"read x < \(gate.path); echo old; exit 2\"]\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("old") != nil })
        try setup.trigger("old")
        let running = try #require(await runningRecord(setup, "old"), "\(daemon.log)")
        #expect(daemon.stop(signal: SIGKILL) != nil)
        gate.open()
        let path = setup.state + "/executions/old/\(running["id"] as! String).outcome"
        #expect(await waitUntil { FileManager.default.fileExists(atPath: path) })
        var outcome = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        #expect(outcome["schema"] as? String == "jobdir.outcome/v1")
        outcome["limit"] = nil
        try JSONSerialization.data(withJSONObject: outcome, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: path))

        let restarted = try setup.start()
        let finished = try #require(await record(setup, "old", state: "failed"), "\(restarted.log)")
        #expect(finished["exit_code"] as? Int == 2)
        #expect(setup.files.log(finished) == "old\n")
        #expect(restarted.log.contains("collected job=old"))
        #expect(restarted.stop() == 0)
    }

    /// An outcome file that is there but cannot be read is said in the log (once) and left
    /// in place; with its supervisor gone the run's fate is unknown: `interrupted`.
    @Test func anUnreadableOutcomeIsReportedAndLeftInPlace() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let gate = Gate(at: setup.dir.url("gate"))
        try setup.job("torn.yaml", "command: [/bin/sh, -c, \"read x < \(gate.path)\"]\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("torn") != nil })
        try setup.trigger("torn")
        let running = try #require(await runningRecord(setup, "torn"), "\(daemon.log)")
        #expect(daemon.stop(signal: SIGKILL) != nil)
        gate.open()
        let path = setup.state + "/executions/torn/\(running["id"] as! String).outcome"
        #expect(await waitUntil { FileManager.default.fileExists(atPath: path) })
        try Data("{\"schema\": \"jobdir.outcome/v1\", \"dur".utf8).write(to: URL(fileURLWithPath: path))

        let restarted = try setup.start()
        #expect(await record(setup, "torn", state: "interrupted") != nil, "\(restarted.log)")
        #expect(restarted.log.contains("state_file_unreadable file=\(path)"), "\(restarted.log)")
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(restarted.stop() == 0)
    }

    /// `--on-stop cancel`: a stop cancels every run at once (no grace), and waits for them.
    @Test func onStopCancelEndsEveryRunAtOnce() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("long.yaml", "command: sleep 60 & sleep 60\nkill_grace: 200ms\n")
        let daemon = try setup.start(["--on-stop", "cancel", "--shutdown-grace", "60s"])
        #expect(await waitUntil { setup.files.result("long") != nil })
        try setup.trigger("long")
        let running = try #require(await runningRecord(setup, "long"), "\(daemon.log)")
        let pid = Int32(running["pid"] as! Int)
        #expect(daemon.stop() == 0, "\(daemon.log)")
        let canceled = try #require(setup.files.executions("long", state: "canceled").first, "ended before the daemon exits: \(daemon.log)")
        #expect(canceled["id"] as? String == running["id"] as? String)
        #expect(kill(-pid, 0) != 0 && errno == ESRCH, "its whole group is gone")
    }

    /// A re-attached run counts as running for the job's policies: with `overlap: skip` a
    /// new occurrence while it goes on is skipped, and runs again once it has ended.
    @Test func aReattachedRunCountsForOverlap() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        let gate = Gate(at: setup.dir.url("gate"))
        try setup.job("single.yaml", "command: [/bin/sh, -c, \"read x < \(gate.path) || true\"]\noverlap: skip\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("single") != nil })
        try setup.trigger("single")
        _ = try #require(await runningRecord(setup, "single"), "\(daemon.log)")
        #expect(daemon.stop(signal: SIGKILL) != nil)

        let restarted = try setup.start()
        try #require(await waitUntil { restarted.log.contains("reattached job=single") }, "\(restarted.log)")
        try setup.trigger("single")
        let skipped = try #require(await record(setup, "single", state: "skipped"), "\(restarted.log)")
        #expect((skipped["error"] as? [String: Any])?["kind"] as? String == "overlap")
        gate.open()
        #expect(await record(setup, "single", state: "succeeded") != nil, "\(restarted.log)")
        try setup.trigger("single")
        try #require(await waitUntil { setup.files.executions("single", state: "running").count == 1 },
                     "with the re-attached run ended, the job runs again: \(restarted.log)")
        gate.open()
        #expect(restarted.stop() == 0)
    }

    /// The supervisor says its outcome on the report pipe before it writes the file (for
    /// a daemon that is gone): the daemon records the end from the pipe, and the file,
    /// written meanwhile, goes once the supervisor has exited. Runs that end with output
    /// and without, one after the other and side by side.
    @Test func aRunsEndComesOverThePipeAndItsOutcomeFileGoes() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("quick.yaml", "command: \"true\"\noverlap: allow\n")
        try setup.job("talks.yaml", "command: echo said; exit 3\noverlap: allow\n")
        let daemon = try setup.start()
        #expect(await waitUntil { setup.files.result("quick") != nil && setup.files.result("talks") != nil })
        for round in 0..<5 {
            try setup.trigger("quick")
            try setup.trigger("talks")
            #expect(await waitUntil { setup.files.executions("quick", state: "succeeded").count == round + 1
                && setup.files.executions("talks", state: "failed").count == round + 1 }, "\(daemon.log)")
        }
        let failed = try #require(setup.files.executions("talks").last)
        #expect(failed["exit_code"] as? Int == 3)
        #expect(setup.files.log(failed) == "said\n")
        func outcomes() -> [String] {
            ["quick", "talks"].flatMap { job in
                ((try? FileManager.default.contentsOfDirectory(atPath: setup.state + "/executions/" + job)) ?? []).filter { $0.hasSuffix(".outcome") }
            }
        }
        #expect(await waitUntil { outcomes().isEmpty }, "outcome files left: \(outcomes())")
        #expect(daemon.stop() == 0)
    }

    @Test func theSupervisorShowsTheExecutionIdInPs() async throws {
        let setup = try Setup()
        defer { setup.dir.remove() }
        try setup.job("named.yaml", "command: sleep 30\n")
        let daemon = try setup.start(["--shutdown-grace", "100ms"])
        #expect(await waitUntil { setup.files.result("named") != nil })
        try setup.trigger("named")
        let running = try #require(await runningRecord(setup, "named"), "\(daemon.log)")
        let supervisor = try #require((running["supervisor"] as? [String: Any])?["pid"] as? Int)
        let cmdline = try String(contentsOfFile: "/proc/\(supervisor)/cmdline", encoding: .utf8).replacingOccurrences(of: "\0", with: " ")
        #expect(cmdline.contains(running["id"] as! String))
        #expect(daemon.stop() == 0)
    }
}
