import Glibc
import Watching

/// Request files that people and the CLI drop into state/ (`triggers/`, `cancel/`,
/// `approvals/*.approve|reject`): each appears whole, once, or not at all. The bytes go
/// to a temp file `.<name>.tmp.<pid>.<8 hex>` in the same directory (the shape the daemon
/// skips and removes after a crash), are fsynced, then link(2) creates the final name,
/// failing if it exists, and the directory is fsynced.
///
/// link(2) tells inotify readers only IN_CREATE, while readers that wait for a finished
/// file (the daemon acts on IN_CLOSE_WRITE or IN_MOVED_TO) would miss it: the new name is
/// then opened for writing and closed, writing nothing, which raises IN_CLOSE_WRITE.
enum RequestDrop {
    /// Creates `path` holding `bytes`, with its missing directories (`makeDirectories`).
    /// Returns false, writing nothing, when `path` already exists.
    static func createOnce(_ bytes: [UInt8], at path: String) throws(SystemError) -> Bool {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        try makeDirectories(directory)
        let temporary = directory + "/" + temporaryName(for: name)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError("create", path: temporary) }
        do throws(SystemError) {
            defer { close(fd) }
            try writeAll(fd, bytes, path: temporary)
            guard retrying({ fsync(fd) }) == 0 else { throw SystemError("fsync", path: temporary) }
        } catch {
            unlink(temporary)
            throw error
        }
        let linked = retrying { link(temporary, path) }
        let linkError = errno
        unlink(temporary)
        if linked != 0 {
            if linkError == EEXIST { return false }
            throw SystemError("link", path: path, code: linkError)
        }
        syncDirectory(directory)
        announce(path)
        return true
    }

    /// IN_CLOSE_WRITE on `path`, content untouched; nothing if the reader already took it.
    private static func announce(_ path: String) {
        var fd: Int32
        repeat { fd = open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) } while fd < 0 && errno == EINTR
        if fd >= 0 { close(fd) }
    }

    /// `mkdir -p` for the directories that are missing; each new one's parent is fsynced
    /// so the request survives a crash. Existing directories are left as they are (the
    /// daemon makes those of the jobs it loaded its own and sticky, 1733). A new one is
    /// 0700, or 1733 in a sticky directory of the caller's own (the drop box, when the
    /// caller is the daemon's user) or when the caller is root: as the daemon would make
    /// it, so other users' requests for the jobs below it still count.
    static func makeDirectories(_ path: String) throws(SystemError) {
        var prefix = ""
        for segment in path.split(separator: "/") {
            let parent = prefix.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : prefix
            prefix = prefix.isEmpty ? (path.hasPrefix("/") ? "/" : "") + segment : prefix + "/" + segment
            if mkdir(prefix, 0o700) == 0 {
                var info = stat()
                if stat(parent, &info) == 0, info.st_mode & S_ISVTX != 0, info.st_uid == geteuid() || geteuid() == 0 {
                    chmod(prefix, 0o1733)
                }
                syncDirectory(parent)
                continue
            }
            let code = errno
            var info = stat()
            guard stat(prefix, &info) == 0 else { throw SystemError("mkdir", path: prefix, code: code) }
            guard info.st_mode & S_IFMT == S_IFDIR else { throw SystemError("mkdir", path: prefix, code: ENOTDIR) }
        }
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = retrying { fsync(fd) }
        close(fd)
    }

    private static func temporaryName(for name: String) -> String {
        let hex = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return ".\(name).tmp.\(getpid()).\(String(repeating: "0", count: 8 - hex.count))\(hex)"
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw SystemError("write", path: path) }
            offset += count
        }
    }

    private static func retrying(_ call: () -> Int32) -> Int32 {
        var result: Int32
        repeat { result = call() } while result != 0 && errno == EINTR
        return result
    }
}
