import Glibc
import SystemCalls

/// A preallocated file in the state directory (`.reserve`), given back when the disk is
/// full so that the records of runs already going can still be written, and made again
/// once there is room. `posix_fallocate` reserves real blocks on ext4 and pages on tmpfs,
/// so unlinking it frees that much for the writes that follow.
package struct StateReserve: Sendable {
    package static let defaultSize: UInt64 = 64 * 1024

    package let path: String
    package let size: UInt64

    package init(layout: StateLayout, size: UInt64 = StateReserve.defaultSize) {
        path = layout.path(".reserve")
        self.size = size
    }

    /// Whether the reserve is in place, at its full size.
    package var isHeld: Bool {
        guard let info = try? Sys.status(path) else { return false }
        return UInt64(info.st_blocks) * 512 >= size
    }

    /// Makes the reserve if it is missing; false when the disk has no room for it.
    @discardableResult
    package func make() -> Bool {
        if isHeld { return true }
        guard let fd = try? Sys.open(path, O_WRONLY | O_CREAT, 0o600) else { return false }
        defer { Sys.close(fd) }
        guard posix_fallocate(fd, 0, off_t(size)) == 0, fsync(fd) == 0 else {
            _ = ftruncate(fd, 0)
            return false
        }
        return true
    }

    /// Gives the space back; true when there was a reserve to give.
    @discardableResult
    package func release() -> Bool {
        let held = isHeld
        unlink(path)
        return held
    }

    /// Bytes free for an unprivileged writer on the state directory's filesystem.
    package static func freeBytes(at directory: String) -> UInt64? {
        var info = statvfs()
        guard statvfs(directory, &info) == 0 else { return nil }
        return UInt64(info.f_bavail) * UInt64(info.f_frsize)
    }
}
