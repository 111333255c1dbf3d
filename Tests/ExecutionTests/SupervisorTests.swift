import Foundation
import Glibc
import Testing
import TestSupport
@testable import Execution
import Scheduling

/// The per-run supervisor program, started directly as the daemon will start it.
@Suite(.serialized) struct SupervisorTests {
    @Test(arguments: [0, 1, 3, 255] as [Int32])
    func exitCodesAreRecorded(_ code: Int32) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        let (status, outcome) = try harness.run(shell("echo out; echo err >&2; exit \(code)", in: dir, id: "e\(code)"))
        #expect(status == 0)
        #expect(outcome.termination == .exited)
        #expect(outcome.exitCode == code)
        #expect(outcome.signal == nil && outcome.stoppedBy == nil && outcome.error == nil)
        #expect(outcome.execution == "e\(code)")
        #expect(dir.read("e\(code).log") == "out\nerr\n")
        #expect(outcome.output == .init(bytes: 8, truncated: false, tail: "out\nerr\n", logError: nil))
        #expect(outcome.resourceUsage != nil)
        #expect(outcome.pid != nil && outcome.pid != outcome.supervisorPID)
        #expect(outcome.finishedAt >= outcome.startedAt)
        #expect(abs(outcome.startedAt.timeIntervalSinceNow) < 60)
        #expect(outcome.runOutcome.termination == .exited(code: code))
    }

    @Test(arguments: [SIGKILL, SIGTERM, SIGSEGV])
    func signalsAreRecorded(_ signal: Int32) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (_, outcome) = try SupervisorHarness(dir: dir).run(shell("kill -\(signal) $$", in: dir))
        #expect(outcome.termination == .signaled)
        #expect(outcome.signal == signal)
        #expect(outcome.exitCode == nil)
        #expect(outcome.runOutcome.termination == .signaled(signal: signal))
    }

    @Test func theCommandRunsInItsOwnSessionWithEmptyStdinAndTheGivenEnvironment() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var env = basicEnvironment
        env["ONLY_THIS"] = "value with spaces"
        let request = shell("pwd; ps -o sid= -o pgid= -p $$; cat; echo \"$ONLY_THIS\"; env | wc -l", in: dir, id: "s", env: env)
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        let pid = try #require(outcome.pid)
        let lines = dir.read("s.log").split(separator: "\n").map { String($0) }
        #expect(lines.first == dir.path)
        #expect(lines.dropFirst().first?.split(separator: " ").compactMap { Int32($0) } == [pid, pid])
        #expect(lines.dropFirst(2).first == "value with spaces")
        // PATH, ONLY_THIS and what sh itself sets (PWD): nothing of the supervisor's.
        #expect(Int(lines.last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 99 <= 4)
    }

    @Test func timeoutEndsTheGroupWithTermThenKillAfterTheGrace() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        // The leader traps TERM (and says so); a grandchild ignores it: only SIGKILL ends them.
        let script = """
            (trap '' TERM; exec sleep 60) & echo $! > gc.pid
            trap 'echo got-term' TERM
            sleep 60 & wait; sleep 60 & wait
            """
        let request = shell(script, in: dir, id: "t", timeout: .milliseconds(300), grace: .milliseconds(700))
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.stoppedBy == .timeout)
        #expect(outcome.signal == SIGKILL)
        #expect(outcome.durationMilliseconds >= 1000)
        #expect(outcome.durationMilliseconds < 5000)
        #expect(dir.read("t.log").contains("got-term"))
        let grandchild = try #require(Int32(dir.read("gc.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isRunning(grandchild))
        #expect(outcome.runOutcome.stoppedBy == .timedOut)
    }

    @Test func aCancelSignalEndsTheGroup() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        let launched = try harness.launch(shell("sleep 60 & echo $! > child.pid; wait", in: dir, id: "c"))
        #expect(waitFor { dir.size("child.pid") > 1 })
        let child = try #require(Int32(dir.read("child.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(try launched.pidfd.signal(SIGTERM))
        #expect(try harness.finish(launched) == 0)
        let outcome = try SupervisorOutcome.read(harness.outcomePath("c"))
        #expect(outcome.stoppedBy == .cancel)
        #expect(outcome.signal == SIGTERM)
        #expect(!isRunning(child))
    }

    @Test func leftoversOfTheLeaderAreEndedAndReaped() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let (_, outcome) = try SupervisorHarness(dir: dir).run(shell("sleep 60 & echo $! > left.pid; exit 4", in: dir, id: "l"))
        #expect(outcome.exitCode == 4)
        #expect(outcome.terminatedLeftovers)
        let left = try #require(Int32(dir.read("left.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isRunning(left))
    }

    @Test func theIdIsInPsArgumentsAndName() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let id = "20261203T013000.000Z-cron-7f3a"
        let harness = SupervisorHarness(dir: dir)
        let launched = try harness.launch(shell("sleep 60", in: dir, id: id))
        defer { _ = try? launched.pidfd.signal(SIGTERM); _ = try? harness.finish(launched) }
        #expect(waitFor { (try? String(contentsOfFile: "/proc/\(launched.pid)/comm", encoding: .utf8)) == String(id.suffix(15)) + "\n" })
        let cmdline = try String(contentsOfFile: "/proc/\(launched.pid)/cmdline", encoding: .utf8)
        #expect(cmdline.split(separator: "\0").prefix(4).contains(Substring(id)))
    }

    @Test func theReportDescriptorSaysTheCommandsPid() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let launched = try harness.launch(shell("exit 0", in: dir, id: "r"), reportFD: fds[1])
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fds[0], &buffer, 64)
        close(fds[0])
        _ = try harness.finish(launched)
        let outcome = try SupervisorOutcome.read(harness.outcomePath("r"))
        #expect(n > 0)
        // The outcome may follow in the same read: the first line is the start.
        let said = String(decoding: buffer[0..<max(n, 0)], as: UTF8.self)
        #expect(said.prefix { $0 != "\n" } == "started \(outcome.pid ?? -1)")
    }

    /// What a supervisor says on its report pipe until its outcome: the outcome's JSON.
    private func reportedOutcome(_ fd: Int32) -> [UInt8]? {
        var said: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let line = said.firstIndex(of: UInt8(ascii: "\n")).map({ String(decoding: said[..<$0], as: UTF8.self) }) {
                if line.hasPrefix("outcome "), let length = Int(line.dropFirst(8)) {
                    let start = said.index(after: said.firstIndex(of: UInt8(ascii: "\n"))!)
                    if said.count - start >= length { return Array(said[start..<(start + length)]) }
                } else {
                    said.removeSubrange(...said.firstIndex(of: UInt8(ascii: "\n"))!)
                    continue
                }
            }
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return nil }
            said += buffer[0..<n]
        }
    }

    /// A daemon that says it has recorded the outcome it was handed (SIGUSR1) spares the
    /// outcome file: none is written, none is left. One that goes away first (its end of the
    /// pipe closed) gets the file, written as when nobody listens.
    @Test(arguments: [true, false])
    func anOutcomeTheDaemonRecordedIsWrittenToNoFile(_ told: Bool) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        var fds: [Int32] = [-1, -1]
        #expect(pipe(&fds) == 0)
        let launched = try harness.launch(shell("exit 7", in: dir, id: "a"), reportFD: fds[1])
        close(fds[1])
        let body = try #require(reportedOutcome(fds[0]))
        #expect(try SupervisorOutcome.decode(body, path: "report pipe").exitCode == 7)
        if told {
            #expect(kill(launched.pid, SIGUSR1) == 0)
        } else {
            close(fds[0])
        }
        #expect(try harness.finish(launched) == 0)
        if told {
            close(fds[0])
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.log"], "no outcome file, no temp file")
        } else {
            #expect(try SupervisorOutcome.read(harness.outcomePath("a")).exitCode == 7)
        }
    }

    /// Started while its record is flushed, a gated supervisor does nothing until its go:
    /// a closed gate (a commit the disk refused, a daemon gone) starts nothing, writes no
    /// log and no outcome; a go starts the run, timed from the go.
    @Test(arguments: [false, true])
    func aGatedSupervisorStartsItsRunOnlyOnItsGo(_ go: Bool) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        let gated = try GatedSupervisor(harness, shell("echo ran > ran", in: dir, id: "g"))
        defer { close(gated.report) }
        // Waiting at the gate: nothing of the run exists yet.
        #expect(try !gated.launched.pidfd.wait(milliseconds: 200), "the supervisor waits for its go")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let released = Date()
        let status = try gated.end(go: go)
        if go {
            #expect(status == 0)
            let outcome = try SupervisorOutcome.read(harness.outcomePath("g"))
            #expect(outcome.exitCode == 0)
            #expect(outcome.startedAt >= released.addingTimeInterval(-0.01), "the run is timed from its go")
            #expect(dir.read("ran") == "ran\n")
        } else {
            #expect(status == 3 << 8, "exit status 3: gate closed without a go")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no log, no outcome, no run")
        }
    }

    /// The command's child is set up while the supervisor waits at its gate, so a command
    /// that cannot start (here a workdir that is not there) fails then; but nothing is told
    /// before the go: the record may never be committed. A go reports the spawn failure; a
    /// closed gate leaves nothing, and no child behind.
    @Test(arguments: [false, true])
    func aGatedCommandThatCannotStartSaysSoOnlyAfterItsGo(_ go: Bool) throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        var request = shell("echo ran", in: dir, id: "w")
        request.workingDirectory = dir.file("missing")
        let gated = try GatedSupervisor(harness, request)
        defer { close(gated.report) }
        // The child's setup has failed by now (it is all there is to do); still nothing is said.
        #expect(try !gated.launched.pidfd.wait(milliseconds: 300), "the supervisor waits for its go")
        var ready = pollfd(fd: gated.report, events: Int16(POLLIN), revents: 0)
        #expect(poll(&ready, 1, 0) == 0, "nothing on the report pipe before the go")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        let status = try gated.end(go: go)
        if go {
            #expect(status == 0)
            let outcome = try SupervisorOutcome.read(harness.outcomePath("w"))
            #expect(outcome.termination == .spawnFailed)
            #expect(outcome.error?.kind == "spawn_bad_workdir")
        } else {
            #expect(status == 3 << 8, "exit status 3: gate closed without a go")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "no log, no outcome")
        }
        #expect(!zombieChildren().contains(gated.launched.pid))
    }

    @Test func noZombieIsLeftAndNoTempFile() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        let launched = try harness.launch(shell("(sleep 0.1 &) ; sleep 0.2 & exit 0", in: dir, id: "z"))
        #expect(try harness.finish(launched) == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["z.log", "z.outcome.json"])
        // The supervisor, reaped above, was our only child of this run.
        #expect(!zombieChildren().contains(launched.pid))
    }

    @Test func anInvocationOfAnotherVersionIsRefused() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let launcher = SupervisorLauncher.locate()
        let result = try ProcessRunner.run(launcher.binary, ["v2", "--id", "x", "--log", dir.file("x.log"),
                                                       "--outcome", dir.file("x.json"), "--", "/bin/true"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unsupported invocation `v2`"))
        #expect(dir.size("x.json") == -1 && dir.size("x.log") == -1)
    }
}

/// Waits on a condition (bounded); for tests that are not async.
func waitFor(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(2000)
    }
    return condition()
}

/// A supervisor launched the way the daemon launches one: a report pipe and a gate.
private struct GatedSupervisor {
    let harness: SupervisorHarness
    let launched: LaunchedSupervisor
    /// The read end of the report pipe (the caller closes it).
    let report: Int32
    private let gate: Int32

    init(_ harness: SupervisorHarness, _ request: SpawnRequest) throws {
        var report: [Int32] = [-1, -1], gate: [Int32] = [-1, -1]
        #expect(pipe(&report) == 0)
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &gate) == 0)
        launched = try harness.launcher.launch(request, outcomePath: harness.outcomePath(request.id),
                                               reportFD: report[1], gateFD: gate[1])
        close(report[1])
        close(gate[1])
        self.harness = harness
        self.report = report[0]
        self.gate = gate[0]
    }

    /// Sends the go (or not) and closes the gate; the supervisor's exit status.
    func end(go: Bool) throws -> Int32? {
        if go {
            var byte = UInt8(ascii: "g")
            #expect(write(gate, &byte, 1) == 1)
        }
        close(gate)
        return try harness.finish(launched)
    }
}
