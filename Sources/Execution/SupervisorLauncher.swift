import Foundation
import Glibc

/// A supervisor that was started: the daemon waits on `pidfd` (readable when the
/// supervisor has ended), then reads the outcome file.
package struct LaunchedSupervisor: Sendable {
    package var pid: Int32
    /// Kernel start time (`/proc/PID/stat` field 22): with the pid, what a later daemon
    /// checks before it re-attaches to this supervisor.
    package var startTime: UInt64?
    package var pidfd: PidFD
}

/// Starts one `jobdir-supervisor` per run. The supervisor is this process's child
/// (reap it with `pidfd.reap()` once `pidfd` is readable); the command is the
/// supervisor's child, in its own session.
package struct SupervisorLauncher: Sendable {
    package static let binaryName = "jobdir-supervisor"
    /// Names a supervisor binary to use instead of the one beside the executable.
    package static let overrideVariable = "JOBDIR_SUPERVISOR"

    package var binary: String

    package init(binary: String) { self.binary = binary }

    /// `$JOBDIR_SUPERVISOR` if set, else `jobdir-supervisor` in the directory of the
    /// running executable (where `swift build` puts both), else in `../lib/jobdir` from it
    /// (where an install puts it).
    package static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> SupervisorLauncher {
        if let path = environment[overrideVariable], !path.isEmpty { return SupervisorLauncher(binary: path) }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let directory = (executable as NSString).deletingLastPathComponent
        // Beside the executable (a build), else in ../lib/jobdir (an install: bin/jobdir, lib/jobdir/jobdir-supervisor).
        let beside = (directory as NSString).appendingPathComponent(binaryName)
        let installed = ((directory as NSString).deletingLastPathComponent as NSString).appendingPathComponent("lib/jobdir/" + binaryName)
        let binary = !FileManager.default.isExecutableFile(atPath: beside) && FileManager.default.isExecutableFile(atPath: installed) ? installed : beside
        return SupervisorLauncher(binary: binary)
    }

    /// Starts the supervisor of `request`, which writes its outcome to `outcomePath`.
    /// Throws when the supervisor itself cannot start or the request cannot be handed
    /// to it (an argument with a NUL byte, a bad environment name); every failure of the
    /// command's own start (missing program, bad workdir, log) is an outcome instead.
    /// `reportFD` becomes the supervisor's descriptor 3 (see `SupervisorInvocation`), and
    /// `gateFD` its descriptor 4: it then waits for a go on it before it starts anything.
    package func launch(_ request: SpawnRequest, outcomePath: String, reportFD: Int32? = nil,
                        gateFD: Int32? = nil) throws(SpawnFailure) -> LaunchedSupervisor {
        if let problem = Spawner.validate(request) { throw problem }
        precondition(gateFD == nil || reportFD != nil, "a gate goes with a report pipe")
        let invocation = SupervisorInvocation(request, binary: binary, outcomePath: outcomePath,
                                              reportFD: reportFD == nil ? nil : 3, gateFD: gateFD == nil ? nil : 4)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        if let reportFD { posix_spawn_file_actions_adddup2(&actions, reportFD, 3) }
        if let gateFD { posix_spawn_file_actions_adddup2(&actions, gateFD, 4) }
        if LibcExtras.canCloseFrom { _ = LibcExtras.addCloseFrom(&actions, gateFD != nil ? 5 : reportFD != nil ? 4 : 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        LibcExtras.startsNewSession(&attributes)

        let argv = CStringArray(invocation.arguments)
        let envp = CStringArray(invocation.environment)
        defer {
            argv.free()
            envp.free()
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, binary, &actions, &attributes, argv.pointers, envp.pointers)
        guard rc == 0 else {
            throw SpawnFailure(kind: SpawnFailure.other,
                               message: "cannot start the supervisor \(binary): \(String(cString: strerror(rc)))",
                               path: binary, errno: rc)
        }
        // Our child cannot be reaped before we say so: the pidfd names it even if it has
        // already exited.
        let pidfd: PidFD
        do { pidfd = try PidFD(pid: pid) } catch {
            Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            throw SpawnFailure(kind: SpawnFailure.other, message: "pidfd of the supervisor: \(error)", errno: error.code)
        }
        return LaunchedSupervisor(pid: pid, startTime: ProcessTable.startTime(of: pid), pidfd: pidfd)
    }
}
