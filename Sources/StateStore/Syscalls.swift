import CLinux
import Glibc
import SystemCalls

/// The libc calls of this target beside the shared ones, retrying EINTR and throwing
/// `Errno`; descriptors are always opened `O_CLOEXEC`.
extension Sys {
    static func openat(_ dir: Int32, _ name: String, _ flags: Int32, _ mode: mode_t = 0) throws(Errno) -> Int32 {
        try retrying("openat") { Glibc.openat(dir, name, flags | O_CLOEXEC, mode) }
    }

    static func fsync(_ fd: Int32) throws(Errno) {
        _ = try retrying("fsync") { Glibc.fsync(fd) }
    }

    /// The file's data and what is needed to read it back (its size), not its times.
    static func fdatasync(_ fd: Int32) throws(Errno) {
        _ = try retrying("fdatasync") { Glibc.fdatasync(fd) }
    }

    static func renameat(_ fromDir: Int32, _ from: String, _ toDir: Int32, _ to: String) throws(Errno) {
        _ = try retrying("rename") { Glibc.renameat(fromDir, from, toDir, to) }
    }

    static func unlinkat(_ dir: Int32, _ name: String, _ flags: Int32 = 0) throws(Errno) {
        _ = try retrying("unlink") { Glibc.unlinkat(dir, name, flags) }
    }

    /// The status of the open file `fd` (what it is now, whatever its name became).
    static func status(_ fd: Int32) throws(Errno) -> Glibc.stat {
        var info = Glibc.stat()
        _ = try retrying("fstat") { Glibc.fstat(fd, &info) }
        return info
    }

    /// The status of `name` in directory `dir`, not following a symlink.
    static func status(in dir: Int32, _ name: String) throws(Errno) -> Glibc.stat {
        var info = Glibc.stat()
        _ = try retrying("fstatat") { Glibc.fstatat(dir, name, &info, AT_SYMLINK_NOFOLLOW) }
        return info
    }

    /// At most `limit` bytes from `fd`, and whether more were there.
    static func read(_ fd: Int32, atMost limit: Int) throws(Errno) -> (bytes: [UInt8], more: Bool) {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: min(limit + 1, 65_536))
        while result.count <= limit {
            let n = try retrying("read") { chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) } }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        guard result.count > limit else { return (result, false) }
        return (Array(result[0..<limit]), true)
    }

    static func chmod(_ path: String, _ mode: mode_t) throws(Errno) {
        _ = try retrying("chmod") { Glibc.chmod(path, mode) }
    }

    static func mkdir(_ path: String, _ mode: mode_t) throws(Errno) {
        _ = try retrying("mkdir") { Glibc.mkdir(path, mode) }
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

    /// Sets the extended attribute `name` of the open file `fd`.
    static func setAttribute(_ fd: Int32, _ name: String, _ value: [UInt8]) throws(Errno) {
        _ = try retrying("fsetxattr") { value.withUnsafeBytes { CLinux.fsetxattr(fd, name, $0.baseAddress, $0.count, 0) } }
    }

    /// The extended attribute `name` of `path` (not following a last symlink), nil when absent.
    static func attribute(_ path: String, _ name: String) throws(Errno) -> [UInt8]? {
        var value = [UInt8](repeating: 0, count: 4096)
        let count = CLinux.lgetxattr(path, name, &value, value.count)
        if count < 0 {
            if errno == ENODATA { return nil }
            throw Errno(errno, call: "getxattr")
        }
        return Array(value[0..<count])
    }

    static func setAttribute(_ path: String, _ name: String, _ value: [UInt8]) throws(Errno) {
        _ = try retrying("setxattr") { value.withUnsafeBytes { CLinux.lsetxattr(path, name, $0.baseAddress, $0.count, 0) } }
    }

    /// Removes the attribute `name` of `path`; absent already is fine.
    static func removeAttribute(_ path: String, _ name: String) throws(Errno) {
        guard CLinux.lremovexattr(path, name) != 0, errno != ENODATA else { return }
        throw Errno(errno, call: "removexattr")
    }
}
