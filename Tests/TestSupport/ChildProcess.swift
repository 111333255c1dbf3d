import CLinux
import Foundation
import Glibc

/// A program the tests start, with `posix_spawn` as the daemon starts its runs.
///
/// Foundation's `Process` is not used in tests: on Linux its `run()` emulates
/// close-on-exec by adding one close action per descriptor up to the highest open
/// one, which in a test process with many daemons, etcd members and HTTP servers
/// running side by side was seen to crash (SIGSEGV in `Process.run()`'s copying)
/// and costs one action per descriptor. Here the child closes everything from 3 up
/// with one `closefrom` action, descriptors are made close-on-exec, a thread of
/// its own waits for the child, and nothing depends on a run loop.
package final class ChildProcess: @unchecked Sendable {
    /// Where the child's stdout or stderr goes.
    package enum Output: Sendable {
        case null
        /// A pipe this object reads (see `readToEnd` and `onOutput`).
        case pipe
        /// A file, opened for appending (created if missing).
        case file(String)
    }

    package let pid: Int32
    private let lock = NSLock()
    private var status: Int32?
    private let exited = DispatchSemaphore(value: 0)
    /// The read ends of `.pipe` outputs, closed once read to their end.
    private var stdoutPipe: Int32 = -1
    private var stderrPipe: Int32 = -1

    /// Starts `executable` (a path) with `arguments`; the environment is the test's own
    /// unless given. The child leads a process group of its own, has the default signal
    /// dispositions and an empty signal mask, and reads stdin from /dev/null.
    package init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                 currentDirectory: String? = nil, stdout: Output = .null, stderr: Output = .null) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var toClose: [Int32] = []
        defer { for fd in toClose { close(fd) } }

        func target(_ output: Output, _ descriptor: Int32) throws -> Int32 {
            switch output {
            case .null:
                try Self.check(posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0), "addopen")
                return -1
            case .file(let path):
                let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
                guard fd >= 0 else { throw ChildProcessError(message: "open \(path): errno \(errno)") }
                toClose.append(fd)
                try Self.check(posix_spawn_file_actions_adddup2(&actions, fd, descriptor), "adddup2")
                return -1
            case .pipe:
                var fds: [Int32] = [-1, -1]
                guard pipe2(&fds, O_CLOEXEC) == 0 else { throw ChildProcessError(message: "pipe2: errno \(errno)") }
                toClose.append(fds[1])
                try Self.check(posix_spawn_file_actions_adddup2(&actions, fds[1], descriptor), "adddup2")
                return fds[0]
            }
        }
        try Self.check(posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0), "addopen")
        let outRead = try target(stdout, 1)
        let errRead: Int32
        do { errRead = try target(stderr, 2) } catch {
            if outRead >= 0 { close(outRead) }
            throw error
        }
        try Self.check(posix_spawn_file_actions_addclosefrom_np(&actions, 3), "addclosefrom")
        if let currentDirectory {
            try Self.check(posix_spawn_file_actions_addchdir_np(&actions, currentDirectory), "addchdir")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + envp).forEach { free($0) } }
        var spawned: pid_t = 0
        var result = posix_spawn(&spawned, executable, &actions, &attributes, argv + [nil], envp + [nil])
        // A binary just copied (an upgrade's) is "busy" while a process another thread is
        // spawning still holds the copy's descriptor, until that process's exec: try again.
        for _ in 0..<100 where result == ETXTBSY {
            usleep(20_000)
            result = posix_spawn(&spawned, executable, &actions, &attributes, argv + [nil], envp + [nil])
        }
        guard result == 0 else {
            for fd in [outRead, errRead] where fd >= 0 { close(fd) }
            throw ChildProcessError(message: "posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        let pid = spawned
        self.pid = pid
        stdoutPipe = outRead
        stderrPipe = errRead
        let exited = self.exited
        Thread.detachNewThread { [self] in
            var raw: Int32 = 0
            while waitpid(pid, &raw, 0) < 0 && errno == EINTR {}
            // As Foundation reports it: the exit code, or the number of the killing signal.
            let code = (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : raw & 0x7f
            lock.withLock { status = code }
            exited.signal()
        }
    }

    private static func check(_ result: Int32, _ what: String) throws {
        guard result == 0 else { throw ChildProcessError(message: "\(what): \(String(cString: strerror(result)))") }
    }

    package var isRunning: Bool { lock.withLock { status == nil } }

    /// The exit code (or killing signal) once the child has ended, else nil.
    package var terminationStatus: Int32? { lock.withLock { status } }

    /// Waits for the child to end; its exit code, or the signal that killed it.
    @discardableResult
    package func wait() -> Int32 {
        exited.wait()
        exited.signal()
        return terminationStatus!
    }

    /// Waits for the child's end without holding one of the threads the concurrent tests share.
    package func ended() async -> Int32 {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: self.wait()) }
        }
    }

    /// Waits up to `seconds` for the child to end; nil if it is still running.
    package func wait(seconds: Double) -> Int32? {
        guard exited.wait(timeout: .now() + seconds) == .success else { return nil }
        exited.signal()
        return terminationStatus
    }

    /// Sends `signal` to the child if it is still running (never to a reused pid: the
    /// pid is ours until the waiting thread reaps it, and it reaps only after the end).
    package func signal(_ signal: Int32) {
        lock.withLock { if status == nil { _ = kill(pid, signal) } }
    }

    /// Reads both `.pipe` outputs to their end, side by side so that neither can fill
    /// and block the child.
    package func readToEnd() -> (stdout: Data, stderr: Data) {
        var out = Data(), err = Data()
        var fds = [pollfd(fd: stdoutPipe, events: Int16(POLLIN), revents: 0), pollfd(fd: stderrPipe, events: Int16(POLLIN), revents: 0)]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while fds.contains(where: { $0.fd >= 0 }) {
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 || errno == EINTR else { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = read(fds[index].fd, &buffer, buffer.count)
                if count > 0 {
                    if index == 0 { out.append(contentsOf: buffer[0..<count]) } else { err.append(contentsOf: buffer[0..<count]) }
                } else if count == 0 || errno != EINTR {
                    close(fds[index].fd)
                    fds[index].fd = -1
                }
            }
        }
        lock.withLock {
            stdoutPipe = -1
            stderrPipe = -1
        }
        return (out, err)
    }

    /// Hands the stdout pipe's bytes to `handler` as they come, on a thread of its own,
    /// until the pipe's end.
    package func onOutput(_ handler: @escaping @Sendable (Data) -> Void) {
        let fd = lock.withLock { () -> Int32 in
            defer { stdoutPipe = -1 }
            return stdoutPipe
        }
        guard fd >= 0 else { return }
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(fd, &buffer, buffer.count)
                if count > 0 { handler(Data(buffer[0..<count])); continue }
                if count < 0 && errno == EINTR { continue }
                break
            }
            close(fd)
        }
    }

    deinit {
        for fd in [stdoutPipe, stderrPipe] where fd >= 0 { close(fd) }
    }
}

package struct ChildProcessError: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}
