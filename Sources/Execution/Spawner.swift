import Foundation
import Glibc
import Scheduling
import SystemCalls

/// The spawn itself: checks, `posix_spawn` in a new session with stdin from /dev/null,
/// stdout and stderr into a pipe and every other descriptor closed; then the hand-over
/// to the supervisor.
enum Spawner {
    static func start(_ request: SpawnRequest, token: UInt64, supervisor: Supervisor,
                      finish: @escaping @Sendable (RunOutcome) -> Void, onStarted: (StartedProcess) -> Void) {
        let startedAt = Date()
        let startMonotonic = Sys.monotonicNanoseconds()
        func fail(_ failure: SpawnFailure) {
            supervisor.state.withLock { s in
                s.pendingTokens.remove(token)
                s.canceledEarly.remove(token)
            }
            let end = Sys.monotonicNanoseconds()
            finish(RunOutcome(
                termination: .spawnFailed(failure), stoppedBy: failure.kind == SpawnFailure.canceled ? .canceled : nil,
                process: nil, startedAt: startedAt, finishedAt: Date(), duration: .nanoseconds(end - startMonotonic),
                resourceUsage: nil, output: CapturedOutput(bytes: 0, truncated: false, tail: "", logError: nil),
                terminatedLeftovers: false))
        }

        // Checks that name the exact path; posix_spawn's errno alone cannot say which.
        if let problem = validate(request) { return fail(problem) }
        if let workdir = request.workingDirectory, let problem = ExecutableLookup.checkWorkingDirectory(workdir) {
            return fail(problem)
        }
        let program: String
        switch ExecutableLookup.resolve(request.arguments[0], workingDirectory: request.workingDirectory,
                                        searchPath: request.environment["PATH"]) {
        case .success(let path): program = path
        case .failure(let problem): return fail(problem)
        }

        let logFD: Int32, devNull: Int32, output: (read: Int32, write: Int32)
        do { logFD = try Sys.open(request.logPath, O_RDWR | O_CREAT | O_TRUNC, 0o600) } catch {
            return fail(SpawnFailure(kind: SpawnFailure.logFile, message: "log \(request.logPath): \(error.text)",
                                     path: request.logPath, errno: error.code))
        }
        do {
            devNull = try Sys.open(request.stdinPath ?? "/dev/null", O_RDONLY)
            output = try Sys.pipe()
        } catch {
            Sys.close(logFD)
            return fail(SpawnFailure(kind: SpawnFailure.other, message: "\(error)", errno: error.code))
        }
        defer {
            Sys.close(devNull)
            Sys.close(output.write)
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, devNull, 0)
        posix_spawn_file_actions_adddup2(&actions, output.write, 1)
        posix_spawn_file_actions_adddup2(&actions, output.write, 2)
        if LibcExtras.canCloseFrom { _ = LibcExtras.addCloseFrom(&actions, 3) }
        if let workdir = request.workingDirectory { _ = LibcExtras.addChdir(&actions, workdir) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        LibcExtras.startsNewSession(&attributes)

        let argv = CStringArray(request.arguments)
        let envp = CStringArray(request.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })
        defer {
            argv.free()
            envp.free()
        }

        // Spawn and register under the supervisor's lock, so the reaper cannot look at
        // this child before it is known, however soon it exits.
        enum Spawned { case canceled, failed(Int32), started(StartedProcess) }
        let spawned: Spawned = supervisor.state.withLock { s in
            if s.canceledEarly.remove(token) != nil {
                s.pendingTokens.remove(token)
                return .canceled
            }
            var pid: pid_t = 0
            let rc = posix_spawn(&pid, program, &actions, &attributes, argv.pointers, envp.pointers)
            guard rc == 0 else { return .failed(rc) }
            let process = StartedProcess(pid: pid, processGroup: pid, startTime: ProcessTable.startTime(of: pid),
                                         startedAt: startedAt)
            s.pendingTokens.remove(token)
            s.liveTokens.insert(token)
            s.tokensByID[request.id, default: []].insert(token)
            s.leaders[pid] = token
            s.knownGroups.insert(pid)
            s.newRuns.append(RunSetup(token: token, request: request, process: process, outputFD: output.read,
                                      logFD: logFD, startMonotonic: startMonotonic, finish: finish))
            return .started(process)
        }
        switch spawned {
        case .canceled:
            Sys.close(logFD)
            Sys.close(output.read)
            fail(SpawnFailure(kind: SpawnFailure.canceled, message: "canceled before it started"))
        case .failed(let code):
            Sys.close(logFD)
            Sys.close(output.read)
            fail(failure(errno: code, program: program, request: request))
        case .started(let process):
            try? Sys.setNonBlocking(output.read)
            supervisor.spawned.signal()
            supervisor.wake()
            onStarted(process)
        }
    }

    static func validate(_ request: SpawnRequest) -> SpawnFailure? {
        if request.arguments.isEmpty {
            return SpawnFailure(kind: SpawnFailure.notFound, message: "empty command")
        }
        if request.arguments.contains(where: { $0.utf8.contains(0) }) {
            return SpawnFailure(kind: SpawnFailure.other, message: "an argument contains a NUL byte")
        }
        for (key, value) in request.environment
        where key.isEmpty || key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0) || value.utf8.contains(0) {
            return SpawnFailure(kind: SpawnFailure.badEnvironment, message: "invalid environment variable name `\(key)`")
        }
        return nil
    }

    /// Maps posix_spawn's errno to a precise failure (a chdir failure comes back as an errno too).
    private static func failure(errno code: Int32, program: String, request: SpawnRequest) -> SpawnFailure {
        if [ENOENT, ENOTDIR, EACCES, EPERM].contains(code), let workdir = request.workingDirectory,
           let problem = ExecutableLookup.checkWorkingDirectory(workdir) {
            return problem
        }
        let text = String(cString: strerror(code))
        switch code {
        case ENOENT, ENOTDIR:
            return SpawnFailure(kind: SpawnFailure.notFound, message: "\(program): \(text)", path: program, errno: code)
        case EACCES, EPERM, EISDIR:
            return SpawnFailure(kind: SpawnFailure.permission, message: "\(program): \(text)", path: program, errno: code)
        case ENOEXEC:
            return SpawnFailure(kind: SpawnFailure.execFormat, message: "\(program): not an executable format",
                                path: program, errno: code)
        default:
            return SpawnFailure(kind: SpawnFailure.other, message: "cannot start \(program): \(text)", path: program, errno: code)
        }
    }
}
