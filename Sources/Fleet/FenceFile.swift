import Glibc
import SystemCalls

/// The file a run's supervisor reads its lease's deadline from (`--fence-file`): one per
/// lease, `<directory>/lease-<id>.deadline`, holding a CLOCK_MONOTONIC instant in
/// nanoseconds. Rewritten (temp file, rename) after each acknowledged renewal, removed
/// when the lease is given up: a supervisor that finds it gone or past stops its run.
/// Not fsync'd: a monotonic instant means nothing after a reboot, and no run survives one.
package struct FenceFile: Sendable {
    package let directory: String

    package init(directory: String) { self.directory = directory }

    package func path(lease: Int64) -> String { directory + "/lease-\(String(lease, radix: 16)).deadline" }

    /// Writes `deadline` for `lease`; returns an error's text when it could not.
    @discardableResult
    package func write(lease: Int64, deadline: UInt64) -> String? {
        let target = path(lease: lease), temporary = target + ".tmp"
        do {
            _ = mkdir(directory, 0o700)
            let fd = try Sys.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            defer { Sys.close(fd) }
            try Sys.writeAll(fd, Array("\(deadline)\n".utf8))
            guard rename(temporary, target) == 0 else { return "rename \(target): errno \(errno)" }
            return nil
        } catch {
            return "\(temporary): \(error)"
        }
    }

    package func remove(lease: Int64) { unlink(path(lease: lease)) }
}
