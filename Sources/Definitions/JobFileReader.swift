import Glibc

/// Reads a job file's bytes after the checks SPEC section 6 asks for: a
/// regular file, at most 1 MiB, not writable by group or others (as cron refuses such
/// crontabs), and, when the daemon is not root, owned by the daemon's user or root.
package enum JobFileReader {
    /// The file's bytes, or the one problem that stops it being read.
    package static func read(_ path: String) -> Result<[UInt8], Diagnostic> {
        readOwned(path).map(\.bytes)
    }

    /// `O_NOATIME`, which Swift's Glibc module leaves out (it is `_GNU_SOURCE`).
    private static let noAccessTime: Int32 = 0o1000000

    /// The file's bytes and its owner, or the one problem that stops it being read.
    package static func readOwned(_ path: String) -> Result<(bytes: [UInt8], owner: UInt32), Diagnostic> {
        let start = SourceMark(file: path, line: 1, column: 1)
        // Reading a job file leaves its access time alone (a load of 10,000 new files would
        // write 10,000 inodes); only its owner or root may ask that, others read it plainly.
        var fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | noAccessTime)
        if fd < 0 && errno == EPERM { fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK) }
        guard fd >= 0 else { return .failure(Diagnostic("cannot open: \(String(cString: strerror(errno)))", at: start)) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(Diagnostic("cannot stat: \(String(cString: strerror(errno)))", at: start)) }
        guard info.st_mode & S_IFMT == S_IFREG else { return .failure(Diagnostic("not a regular file", at: start)) }
        if let refusal = ownershipProblem(uid: info.st_uid, mode: info.st_mode, path: path) {
            return .failure(Diagnostic(refusal, at: start))
        }
        guard Int(info.st_size) <= YAMLReader.maxBytes else {
            return .failure(Diagnostic("file is \(info.st_size) bytes; a job file may be at most 1 MiB", at: start))
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return .failure(Diagnostic("cannot read: \(String(cString: strerror(errno)))", at: start)) }
            if count == 0 { break }
            filled += count
        }
        guard filled <= YAMLReader.maxBytes else {
            return .failure(Diagnostic("file is larger than 1 MiB; a job file may be at most 1 MiB", at: start))
        }
        return .success((Array(bytes[0..<filled]), UInt32(info.st_uid)))
    }

    /// Why a file with this owner and mode is refused, or nil when it is accepted.
    /// A root daemon runs each file as its owner, so any owner is accepted then; a daemon
    /// that is not root runs everything as itself, so only its own files and root's.
    package static func ownershipProblem(uid: uid_t, mode: mode_t, path: String, daemonUID me: uid_t = geteuid()) -> String? {
        if me != 0 && uid != me && uid != 0 {
            return "refused: owned by \(userName(uid)), not by \(userName(me)) (the daemon's user) or root; run `chown \(userName(me)) \(path)`"
        }
        if mode & (S_IWGRP | S_IWOTH) != 0 {
            return "refused: writable by group or others (mode \(String(mode & 0o777, radix: 8))); run `chmod go-w \(path)`"
        }
        return nil
    }

    /// Why `_defaults.yaml` owned by `uid` is refused, or nil: it is merged into every
    /// job, so another user owning it could set `env`, `shell` or `notify` of root's jobs.
    package static func defaultsOwnershipProblem(uid: UInt32, path: String, daemonUID me: UInt32 = UInt32(geteuid())) -> String? {
        guard uid != 0 && uid != me else { return nil }
        let owners = me == 0 ? "root" : "root or \(userName(me)) (the daemon's user)"
        return "refused: owned by \(userName(uid)); _defaults.yaml is merged into every job, so it must belong to \(owners); "
            + "run `chown \(userName(me)) \(path)`"
    }

    /// By `getpwuid_r`: files are read on more than one thread (`JobDirectory.read`).
    static func userName(_ uid: uid_t) -> String {
        var size = 4096
        while size <= 1 << 20 {
            var entry = passwd(), found: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: size)
            // The name points into the buffer: read while the buffer is pinned.
            let (status, name) = buffer.withUnsafeMutableBufferPointer { storage -> (Int32, String?) in
                let status = getpwuid_r(uid, &entry, storage.baseAddress!, storage.count, &found)
                let name: UnsafeMutablePointer<CChar>? = status == 0 && found != nil ? entry.pw_name : nil
                return (status, name.map { String(cString: $0) })
            }
            if status == ERANGE { size *= 4; continue }
            return name ?? "uid \(uid)"
        }
        return "uid \(uid)"
    }
}
