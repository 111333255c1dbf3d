import Glibc
import SystemCalls

/// The libc calls of this target beside the shared ones, retrying EINTR and throwing
/// `Errno`; every descriptor is created close-on-exec.
extension Sys {
    /// A pipe, both ends close-on-exec (and non-blocking if asked).
    static func pipe(nonBlocking: Bool = false) throws(Errno) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        let flags = O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)
        _ = try retrying("pipe2") { LibcExtras.pipe2(&fds, flags) }
        return (fds[0], fds[1])
    }

    static func setNonBlocking(_ fd: Int32) throws(Errno) {
        let flags = try retrying("fcntl") { fcntl(fd, F_GETFL) }
        _ = try retrying("fcntl") { fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Reads once; nil when a non-blocking descriptor has nothing now.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int? {
        do {
            return try retrying("read") { Glibc.read(fd, buffer.baseAddress, buffer.count) }
        } catch where error.code == EAGAIN {
            return nil
        }
    }

    static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try retrying("pread") { Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset)) }
    }

    static func truncate(_ fd: Int32, to length: Int64) throws(Errno) {
        _ = try retrying("ftruncate") { ftruncate(fd, off_t(length)) }
        _ = try retrying("lseek") { lseek(fd, off_t(length), SEEK_SET) }
    }

    static func poll(_ fds: inout [pollfd], timeoutMilliseconds: Int32) throws(Errno) -> Int32 {
        try retrying("poll") { Glibc.poll(&fds, nfds_t(fds.count), timeoutMilliseconds) }
    }

    /// `kill(2)`; `ESRCH` is reported as `false`, other errors throw.
    @discardableResult
    static func kill(_ pid: pid_t, _ signal: Int32) throws(Errno) -> Bool {
        do {
            _ = try retrying("kill") { Glibc.kill(pid, signal) }
            return true
        } catch where error.code == ESRCH {
            return false
        }
    }

    static func access(_ path: String, _ mode: Int32) throws(Errno) {
        _ = try retrying("access") { Glibc.access(path, mode) }
    }

    /// Reads a small file (such as /proc/PID/stat) whole.
    static func readSmallFile(_ path: String) throws(Errno) -> [UInt8] {
        let fd = try open(path, O_RDONLY)
        defer { close(fd) }
        return try readAll(fd, chunkSize: 4096)
    }

    /// Blocks until some child has ended and returns its pid without reaping it
    /// (`waitid(P_ALL, WEXITED | WNOWAIT)`); ECHILD when there is no child at all.
    static func peekEndedChild() throws(Errno) -> pid_t {
        var info = siginfo_t()
        _ = try retrying("waitid") { waitid(P_ALL, 0, &info, WEXITED | WNOWAIT) }
        return info._sifields._sigchld.si_pid
    }

    /// Reaps `pid` if it has ended (`wait4(pid, WNOHANG)`): its status word and rusage,
    /// or nil if it is still running.
    static func reap(_ pid: pid_t) throws(Errno) -> (status: Int32, usage: rusage)? {
        var status: Int32 = 0
        var usage = rusage()
        let r = try retrying("wait4") { wait4(pid, &status, WNOHANG, &usage) }
        return r == pid ? (status, usage) : nil
    }

    /// Writes one byte to a non-blocking pipe; a full pipe already means "wake up".
    static func poke(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = try? retrying("write") { Glibc.write(fd, &byte, 1) }
    }

    /// Empties a non-blocking pipe.
    static func drain(_ fd: Int32) {
        var scratch = [UInt8](repeating: 0, count: 256)
        while let n = try? scratch.withUnsafeMutableBytes({ (b) throws(Errno) -> Int? in try read(fd, into: b) }), n > 0 {}
    }

    /// Monotonic time in nanoseconds (CLOCK_MONOTONIC).
    static func monotonicNanoseconds() -> Int64 { Int64(Sys.monotonicNow()) }
}
