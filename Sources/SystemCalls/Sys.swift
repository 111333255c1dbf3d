import Glibc

/// The libc calls every edge target needs, retrying EINTR and throwing `Errno`; every
/// descriptor is opened close-on-exec. Each edge target adds its own calls to it in its
/// `Syscalls.swift`.
package enum Sys {
    package static func retrying<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(Errno) -> T {
        while true {
            let r = body()
            if r != -1 { return r }
            let e = errno
            if e != EINTR { throw Errno(e, call: call) }
        }
    }

    package static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) throws(Errno) -> Int32 {
        try retrying("open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    package static func close(_ fd: Int32) {
        // Linux frees the descriptor even when close reports EINTR: never retry.
        _ = Glibc.close(fd)
    }

    package static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            offset += try retrying("write") { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
        }
    }

    package static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            offset += try retrying("write") { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) } }
        }
    }

    /// Everything `fd` has left to read, up to its end, read `chunkSize` bytes at a time.
    package static func readAll(_ fd: Int32, chunkSize: Int = 65_536) throws(Errno) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        while true {
            let n = try retrying("read") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// Now on CLOCK_MONOTONIC, in nanoseconds.
    package static func monotonicNow() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
    }

    package static func status(_ path: String) throws(Errno) -> Glibc.stat {
        var st = Glibc.stat()
        _ = try retrying("stat") { stat(path, &st) }
        return st
    }
}
