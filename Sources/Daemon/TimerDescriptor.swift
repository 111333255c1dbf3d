import CLinux
import Foundation
import Glibc
import SystemCalls
import Watching

/// A timerfd armed at an absolute time. On the realtime clock it is armed
/// with `TFD_TIMER_CANCEL_ON_SET`, so a wall-clock step (NTP, `date -s`)
/// wakes the daemon to recompute its slots.
final class TimerDescriptor {
    enum Expiry { case fired, clockChanged, nothing }

    let descriptor: Int32
    private let clock: Int32
    /// What the timer is armed at (nil: disarmed), when known: arming it at the same time
    /// again is no system call. Unknown after an expiry.
    private var armed: UInt64?? = .none

    /// `clock` is CLOCK_REALTIME (slots) or CLOCK_MONOTONIC (debounces, timeouts).
    init(clock: Int32) throws(SystemError) {
        let fd = timerfd_create(clock, Int32(TFD_CLOEXEC | TFD_NONBLOCK))
        guard fd >= 0 else { throw SystemError("timerfd_create") }
        descriptor = fd
        self.clock = clock
    }

    deinit { close(descriptor) }

    /// Arms at `nanoseconds` on this timer's clock (absolute); nil disarms.
    func arm(atNanoseconds nanoseconds: UInt64?) {
        let wanted = nanoseconds.map { max($0, 1) }
        if case .some(let current) = armed, current == wanted { return }
        armed = .some(wanted)
        var spec = itimerspec()
        if let at = wanted {
            spec.it_value = timespec(tv_sec: Int(at / 1_000_000_000), tv_nsec: Int(at % 1_000_000_000))
        }
        var flags = Int32(TFD_TIMER_ABSTIME)
        if clock == CLOCK_REALTIME { flags |= Int32(TFD_TIMER_CANCEL_ON_SET) }
        _ = timerfd_settime(descriptor, flags, &spec, nil)
    }

    /// Arms at a wall-clock date (realtime timers only).
    func arm(at date: Date?) {
        arm(atNanoseconds: date.map { UInt64(max(0, ($0.timeIntervalSince1970 * 1e9).rounded(.up))) })
    }

    /// Consumes the expiry; `clockChanged` when the wall clock was set.
    func acknowledge() -> Expiry {
        armed = .none
        var count: UInt64 = 0
        let result = read(descriptor, &count, 8)
        if result == 8 { return .fired }
        if result < 0 && errno == ECANCELED { return .clockChanged }
        return .nothing
    }

    /// Now on CLOCK_MONOTONIC, in nanoseconds.
    static func monotonicNow() -> UInt64 { Sys.monotonicNow() }
}
