import Glibc
import Watching

/// The descriptor that signals SIGTERM, SIGINT and SIGHUP arrive on.
///
/// A handler writes the signal's number to a pipe (the self-pipe trick). A
/// signalfd would need the signals blocked in every thread, and in an async
/// `main` the main thread belongs to the runtime, which leaves them unblocked.
final class SignalChannel {
    static let handled: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    let descriptor: Int32

    init() throws(SystemError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { throw SystemError("pipe") }
        for fd in ends {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
        descriptor = ends[0]
        signalPipeWriteEnd = ends[1]
        for signal in Self.handled {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                var byte = UInt8(truncatingIfNeeded: signal)
                _ = write(signalPipeWriteEnd, &byte, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(signal, &action, nil)
        }
        // A parent may have started us with these blocked (a spawn from a thread that blocks
        // them passes its mask on); the handler only runs if they are not.
        var mask = sigset_t()
        sigemptyset(&mask)
        for signal in Self.handled { sigaddset(&mask, signal) }
        pthread_sigmask(SIG_UNBLOCK, &mask, nil)
    }

    /// The signals received since the last call, in order.
    func take() -> [Int32] {
        var buffer = [UInt8](repeating: 0, count: 64)
        var signals: [Int32] = []
        while true {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            signals += buffer[0..<count].map(Int32.init)
        }
        return signals
    }
}

/// Written only before the handlers are installed; read by the handler.
nonisolated(unsafe) private var signalPipeWriteEnd: Int32 = -1
