/// Everything needed to run one command; plain values, so the daemon builds it from a
/// job definition and the tests build it by hand.
package struct SpawnRequest: Sendable {
    /// A key for `ProcessRunner.cancel(id:)`, usually the execution id.
    package var id: String
    /// The argv; `arguments[0]` is the program: a path (relative ones are relative to
    /// `workingDirectory`) or a bare name looked up in the `PATH` of `environment`.
    package var arguments: [String]
    /// The whole environment of the child (nothing is inherited).
    package var environment: [String: String]
    /// The child's working directory; nil keeps the daemon's.
    package var workingDirectory: String?
    /// Combined stdout and stderr go here (created or truncated, mode 0600).
    package var logPath: String
    /// Bound of the log: beyond it, the head and tail halves are kept.
    package var maxOutputBytes: Int
    /// When to end the run: SIGTERM to the process group, then SIGKILL after `killGrace`.
    package var timeout: Duration?
    /// Time between SIGTERM and SIGKILL, for timeouts, cancels and leftover processes.
    package var killGrace: Duration
    /// A file the child reads as stdin; nil gives it /dev/null.
    package var stdinPath: String?
    /// The run's user, limits and env files, applied by the supervisor in the child.
    package var child: ChildSetup
    /// A fleet lease's deadline file for the supervisor (`--fence-file`); nil for none.
    package var fenceFile: String? = nil

    package init(id: String, arguments: [String], environment: [String: String], workingDirectory: String? = nil,
                 logPath: String, maxOutputBytes: Int = 10 << 20, timeout: Duration? = nil,
                 killGrace: Duration = .seconds(10), stdinPath: String? = nil, child: ChildSetup = ChildSetup()) {
        self.stdinPath = stdinPath
        self.child = child
        self.id = id
        self.arguments = arguments
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.logPath = logPath
        self.maxOutputBytes = maxOutputBytes
        self.timeout = timeout
        self.killGrace = killGrace
    }
}
