import Foundation
import Glibc
import Testing
@testable import Execution
import Scheduling

@Suite(.serialized) struct ProcessRunnerTests {
    let runner = ProcessRunner()

    @Test(arguments: [0, 1, 3, 255] as [Int32])
    func exitCodes(_ code: Int32) async {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcome = await runner.run(shell("exit \(code)", in: dir))
        #expect(outcome.termination == .exited(code: code))
        #expect(outcome.stoppedBy == nil)
        #expect(outcome.process != nil)
    }

    @Test(arguments: [SIGKILL, SIGTERM, SIGSEGV])
    func signals(_ signal: Int32) async {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcome = await runner.run(shell("kill -\(signal) $$", in: dir))
        #expect(outcome.termination == .signaled(signal: signal))
    }

    @Test func outputGoesToTheLogWithStderrAndStdinIsEmpty() async {
        let dir = TempDirectory()
        defer { dir.remove() }
        let request = shell("echo out; echo err >&2; cat; echo done", in: dir, id: "io")
        let outcome = await runner.run(request)
        #expect(outcome.termination == .exited(code: 0))
        #expect(dir.read("io.log") == "out\nerr\ndone\n")
        #expect(outcome.output == CapturedOutput(bytes: 13, truncated: false, tail: "out\nerr\ndone\n", logError: nil))
    }

