// Per-run overhead of jobdir's execution path, against a bare posix_spawn + waitpid of
// /bin/true measured in the same process:
//   swift run -c release exec-benchmark [RUNS] [STATE-DIR]
// One jobdir run = record queued → running (fsync'd atomic write, before the spawn) →
// spawn /bin/true through ProcessRunner (session, pipes, log file, reaper, I/O thread)
// → pid recorded (write) → terminal state (write).
import Execution
import Foundation
import Glibc
import Scheduling
import StateStore

let runs = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 300 : 300
let stateRoot: String = {
    if CommandLine.arguments.count > 2 { return CommandLine.arguments[2] }
    var template = Array("/var/tmp/jobdir-exec-benchmark.XXXXXX".utf8CString)
    return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
}()

func milliseconds(_ d: Duration) -> Double {
    Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
}

func summary(_ samples: [Duration]) -> (median: Double, p90: Double) {
    let sorted = samples.map(milliseconds).sorted()
    return (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 9 / 10)])
}

/// posix_spawn + waitpid of /bin/true, nothing else.
func bareSpawn() -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/true"), nil]
    defer { free(argv[0]) }
    guard posix_spawn(&pid, "/bin/true", nil, nil, argv, environ) == 0 else { fatalError("posix_spawn failed") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    return clock.now - start
}

let store = StateStore(root: stateRoot)
do { try store.prepare() } catch { fatalError("\(error)") }
let runner = ProcessRunner()
let job = "bench/true"
let host = ProcessInfo.processInfo.hostName

/// One run through the whole execution path.
func jobdirRun(_ i: Int) async throws -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    let due = Date()
    let id = ExecutionID(dueAt: due, trigger: .manual, random: UInt16.random(in: 0...UInt16.max))
    var record = ExecutionRecord.queued(id: id, job: job, occurrence: .manual(job: job, execution: id),
                                        trigger: ExecutionTrigger(kind: .manual, scheduledFor: nil),
                                        definitionSHA256: "0", command: ["/bin/true"], host: host, at: due)
    record = try transition(record, .start, at: Date())
    try store.write(record)
    let logPath = try store.prepareLog(job: job, id: id)
    let request = SpawnRequest(id: id.rawValue, arguments: ["/bin/true"], environment: ["PATH": "/usr/bin:/bin"],
                               logPath: logPath)
    let started = record
    let outcome = await runner.run(request) { process in
        if let withPid = try? transition(started, .processStarted(pid: process.pid, startTime: process.startTime), at: Date()) {
            try? store.write(withPid)
        }
    }
    if let pid = outcome.process?.pid {
        record = try transition(record, .processStarted(pid: pid, startTime: outcome.process?.startTime), at: Date())
    }
    record = try transition(record, .finish(outcome.runResult(logPath: store.layout.logRelativePath(job: job, id: id))), at: Date())
    try store.write(record)
    guard record.state == .succeeded else { fatalError("run \(i) ended \(record.state)") }
    return clock.now - start
}

/// ProcessRunner alone: spawn in a session, log file, pipe, reaper and I/O thread; no record.
func runnerOnly(_ i: Int) async -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    let outcome = await runner.run(SpawnRequest(id: "r\(i)", arguments: ["/bin/true"], environment: [:],
                                                logPath: stateRoot + "/logs/runner-only.log"))
    guard outcome.termination == .exited(code: 0) else { fatalError("runner-only run \(i): \(outcome.termination)") }
    return clock.now - start
}

/// One run through `jobdir-supervisor` (built beside this benchmark): launch, wait on
/// its pidfd, reap it, read its outcome. The supervisor fsyncs the log and the outcome.
let launcher = SupervisorLauncher.locate()
func supervisorRun(_ i: Int, in directory: String) throws -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    let outcomePath = directory + "/supervisor-\(i % 8).outcome"
    let launched = try launcher.launch(SpawnRequest(id: "s\(i)", arguments: ["/bin/true"], environment: [:],
                                                    logPath: directory + "/supervisor.log"), outcomePath: outcomePath)
    guard try launched.pidfd.wait(milliseconds: -1), try launched.pidfd.reap() == 0 else { fatalError("supervisor \(i) failed") }
    let outcome = try SupervisorOutcome.read(outcomePath)
    guard outcome.exitCode == 0 else { fatalError("supervised run \(i): \(outcome.termination)") }
    return clock.now - start
}

