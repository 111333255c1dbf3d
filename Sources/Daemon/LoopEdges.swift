import CLinux
import Glibc
import Watching

/// The descriptors the daemon waits on, all in one epoll set: inotify (job files,
/// request drop boxes, watched paths), the signal pipe, the runs' mailbox, a realtime
/// timer for due times (it also reports wall-clock steps) and a monotonic one for
/// debounces and the shutdown grace.
struct LoopEdges {
    let loop: EventLoop
    let inotify: Inotify
    let signals: SignalChannel
    let messages: Wakeup<RunMessage>
    let wallTimer: TimerDescriptor
    let monotonicTimer: TimerDescriptor

    init() throws {
        loop = try EventLoop()
        inotify = try Inotify()
        signals = try SignalChannel()
        messages = try Wakeup<RunMessage>()
        wallTimer = try TimerDescriptor(clock: CLOCK_REALTIME)
        monotonicTimer = try TimerDescriptor(clock: CLOCK_MONOTONIC)
        for fd in [inotify.descriptor, signals.descriptor, messages.descriptor, wallTimer.descriptor, monotonicTimer.descriptor] {
            try loop.add(fd)
        }
    }
}
