import Foundation

/// A `jobdir run` started on temp directories for an end-to-end test.
package final class DaemonProcess: @unchecked Sendable {
    package let jobs: String
    package let state: String
    package let logFile: String
    private let process: ChildProcess

    /// Starts the daemon; its stderr goes to `logFile`.
    /// `binary` runs instead of the built `jobdir` (a copy, as an upgrade installs it).
    /// `wrapper` (a program that execs the rest of its arguments, like `setpriv ... --`)
    /// runs the daemon, e.g. as another user; the daemon keeps the wrapper's pid.
    package init(jobs: String, state: String, arguments: [String] = [], environment: [String: String]? = nil,
                 binary: String = ProcessRunner.jobdirBinary, wrapper: [String] = []) throws {
        self.jobs = jobs
        self.state = state
        logFile = state + ".daemon.log"
        // Emptied in place: a test may have named the file (its device and inode) already.
        close(open(logFile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644))
        let arguments = wrapper.dropFirst() + (wrapper.isEmpty ? [] : [binary]) + ["run", "--jobs", jobs, "--state", state] + arguments
        // Started by a test runner that systemd runs, the daemon would log to the journal:
        // it logs to `logFile` unless a test asks for systemd's variables itself.
        var inherited = ProcessInfo.processInfo.environment
        for name in ["NOTIFY_SOCKET", "JOURNAL_STREAM"] { inherited[name] = nil }
        process = try ChildProcess(wrapper.first ?? binary, Array(arguments), environment: environment ?? inherited,
                                   stdout: .file(logFile), stderr: .file(logFile))
    }

    package var pid: Int32 { process.pid }
    package var isRunning: Bool { process.isRunning }
    package var log: String { (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits up to `timeout` for the daemon to exit; returns its status.
    @discardableResult
    package func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(30)) -> Int32? {
        process.signal(signal)
        return process.wait(seconds: Double(timeout.components.seconds))
    }

    deinit {
        if process.isRunning {
            process.signal(SIGKILL)
            _ = process.wait(seconds: 5)
        }
    }
}
