import Glibc

/// A failed system call: its errno and the call's name.
package struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    package var code: Int32
    package var call: String
    package init(_ code: Int32, call: String) {
        self.code = code
        self.call = call
    }
    package var description: String { "\(call): \(String(cString: strerror(code))) (errno \(code))" }
}

/// Every libc call of this target, retrying EINTR and throwing `Errno`; descriptors are
/// always opened `O_CLOEXEC`.
enum Sys {
    static func retrying<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(Errno) -> T {
        while true {
            let r = body()
            if r != -1 { return r }
            let e = errno
            if e != EINTR { throw Errno(e, call: call) }
        }
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) throws(Errno) -> Int32 {
        try retrying("open") { Glibc.open(path, flags | O_CLOEXEC, mode) }
    }

    static func openat(_ dir: Int32, _ name: String, _ flags: Int32, _ mode: mode_t = 0) throws(Errno) -> Int32 {
        try retrying("openat") { Glibc.openat(dir, name, flags | O_CLOEXEC, mode) }
    }

    static func close(_ fd: Int32) {
        // Linux releases the descriptor even when close reports EINTR: never retry.
        _ = Glibc.close(fd)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws(Errno) {
        var offset = 0
        while offset < bytes.count {
            let n = try retrying("write") {
                bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            }
            offset += n
        }
    }

    static func readAll(_ fd: Int32) throws(Errno) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = try retrying("read") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { return result }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    static func fsync(_ fd: Int32) throws(Errno) {
        _ = try retrying("fsync") { Glibc.fsync(fd) }
    }

    static func renameat(_ fromDir: Int32, _ from: String, _ toDir: Int32, _ to: String) throws(Errno) {
        _ = try retrying("rename") { Glibc.renameat(fromDir, from, toDir, to) }
    }

    static func unlinkat(_ dir: Int32, _ name: String, _ flags: Int32 = 0) throws(Errno) {
        _ = try retrying("unlink") { Glibc.unlinkat(dir, name, flags) }
    }

    static func mkdir(_ path: String, _ mode: mode_t) throws(Errno) {
        _ = try retrying("mkdir") { Glibc.mkdir(path, mode) }
    }

    static func status(_ path: String) throws(Errno) -> Glibc.stat {
        var st = Glibc.stat()
        _ = try retrying("stat") { stat(path, &st) }
        return st
    }

    /// Names in directory `path` (without `.` and `..`), with whether each is a directory.
    static func listDirectory(_ path: String) throws(Errno) -> [(name: String, isDirectory: Bool)] {
        guard let dir = Glibc.opendir(path) else { throw Errno(errno, call: "opendir") }
        defer { Glibc.closedir(dir) }
        var entries: [(String, Bool)] = []
        while true {
            errno = 0
            guard let entry = Glibc.readdir(dir) else {
                if errno != 0 { throw Errno(errno, call: "readdir") }
                return entries
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var isDirectory = entry.pointee.d_type == UInt8(DT_DIR)
            if entry.pointee.d_type == UInt8(DT_UNKNOWN) {
                var st = Glibc.stat()
                if lstat(path + "/" + name, &st) == 0 { isDirectory = (st.st_mode & S_IFMT) == S_IFDIR }
            }
            entries.append((name, isDirectory))
        }
    }
}
