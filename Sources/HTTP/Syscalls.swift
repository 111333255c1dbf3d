import CLinux
import Glibc
import SystemCalls

/// The libc calls of this target beside the shared ones: the client's own timerfd.
extension Sys {
    /// A non-blocking CLOCK_MONOTONIC timerfd, close-on-exec.
    static func monotonicTimer() throws(Errno) -> Int32 {
        try retrying("timerfd_create") { timerfd_create(CLOCK_MONOTONIC, Int32(TFD_CLOEXEC | TFD_NONBLOCK)) }
    }

    /// Arms `fd` to expire after `milliseconds` (0: at once); nil disarms it.
    static func arm(_ fd: Int32, afterMilliseconds milliseconds: Int?) {
        var spec = itimerspec()
        if let milliseconds {
            // A zero it_value would disarm: "at once" is one nanosecond from now.
            let nanoseconds = max(1, milliseconds * 1_000_000)
            spec.it_value = timespec(tv_sec: nanoseconds / 1_000_000_000, tv_nsec: nanoseconds % 1_000_000_000)
        }
        _ = timerfd_settime(fd, 0, &spec, nil)
    }

    /// Consumes a timerfd's expiry count.
    static func acknowledge(_ fd: Int32) {
        var count: UInt64 = 0
        _ = Glibc.read(fd, &count, 8)
    }
}
