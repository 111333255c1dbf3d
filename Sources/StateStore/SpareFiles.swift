import CLinux
import Glibc
import Synchronization
import SystemCalls

/// Inodes of replaced state files, kept for the group commit to write into again.
///
/// Replacing a file by renaming a new temp file over it frees the old file's inode and
/// allocates one for the temp file. On ext4 without a journal, each allocation scans past
/// every inode of its group freed within the last minute or more (`recently_deleted` in
/// the kernel, an inode-table lookup each): at a run every few seconds that scan was a
/// quarter of the daemon's CPU time per run (`perf`, see Benchmarks/RESULTS.md). So a
/// commit that replaces a file swaps the names instead (`RENAME_EXCHANGE`): the target
/// gets the new inode, and the old one stays under the temp name, a spare that a later
/// commit writes over and cuts to length, in the same directory. Readers see what a rename
/// gives them: the old file whole, or the new one whole.
///
/// A spare is kept only once the exchange that made it is durable (its directory
/// flushed): before that, a crash could give the target its old inode back, which must
/// then still hold the old content. It is reused only after a rest of 250 ms (an `open`
/// caught between its name lookup and the open itself has finished by then), when nobody
/// has it open (a reader that opened the old version reads it whole: a write lease, which
/// the kernel grants only to a file without other open descriptors, is taken and let go
/// first; nobody can open it anew but by its temp name), and when it is what a new temp
/// file would be: a regular file of the daemon's user with one link and the document's
/// mode. A spare with an ACL (documents with readers, directories carrying a default ACL)
/// is not kept at all. A spare that is not fit is removed, as the rename would have.
///
/// A spare's name is a temp file's name (`.<name>.tmp.<pid>.<hex>`), so readers skip it
/// and the next daemon's start removes it; until reused it holds the version it replaced.
/// Only the documents written at every run (records in `executions/<job>/`, results) are
/// written this way (`Document.reusesSpares`); with less than 1 MiB free no spare is used.
/// A supervisor's outcome file, once its run is recorded, and a pruned record become
/// spares of their job's records directory too (`adopt`) instead of being removed. At most
/// 64 a directory, 4,096 in all.
package enum SpareFiles {
    /// Spares kept per directory, and in all (past that, a spare is removed): with the
    /// rest below, a directory written 2 times a run needs 2 × runs a second / 4 of them.
    static let perDirectory = 64
    static let inAll = 4096
    /// How long a spare rests before it is written into: an `open` of the old version
    /// that had resolved its name before the exchange but not yet opened the file (which
    /// the lease does not see) has long finished by then.
    static let rest: UInt64 = 250_000_000

    /// Spares by directory, oldest first, with the monotonic time each was kept.
    private static let spares = Mutex<[String: [(path: String, since: UInt64)]]>([:])
    /// Files taken out of view (`adopt`) whose directory has not been flushed since.
    private static let pending = Mutex<[String: [String]]>([:])
    /// Cleared when the filesystem refuses `RENAME_EXCHANGE` (then every write renames).
    private static let exchanging = Atomic<Bool>(true)

    /// An open spare of `directory` (its old content still there: the caller writes over it
    /// from the start and cuts it to length, which keeps its blocks allocated where the
    /// document fits them), for a document of mode
    /// `permissions` without an ACL of its own; nil when there is none (a spare that is not
    /// fit is removed).
    static func take(in directory: String, permissions: mode_t) -> (fd: Int32, path: String)? {
        let rested = Sys.monotonicNow() &- rest
        func next() -> String? {
            spares.withLock { all in
                guard let first = all[directory]?.first, first.since <= rested else { return nil }
                return all[directory]?.removeFirst().path
            }
        }
        guard spares.withLock({ ($0[directory]?.first?.since ?? .max) <= rested }), hasRoom(directory) else { return nil }
        while let path = next() {
            if let fd = reopen(path, permissions: permissions) { return (fd, path) }
            unlink(path)
        }
        return nil
    }

    /// Below this much free space no spare is written into: a filling disk fails the
    /// writes as it would without spares (the reserve is released, the state directory
    /// shows FAILING), instead of hiding behind the space the spares hold.
    static let minimumFreeBytes: UInt64 = 1 << 20

    private static func hasRoom(_ directory: String) -> Bool {
        var info = Glibc.statvfs()
        return statvfs(directory, &info) == 0 && UInt64(info.f_bavail) * UInt64(info.f_frsize) >= minimumFreeBytes
    }

    private static func reopen(_ path: String, permissions: mode_t) -> Int32? {
        guard let fd = try? Sys.open(path, O_WRONLY | O_NOFOLLOW | O_NONBLOCK) else { return nil }
        var info = Glibc.stat()
        let fit = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_uid == geteuid()
            && info.st_nlink == 1 && info.st_mode & 0o7777 == permissions
            && CLinux.fgetxattr(fd, AccessList.accessAttribute, nil, 0) < 0 && errno == ENODATA
            && nobodyElseHasOpen(fd)
        if fit { return fd }
        Sys.close(fd)
        return nil
    }

    /// Whether `fd` is the only open descriptor of its file: the kernel grants a write
    /// lease only then (fcntl(2)). The lease is let go at once. Should someone open the
    /// file meanwhile, the kernel signals the lease's holder: SIGURG, which is ignored by
    /// default, instead of SIGIO, which would end the daemon.
    private static func nobodyElseHasOpen(_ fd: Int32) -> Bool {
        let setLease: Int32 = 1024 /* F_SETLEASE */, setSignal: Int32 = 10 /* F_SETSIG */
        guard fcntl(fd, setSignal, SIGURG) == 0, fcntl(fd, setLease, Int32(F_WRLCK)) == 0 else { return false }
        _ = fcntl(fd, setLease, Int32(F_UNLCK))
        return true
    }

    /// Gives `temp` the name `path` (both in one directory). When `path` existed, the two
    /// swap and true is returned: `temp` now names the replaced inode, for `keep` once the
    /// directory is flushed. Otherwise `temp` is renamed, and false returned.
    static func replace(_ temp: String, _ path: String) throws(Errno) -> Bool {
        if exchanging.load(ordering: .relaxed) {
            if renameat2(AT_FDCWD, temp, AT_FDCWD, path, 2 /* RENAME_EXCHANGE */) == 0 { return true }
            switch errno {
            case EINTR: return try replace(temp, path)
            case EINVAL, ENOSYS, EOPNOTSUPP: exchanging.store(false, ordering: .relaxed)
            default: break  // ENOENT: a new file; anything else, the plain rename says
            }
        }
        try Sys.renameat(AT_FDCWD, temp, AT_FDCWD, path)
        return false
    }

    /// Keeps the spares of a flushed directory, up to the bounds; removes the rest, and
    /// at once any that carries an ACL (a job's readers', a result's): it could never be
    /// written into, and its old version must not stay readable by readers since removed.
    static func keep(_ paths: [String], in directory: String) {
        let now = Sys.monotonicNow()
        let plain = paths.filter { CLinux.lgetxattr($0, AccessList.accessAttribute, nil, 0) < 0 && errno == ENODATA }
        let dropped = spares.withLock { all -> [String] in
            var total = all.values.reduce(0) { $0 + $1.count }
            var dropped = paths.filter { !plain.contains($0) }
            for path in plain {
                if total < inAll && all[directory, default: []].count < perDirectory {
                    all[directory, default: []].append((path, now))
                    total += 1
                } else {
                    dropped.append(path)
                }
            }
            return dropped
        }
        for path in dropped { unlink(path) }
    }

    /// Takes a file the daemon is done with out of view (renamed to a temp file's name) to
    /// be a spare once its directory is next flushed (until then, a crash may give it its
    /// name back, and its content must still be there). False when it cannot be renamed,
    /// or when the filesystem is short of space (the caller removes it then, freeing some).
    static func adopt(_ path: String) -> Bool {
        let (directory, name) = AtomicFile.split(path)
        guard hasRoom(directory) else { return false }
        let spare = directory + "/" + AtomicFile.temporaryName(for: name)
        guard rename(path, spare) == 0 else { return false }
        pending.withLock { $0[directory, default: []].append(spare) }
        return true
    }

    /// The files adopted in `directory` before its flush that just succeeded become spares.
    static func flushed(_ directory: String) {
        let adopted = pending.withLock { $0.removeValue(forKey: directory) ?? [] }
        if !adopted.isEmpty { keep(adopted, in: directory) }
    }

    /// Removes the spares of `directory` (its ACL changed: a spare made under the old one
    /// is not what a new file would be).
    package static func forget(in directory: String) {
        let all = (spares.withLock { $0.removeValue(forKey: directory) ?? [] }).map(\.path)
            + pending.withLock { $0.removeValue(forKey: directory) ?? [] }
        for path in all { unlink(path) }
    }

    /// How many spares `directory` holds now.
    package static func count(in directory: String) -> Int {
        spares.withLock { $0[directory]?.count ?? 0 }
    }

    /// How many of them have rested long enough to be written into.
    package static func rested(in directory: String) -> Int {
        let rested = Sys.monotonicNow() &- rest
        return spares.withLock { $0[directory]?.filter { $0.since <= rested }.count ?? 0 }
    }
}
