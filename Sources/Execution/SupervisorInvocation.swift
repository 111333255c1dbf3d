/// The command line of a `jobdir-supervisor` for one run (invocation `v1`):
///
///     jobdir-supervisor v1 --id ID --log PATH --outcome PATH --max-output BYTES
///                       --kill-grace-ms MS [--timeout-ms MS] [--workdir DIR]
///                       [--report-fd FD] [--gate-fd FD] [--fence-file PATH] [--stdin PATH] [--uid UID --gid GID --groups GID,...]
///                       [--umask OCTAL] [--limit NAME=VALUE]... [--nice N] [--io CLASS]
///                       [--env-file PATH]... [--env-keep NAME]... -- PROGRAM [ARG...]
///
/// The execution id comes first, so `ps` shows which run it is. The command's
/// environment is the supervisor's own: the launcher hands it the request's environment
/// and nothing else. A supervisor refuses (exit 2) an invocation version or option it
/// does not know, so options can be added in later versions.
package struct SupervisorInvocation: Hashable, Sendable {
    package static let version = "v1"

    package var arguments: [String]
    package var environment: [String]

    /// The invocation for `request`, writing its outcome to `outcomePath`; `reportFD`
    /// is a descriptor of the supervisor on which it writes `started PID\n` once the
    /// command runs; `gateFD` one on which it waits for a go (`g`) before anything else.
    package init(_ request: SpawnRequest, binary: String, outcomePath: String, reportFD: Int32? = nil, gateFD: Int32? = nil) {
        var arguments = [binary, Self.version, "--id", request.id, "--log", request.logPath, "--outcome", outcomePath,
                         "--max-output", String(request.maxOutputBytes),
                         "--kill-grace-ms", String(Self.milliseconds(request.killGrace))]
        if let timeout = request.timeout { arguments += ["--timeout-ms", String(Self.milliseconds(timeout))] }
        if let workdir = request.workingDirectory { arguments += ["--workdir", workdir] }
        if let reportFD { arguments += ["--report-fd", String(reportFD)] }
        if let gateFD { arguments += ["--gate-fd", String(gateFD)] }
        if let fenceFile = request.fenceFile { arguments += ["--fence-file", fenceFile] }
        if let stdinPath = request.stdinPath { arguments += ["--stdin", stdinPath] }
        arguments += request.child.arguments
        self.arguments = arguments + ["--"] + request.arguments
        environment = request.environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    }

    /// Whole milliseconds, rounded up so that a sub-millisecond grace is not zero.
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(0, seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
