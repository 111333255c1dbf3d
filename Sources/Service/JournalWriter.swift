import Glibc
import SystemCalls
import StateStore

/// Entries for systemd-journald over its native protocol: one datagram per entry on
/// the AF_UNIX socket `/run/systemd/journal/socket`, each field `NAME=value\n`, or for a
/// value holding a newline `NAME\n`, its length as 64-bit little endian, the value, `\n`.
/// Fields such as `JOB=` and `EXECUTION=` can then be matched with `journalctl JOB=backup`.
///
/// Speaking the protocol directly (about 40 lines) instead of linking libsystemd keeps
/// the static binary free of it and its dependencies; journald has kept this format stable
/// since 2011. An entry too large for one datagram is refused by the kernel (EMSGSIZE);
/// libsystemd would pass it in a sealed memfd, this writer reports failure and the caller
/// writes that line to stderr, which systemd also puts in the journal.
package final class JournalWriter: Sendable {
    package static let defaultSocket = "/run/systemd/journal/socket"

    package let socketPath: String
    private let descriptor: Int32

    /// Connects to journald's socket at `socketPath`; throws when nothing listens there.
    package init(socketPath: String = JournalWriter.defaultSocket) throws(Errno) {
        self.socketPath = socketPath
        let fd = try Sys.datagramSocket()
        do {
            try Sys.connect(fd, to: socketPath)
        } catch {
            Sys.close(fd)
            throw error
        }
        descriptor = fd
        // Fail fast rather than block the daemon's loop if journald stops reading.
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { Sys.close(descriptor) }

    /// The writer to log through when running under systemd, else nil (log to stderr):
    /// `JOURNAL_STREAM` names stderr's device and inode (systemd connected stderr to the
    /// journal) or `NOTIFY_SOCKET` is set, and journald's socket accepts a connection.
    /// `JOBDIR_JOURNAL_SOCKET` names another socket than journald's usual one.
    package static func forServiceManager(environment: [String: String]) -> JournalWriter? {
        let stderrIdentity = Sys.identity(of: STDERR_FILENO)
        guard isUnderServiceManager(environment: environment, stderr: stderrIdentity) else { return nil }
        return try? JournalWriter(socketPath: environment["JOBDIR_JOURNAL_SOCKET"] ?? defaultSocket)
    }

    /// Whether `environment` and stderr's identity say systemd started this process.
    package static func isUnderServiceManager(environment: [String: String], stderr: (device: UInt64, inode: UInt64)?) -> Bool {
        if let notify = environment["NOTIFY_SOCKET"], !notify.isEmpty { return true }
        guard let stream = environment["JOURNAL_STREAM"], let stderr else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        return device == stderr.device && inode == stderr.inode
    }

    /// Sends one entry; false when journald did not take it.
    @discardableResult
    package func send(_ fields: [(name: String, value: String)]) -> Bool {
        do {
            try Sys.send(descriptor, Self.encode(fields))
            return true
        } catch {
            return false
        }
    }

    /// The datagram of one entry. Names must be uppercase letters, digits and `_`, not
    /// starting with `_` or a digit (journald drops others); fields with other names are left out.
    package static func encode(_ fields: [(name: String, value: String)]) -> [UInt8] {
        var out: [UInt8] = []
        for (name, value) in fields where isValidFieldName(name) {
            let bytes = Array(value.utf8)
            out += Array(name.utf8)
            if bytes.contains(UInt8(ascii: "\n")) {
                out.append(UInt8(ascii: "\n"))
                var length = UInt64(bytes.count).littleEndian
                withUnsafeBytes(of: &length) { out += $0 }
                out += bytes
            } else {
                out.append(UInt8(ascii: "="))
                out += bytes
            }
            out.append(UInt8(ascii: "\n"))
        }
        return out
    }

    static func isValidFieldName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "_"), !(first >= 48 && first <= 57), name.utf8.count <= 64 else { return false }
        return name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "_") }
    }
}
