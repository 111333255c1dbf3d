import CLinux
import Glibc

/// An inotify instance: non-blocking, close-on-exec. Its descriptor goes into
/// the daemon's epoll set; `readEvents` drains what is queued.
package final class Inotify {
    package let descriptor: Int32

    package init() throws(SystemError) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { throw SystemError("inotify_init1") }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Adds (or updates) a watch on `path`; returns its watch descriptor.
    package func addWatch(_ path: String, mask: UInt32) throws(SystemError) -> Int32 {
        let wd = inotify_add_watch(descriptor, path, mask)
        guard wd >= 0 else { throw SystemError("inotify_add_watch", path: path) }
        return wd
    }

    package func removeWatch(_ wd: Int32) {
        _ = inotify_rm_watch(descriptor, wd)
    }

    /// Every event queued now; empty when none is.
    package func readEvents() -> [InotifyEvent] {
        var events: [InotifyEvent] = []
        let size = 64 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 8)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, size)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            events += InotifyEvent.decode(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
        return events
    }
}