/// CPU time (user + system) of reaped children so far, in microseconds: less sensitive
/// to a loaded machine than wall time.
func childrenCPUMicroseconds() -> Int64 {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    func us(_ t: timeval) -> Int64 { Int64(t.tv_sec) * 1_000_000 + Int64(t.tv_usec) }
    return us(usage.ru_utime) + us(usage.ru_stime)
}

// Baseline first, before the runner's reaper thread exists.
for _ in 0..<20 { _ = bareSpawn() }
var cpuMark = childrenCPUMicroseconds()
let bare = (0..<runs).map { _ in bareSpawn() }
let bareCPU = Double(childrenCPUMicroseconds() - cpuMark) / Double(runs)
let onDisk = stateRoot + "/logs"
for i in 0..<20 { _ = try supervisorRun(i, in: onDisk) }
let supervised = try (0..<runs).map { try supervisorRun($0, in: onDisk) }
// The same on tmpfs, where fsync costs nothing: the supervisor's own cost (its exec,
// the spawn of the command, the two small writes) without the disk's.
var tmpfsTemplate = Array("/dev/shm/jobdir-exec-benchmark.XXXXXX".utf8CString)
let onTmpfs = tmpfsTemplate.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!).map { String(cString: $0) } }
cpuMark = childrenCPUMicroseconds()
let supervisedInMemory = try onTmpfs.map { dir in try (0..<runs).map { try supervisorRun($0, in: dir) } }
let supervisedCPU = Double(childrenCPUMicroseconds() - cpuMark) / Double(runs)
if let onTmpfs { try? FileManager.default.removeItem(atPath: onTmpfs) }
for i in 0..<20 { _ = await runnerOnly(i) }
var alone: [Duration] = []
for i in 0..<runs { alone.append(await runnerOnly(i)) }
for i in 0..<20 { _ = try await jobdirRun(i) }
var full: [Duration] = []
for i in 0..<runs { full.append(try await jobdirRun(i)) }

let b = summary(bare), a = summary(alone), f = summary(full), s = summary(supervised)
print("runs: \(runs) each, state dir: \(stateRoot)")
print(String(format: "bare posix_spawn+waitpid /bin/true:  median %.3f ms  p90 %.3f ms", b.median, b.p90))
print(String(format: "ProcessRunner.run alone (no records):  median %.3f ms  p90 %.3f ms", a.median, a.p90))
print(String(format: "jobdir run (3 fsync'd record writes): median %.3f ms  p90 %.3f ms", f.median, f.p90))
print(String(format: "through jobdir-supervisor (log+outcome fsync'd): median %.3f ms  p90 %.3f ms  (+%.3f ms over bare)",
             s.median, s.p90, s.median - b.median))
if let m = supervisedInMemory.map(summary) {
    print(String(format: "through jobdir-supervisor on tmpfs (no disk cost):   median %.3f ms  p90 %.3f ms  (+%.3f ms over bare)",
                 m.median, m.p90, m.median - b.median))
    print(String(format: "CPU per run of the children: bare /bin/true %.0f µs; supervisor + /bin/true %.0f µs (supervisor's own: %.0f µs)",
                 bareCPU, supervisedCPU, supervisedCPU - bareCPU))
}
print(String(format: "ratio of medians: jobdir run / bare = %.2fx (+%.3f ms); runner alone / bare = %.2fx (+%.3f ms)",
             f.median / b.median, f.median - b.median, a.median / b.median, a.median - b.median))
// A temp state dir is removed; note that mass deletes slow file creation on this disk
// for up to a minute (STYLE.md), so leave a minute between runs for comparable figures.
if CommandLine.arguments.count <= 2 { try? FileManager.default.removeItem(atPath: stateRoot) }
