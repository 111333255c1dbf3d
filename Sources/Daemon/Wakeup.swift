import CLinux
import Glibc
import Synchronization
import Watching

/// A mailbox other threads post to (a run finished); an eventfd makes the
/// event loop wake for it.
final class Wakeup<Message: Sendable>: Sendable {
    let descriptor: Int32
    private let messages = Mutex<[Message]>([])

    init() throws(SystemError) {
        let fd = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard fd >= 0 else { throw SystemError("eventfd") }
        descriptor = fd
    }

    deinit { close(descriptor) }

    func post(_ message: Message) {
        messages.withLock { $0.append(message) }
        var one: UInt64 = 1
        _ = write(descriptor, &one, 8)
    }

    /// Every message posted since the last call, in order.
    func take() -> [Message] {
        var count: UInt64 = 0
        _ = read(descriptor, &count, 8)
        return messages.withLock { queued in
            defer { queued.removeAll() }
            return queued
        }
    }
}
