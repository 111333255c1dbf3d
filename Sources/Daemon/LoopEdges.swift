import CLinux
import Glibc
import Watching

/// The descriptors the daemon waits on, all in one epoll set: inotify (job files,
/// request drop boxes, watched paths), the signal pipe, a realtime timer for due times
/// (it also reports wall-clock steps) and a monotonic one for debounces, retries of
/// owed writes and the shutdown grace. The runs' supervisors add their own
/// (`RunSupervisors`).
struct LoopEdges {
    let loop: EventLoop
    let inotify: Inotify
    let signals: SignalChannel
    let wallTimer: TimerDescriptor
    let monotonicTimer: TimerDescriptor

    init() throws {
        loop = try EventLoop()
        inotify = try Inotify()
        signals = try SignalChannel()
        wallTimer = try TimerDescriptor(clock: CLOCK_REALTIME)
        monotonicTimer = try TimerDescriptor(clock: CLOCK_MONOTONIC)
        for fd in [inotify.descriptor, signals.descriptor, wallTimer.descriptor, monotonicTimer.descriptor] {
            try loop.add(fd)
        }
    }
}
