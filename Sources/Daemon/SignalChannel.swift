import CLinux
import Glibc
import Watching

/// SIGTERM, SIGINT and SIGHUP delivered as a readable descriptor. The
/// signals are blocked in every thread (block them before starting any), so
/// they arrive only here.
final class SignalChannel {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    let descriptor: Int32

    /// Blocks the handled signals for this thread and the threads it starts.
    static func blockHandledSignals() {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in handled { sigaddset(&mask, signal) }
        pthread_sigmask(SIG_BLOCK, &mask, nil)
    }

    init() throws(SystemError) {
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in Self.handled { sigaddset(&mask, signal) }
        let fd = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        guard fd >= 0 else { throw SystemError("signalfd") }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// The signals received since the last call.
    func take() -> [Int32] {
        var signals: [Int32] = []
        var info = signalfd_siginfo()
        while read(descriptor, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            signals.append(Int32(info.ssi_signo))
        }
        return signals
    }
}
