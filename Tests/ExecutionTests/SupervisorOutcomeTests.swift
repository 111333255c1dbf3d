import Foundation
import Glibc
import Synchronization
import Testing
@testable import Execution

/// Spawn errors, the outcome file's atomicity and format, and a supervisor that
/// outlives the process that started it.
@Suite(.serialized) struct SupervisorOutcomeTests {
    @Test func aMissingProgramIsAnOutcomeAsTheInProcessRunnerReportsIt() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        for program in ["no-such-program-here", "./missing", dir.file("missing")] {
            var request = shell("", in: dir, id: "m")
            request.arguments = [program]
            let (status, outcome) = try harness.run(request)
            #expect(status == 0)
            #expect(outcome.termination == .spawnFailed)
            #expect(outcome.pid == nil && outcome.resourceUsage == nil)
            guard case .failure(let expected) = ExecutableLookup.resolve(program, workingDirectory: dir.path,
                                                                         searchPath: basicEnvironment["PATH"]) else {
                Issue.record("lookup found \(program)")
                continue
            }
            let error = try #require(outcome.error)
            #expect(SpawnFailure(kind: error.kind, message: error.message, path: error.path, errno: error.errno) == expected)
            #expect(error.kind == SpawnFailure.notFound)
        }
    }

    @Test func aBadWorkdirAndAnUnexecutableProgramAreOutcomes() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        var request = shell("true", in: dir, id: "w")
        request.workingDirectory = dir.file("nowhere")
        let (_, outcome) = try harness.run(request)
        #expect(outcome.error?.kind == SpawnFailure.badWorkdir)
        #expect(outcome.error?.errno == ENOENT)
        #expect(outcome.error?.path == dir.file("nowhere"))
        #expect(outcome.error.map { SpawnFailure(kind: $0.kind, message: $0.message, path: $0.path, errno: $0.errno) }
            == ExecutableLookup.checkWorkingDirectory(dir.file("nowhere")))

        dir.write("script", "#!/bin/sh\necho hi\n", mode: 0o644)
        var notExecutable = shell("", in: dir, id: "x")
        notExecutable.arguments = ["./script"]
        let (_, refused) = try harness.run(notExecutable)
        #expect(refused.error?.kind == SpawnFailure.permission)
        #expect(refused.runOutcome.termination == .spawnFailed(SpawnFailure(kind: SpawnFailure.permission,
            message: refused.error?.message ?? "", path: dir.file("./script"), errno: EACCES)))

        dir.write("garbage", "\u{7f}ELF not really", mode: 0o755)
        var badFormat = shell("", in: dir, id: "f")
        badFormat.arguments = [dir.file("garbage")]
        let (_, format) = try harness.run(badFormat)
        #expect(format.error?.kind == SpawnFailure.execFormat)
    }

    @Test func anUnwritableLogIsAnOutcome() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        var request = shell("true", in: dir, id: "g")
        request.logPath = dir.file("no-dir/g.log")
        let (_, outcome) = try SupervisorHarness(dir: dir).run(request)
        #expect(outcome.error?.kind == SpawnFailure.logFile)
        #expect(outcome.error?.path == dir.file("no-dir/g.log"))
    }

    @Test func theOutcomeAppearsOnlyWhole() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        // A reader thread that never stops looking while runs end one after another.
        let stop = Flag()
        let seen = Mutex(0), broken = Mutex(0)
        let path = harness.outcomePath("a")
        let reader = Thread {
            while !stop.isSet {
                switch Result(catching: { () throws(OutcomeReadError) in try SupervisorOutcome.read(path) }) {
                case .success: seen.withLock { $0 += 1 }
                case .failure(let e) where e.code == .missing: break
                case .failure: broken.withLock { $0 += 1 }
                }
            }
        }
        reader.start()
        defer { stop.set() }
        for round in 0..<40 {
            unlink(path)
            let before = seen.withLock { $0 }
            let (_, outcome) = try harness.run(shell("printf '%0\(round * 300)d' 0", in: dir, id: "a"))
            #expect(outcome.output.bytes == Int64(max(round * 300, 1)))
            // The reader has looked at this outcome too.
            #expect(waitFor { seen.withLock { $0 } > before })
        }
        stop.set()
        #expect(broken.withLock { $0 } == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp.") } == [])
    }

    @Test func theSupervisorOutlivesItsParentAndAPidfdSeesItsEnd() throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let harness = SupervisorHarness(dir: dir)
        // An intermediate parent starts the supervisor, says its pid, and is SIGKILLed.
        let invocation = SupervisorInvocation(shell("read x < fifo; echo finished; exit 7", in: dir, id: "p"),
                                              binary: harness.launcher.binary, outcomePath: harness.outcomePath("p"))
        #expect(mkfifo(dir.file("fifo"), 0o600) == 0)
        let quoted = invocation.arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        dir.write("parent.sh", "cd '\(dir.path)'; \(quoted) & echo $! > supervisor.pid; exec sleep 60\n", mode: 0o755)
        var parent: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup(dir.file("parent.sh")), nil]
        defer { argv.forEach { free($0) } }
        try #require(posix_spawn(&parent, "/bin/sh", nil, nil, argv, environ) == 0)
        #expect(waitFor { dir.size("supervisor.pid") > 1 })
        let supervisor = try #require(Int32(dir.read("supervisor.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
        // Not our child: a pidfd still says when it ends.
        let pidfd = try PidFD(pid: supervisor)
        kill(parent, SIGKILL)
        var status: Int32 = 0
        #expect(waitpid(parent, &status, 0) == parent)
        #expect(!pidfd.hasEnded)
        #expect(ProcessTable.isAlive(supervisor))
        // Let the command finish now that its supervisor has no parent of its own.
        let fifo = open(dir.file("fifo"), O_WRONLY | O_CLOEXEC)
        _ = write(fifo, "go\n", 3)
        close(fifo)
        #expect(try pidfd.wait(milliseconds: 10_000))
        let outcome = try SupervisorOutcome.read(harness.outcomePath("p"))
        #expect(outcome.exitCode == 7)
        #expect(outcome.supervisorPID == supervisor)
        #expect(dir.read("p.log") == "finished\n")
    }

    @Test func aVersion1OutcomeWrittenByHandIsRead() throws {
        // As an earlier jobdir would have written it, with a field this one does not know.
        let text = """
            {
              "schema": "jobdir.outcome/v1",
              "execution": "20261123T013000.000Z-cron-7f3a",
              "termination": "exited", "exit_code": 0, "signal": null, "stopped_by": "timeout", "error": null,
              "pid": 4242, "supervisor_pid": 4241,
              "started_at": "2026-11-23T01:30:00.012Z", "finished_at": "2026-11-23T01:30:01.246Z", "duration_ms": 1234,
              "rusage": {"user_cpu_ms": 5, "system_cpu_ms": 6, "max_rss_kib": 7000},
              "output": {"bytes": 5120, "truncated": true, "tail": "done\\n", "log_error": null},
              "terminated_leftovers": false,
              "from_the_future": {"anything": [1, 2]}
            }
            """
        let outcome = try SupervisorOutcome.decode(Array(text.utf8), path: "o.json")
        #expect(outcome.execution == "20261123T013000.000Z-cron-7f3a")
        #expect(outcome.exitCode == 0 && outcome.stoppedBy == .timeout && outcome.pid == 4242)
        #expect(outcome.durationMilliseconds == 1234)
        #expect(outcome.resourceUsage == .init(userCPUMilliseconds: 5, systemCPUMilliseconds: 6, maxRSSKiB: 7000))
        #expect(outcome.output == .init(bytes: 5120, truncated: true, tail: "done\n", logError: nil))
        #expect(outcome.startedAt == Date(timeIntervalSince1970: 1_795_397_400.012))
        let result = outcome.runOutcome.runResult(logPath: "logs/j/x.log")
        #expect(result.stoppedBy == .timeout && result.durationMilliseconds == 1234)
    }

    @Test func anotherMajorVersionOrABrokenFileIsRefusedClearly() throws {
        let v2 = #"{"schema": "jobdir.outcome/v2", "execution": "x"}"#
        #expect(throws: OutcomeReadError(code: .unsupportedVersion, path: "o.json",
                                         message: "outcome format `jobdir.outcome/v2` is not known to this jobdir, which reads `jobdir.outcome/v1`")) {
            try SupervisorOutcome.decode(Array(v2.utf8), path: "o.json")
        }
        for broken in [#"{"schema": "jobdir.execution/v1"}"#, "{\"schema\": \"jobdir.outcome/v1\"", #"{"schema": "jobdir.outcome/v1", "termination": "exited"}"#] {
            #expect(performing: { try SupervisorOutcome.decode(Array(broken.utf8), path: "o.json") },
                    throws: { ($0 as? OutcomeReadError)?.code == .unreadable })
        }
        #expect(performing: { try SupervisorOutcome.read("/nonexistent/o.json") },
                throws: { ($0 as? OutcomeReadError)?.code == .missing })
    }
}

/// A flag set once, read from another thread.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