    @Test func runsInItsOwnSessionAndWorkingDirectory() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let outcome = await runner.run(shell("pwd; ps -o sid= -o pgid= -p $$", in: dir, id: "s")) { box.set($0) }
        let process = try #require(box.process)
        #expect(outcome.process == process)
        #expect(process.processGroup == process.pid)
        let lines = dir.read("s.log").split(separator: "\n")
        #expect(lines.first.map(String.init) == dir.path)
        let ids = lines.dropFirst().first?.split(separator: " ").compactMap { Int32($0) }
        #expect(ids == [process.pid, process.pid])
        #expect(process.startTime != nil)
    }

    @Test func startTimeMatchesProc() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let task = Task { await runner.run(shell("sleep 1000", in: dir, id: "st")) { box.set($0) } }
        #expect(await eventually { box.process != nil })
        let process = try #require(box.process)
        #expect(ProcessTable.startTime(of: process.pid) == process.startTime)
        #expect(ProcessTable.isSameProcess(pid: process.pid, startTime: process.startTime!))
        #expect(!ProcessTable.isSameProcess(pid: process.pid, startTime: process.startTime! + 1))
        runner.cancel(id: "st")
        let outcome = await task.value
        #expect(outcome.stoppedBy == .canceled)
    }

    @Test func environmentIsExactlyTheGivenMap() async {
        let dir = TempDirectory()
        defer { dir.remove() }
        let env = ["PATH": "/usr/bin:/bin", "JOBDIR_JOB": "reports/weekly", "WITH_SPACE": "a b = c", "EMPTY": ""]
        let outcome = await runner.run(SpawnRequest(id: "env", arguments: ["env"], environment: env,
                                                    workingDirectory: dir.path, logPath: dir.file("env.log")))
        #expect(outcome.termination == .exited(code: 0))
        let lines = Set(dir.read("env.log").split(separator: "\n").map(String.init))
        #expect(lines == Set(env.map { "\($0.key)=\($0.value)" }))
    }

    @Test func childSeesOnlyDescriptorsZeroOneTwo() async {
        let dir = TempDirectory()
        defer { dir.remove() }
        // A descriptor opened without O_CLOEXEC in this process must not leak into the run.
        let leaky = open("/dev/null", O_RDONLY)
        defer { close(leaky) }
        #expect(leaky > 2)
        let outcome = await runner.run(shell("ls /proc/$$/fd", in: dir, id: "fd"))
        #expect(outcome.termination == .exited(code: 0))
        #expect(dir.read("fd.log").split(separator: "\n") == ["0", "1", "2"])
    }

    @Test func resourceUsageIsReported() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcome = await runner.run(shell("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done", in: dir))
        #expect(outcome.termination == .exited(code: 0))
        let usage = try #require(outcome.resourceUsage)
        #expect(usage.userCPUMilliseconds + usage.systemCPUMilliseconds > 0)
        #expect(usage.maxRSSKiB > 0)
    }

    /// The child's own peak is reported when it exceeds ours. (A child spawned with
    /// posix_spawn's CLONE_VM starts on our address space, so the kernel reports at
    /// least this process's peak RSS for small commands.)
    @Test func maxRSSSeesTheChildsPeak() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let small = try #require(await runner.run(shell("true", in: dir)).resourceUsage)
        let big = try #require(await runner.run(shell(#"x=$(head -c 60000000 /dev/zero | tr '\0' a); echo ${#x}"#, in: dir, id: "rss")).resourceUsage)
        #expect(dir.read("rss.log") == "60000000\n")
        #expect(big.maxRSSKiB >= 100_000)
        #expect(big.maxRSSKiB > small.maxRSSKiB)
    }

    @Test func timeoutEndsTheWholeProcessGroup() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await runner.run(shell("sleep 1000 & sleep 1000", in: dir, timeout: .milliseconds(300))) { box.set($0) }
        let elapsed = clock.now - start
        #expect(outcome.stoppedBy == .timedOut)
        #expect(outcome.termination == .signaled(signal: SIGTERM))
        // Well before the commands' 1000 s, whatever the machine's load.
        #expect(elapsed >= .milliseconds(300) && elapsed < .seconds(60))
        let pgid = try #require(box.process?.processGroup)
        #expect(await eventually { kill(-pgid, 0) == -1 && errno == ESRCH }, "process group \(pgid) still exists")
        #expect(await eventually { zombieChildren(group: pgid).isEmpty })
    }

    @Test func timeoutEscalatesToSIGKILLAfterTheGrace() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let outcome = await runner.run(shell("trap '' TERM; sleep 1000 & sleep 1000", in: dir, timeout: .milliseconds(100),
                                             grace: .milliseconds(300))) { box.set($0) }
        #expect(outcome.stoppedBy == .timedOut)
        #expect(outcome.termination == .signaled(signal: SIGKILL))
        #expect(outcome.duration >= .milliseconds(400))
        let pgid = try #require(box.process?.processGroup)
        #expect(await eventually { kill(-pgid, 0) == -1 && errno == ESRCH })
    }

    @Test func cancelByIDEndsTheWholeProcessGroup() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let task = Task { await runner.run(shell("sleep 1000 & sleep 1000", in: dir, id: "cancel-me")) { box.set($0) } }
        #expect(await eventually { box.process != nil })
        #expect(runner.cancel(id: "cancel-me"))
        let outcome = await task.value
        #expect(outcome.stoppedBy == .canceled)
        #expect(outcome.runResult(logPath: "x").stoppedBy == .cancel)
        let pgid = try #require(box.process?.processGroup)
        #expect(await eventually { kill(-pgid, 0) == -1 && errno == ESRCH })
        #expect(!runner.cancel(id: "cancel-me"))
    }

    @Test func cancellingTheTaskCancelsTheRun() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let task = Task { await runner.run(shell("sleep 1000", in: dir)) { box.set($0) } }
        #expect(await eventually { box.process != nil })
        task.cancel()
        let outcome = await task.value
        #expect(outcome.stoppedBy == .canceled)
        #expect(outcome.termination == .signaled(signal: SIGTERM))
    }

    @Test func leftoversAreTerminatedWhenTheMainProcessExits() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let outcome = await runner.run(shell("sleep 1000 > /dev/null 2>&1 & echo bye", in: dir, id: "left")) { box.set($0) }
        #expect(outcome.termination == .exited(code: 0))
        #expect(outcome.terminatedLeftovers)
        #expect(dir.read("left.log") == "bye\n")
        let pgid = try #require(box.process?.processGroup)
        #expect(await eventually { kill(-pgid, 0) == -1 && errno == ESRCH })
        #expect(await eventually { zombieChildren(group: pgid).isEmpty })
    }

    @Test func hugeOutputStaysWithinTheBound() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let bound = 64 * 1024
        let outcome = await runner.run(shell("head -c 200000000 /dev/zero", in: dir, id: "big", maxBytes: bound))
        #expect(outcome.termination == .exited(code: 0))
        #expect(outcome.output.bytes == 200_000_000)
        #expect(outcome.output.truncated)
        #expect(outcome.output.tail.utf8.count == 4096)
        let marker = "\n[jobdir: output truncated: \(200_000_000 - bound) bytes omitted of 200000000]\n"
        #expect(dir.size("big.log") == bound + marker.utf8.count)
    }

    /// The log is full to the bound, then more comes: the tail still holds the last half
    /// of the bound (read back from the log), not only what came after.
    @Test func aLogFilledToTheBoundAndThenPassedKeepsAFullTail() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcome = await runner.run(shell("printf '%01000d' 0; sleep 0.3; printf bbbbbbbbbb", in: dir, id: "edge", maxBytes: 1000))
        let printed = Array(String(repeating: "0", count: 1000).utf8) + Array("bbbbbbbbbb".utf8)
        #expect(outcome.output.bytes == 1010)
        let log = [UInt8](dir.read("edge.log").utf8)
        #expect(log == OutputCaptureTests.expectedLog(printed, max: 1000), "\(String(decoding: log.suffix(80), as: UTF8.self))")
    }

    @Test func truncatedLogKeepsHeadAndTail() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcome = await runner.run(shell("seq 1 100000", in: dir, id: "seq", maxBytes: 1000))
        let log = dir.read("seq.log")
        #expect(outcome.output.truncated)
        #expect(outcome.output.bytes == 588_895)
        #expect(log.hasPrefix("1\n2\n3\n"))
        #expect(log.hasSuffix("99999\n100000\n"))
        #expect(log.contains("\n[jobdir: output truncated: 587895 bytes omitted of 588895]\n"))
        #expect(log.utf8.count - "\n[jobdir: output truncated: 587895 bytes omitted of 588895]\n".utf8.count == 1000)
        #expect(outcome.output.tail.hasSuffix("99999\n100000\n"))
        #expect(outcome.output.tail.utf8.count == 4096)
    }

    @Test func manyShortRunsAtOnceLeaveNoZombie() async {
        let dir = TempDirectory()
        defer { dir.remove() }
        let outcomes = await withTaskGroup(of: RunOutcome.self) { group in
            for i in 0..<60 {
                group.addTask {
                    await runner.run(SpawnRequest(id: "t\(i)", arguments: i % 2 == 0 ? ["/bin/true"] : ["/bin/sh", "-c", "exit 7"],
                                                  environment: [:], logPath: dir.file("t\(i).log")))
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.count == 60)
        #expect(outcomes.filter { $0.termination == .exited(code: 0) }.count == 30)
        #expect(outcomes.filter { $0.termination == .exited(code: 7) }.count == 30)
        #expect(await eventually { zombieChildren(named: ["true", "sh"]).isEmpty })
    }

    @Test func terminateGroupEndsARunningGroup() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        let box = StartedBox()
        let task = Task { await runner.run(shell("sleep 1000 & sleep 1000", in: dir)) { box.set($0) } }
        #expect(await eventually { box.process != nil })
        let pgid = try #require(box.process?.processGroup)
        #expect(ProcessTable.groupExists(pgid))
        #expect(ProcessTable.terminateGroup(pgid, grace: .seconds(2)))
        let outcome = await task.value
        #expect(outcome.termination == .signaled(signal: SIGTERM))
        #expect(outcome.stoppedBy == nil)
    }

    /// A child spawned by other code in this process is not reaped by the runner's
    /// reaper, and runs finish while that child waits as a zombie for its owner.
    @Test func foreignChildrenAreLeftToTheirOwner() async throws {
        let dir = TempDirectory()
        defer { dir.remove() }
        _ = await runner.run(SpawnRequest(id: "warm", arguments: ["/bin/true"], environment: [:], logPath: dir.file("w.log")))
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sh"), strdup("-c"), strdup("exit 42"), nil]
        defer { argv.forEach { free($0) } }
        try #require(posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0)
        let foreign = pid
        #expect(await eventually(within: 0.5) { zombieChildren().contains(foreign) })
        for i in 0..<5 {
            let outcome = await runner.run(SpawnRequest(id: "r\(i)", arguments: ["/bin/sh", "-c", "exit \(i)"],
                                                        environment: [:], logPath: dir.file("r.log")))
            #expect(outcome.termination == .exited(code: Int32(i)))
        }
        var status: Int32 = 0
        #expect(waitpid(foreign, &status, 0) == foreign)
        #expect((status >> 8) & 0xff == 42)
    }
}
