import Glibc
import SystemCalls
import StateStore

/// The service manager's readiness protocol (sd_notify): datagrams of `KEY=VALUE`
/// lines sent to the AF_UNIX socket named by `NOTIFY_SOCKET` (a path, or `@name` for an
/// abstract socket). systemd's `Type=notify` waits for `READY=1`, shows `STATUS=` in
/// `systemctl status`, and takes `STOPPING=1` as the start of a clean stop.
///
/// This is the whole of the native protocol for these messages, so the binary needs no
/// libsystemd and runs the same where systemd is absent.
package final class ServiceNotifier: Sendable {
    package let socketPath: String
    private let descriptor: Int32

    /// A notifier for `NOTIFY_SOCKET` in `environment`; nil when it is unset or empty (not
    /// started by a service manager) or no socket can be made.
    package convenience init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty else { return nil }
        try? self.init(socketPath: path)
    }

    package init(socketPath: String) throws(Errno) {
        self.socketPath = socketPath
        descriptor = try Sys.datagramSocket()
    }

    deinit { Sys.close(descriptor) }

    /// Sends `lines` as one datagram (`READY=1`, `STATUS=...`); false when it cannot be
    /// delivered (the manager is gone): notifications are advisory and never stop the daemon.
    @discardableResult
    package func send(_ lines: [String]) -> Bool {
        let text = lines.map { $0.replacingNewlines() }.joined(separator: "\n") + "\n"
        do {
            try Sys.send(descriptor, Array(text.utf8), to: socketPath)
            return true
        } catch {
            return false
        }
    }
}

private extension String {
    /// A value is one line: newlines would start a new assignment.
    func replacingNewlines() -> String {
        String(map { $0.isNewline ? " " : $0 })
    }
}
