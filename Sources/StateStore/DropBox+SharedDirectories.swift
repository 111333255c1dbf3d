import Glibc
import SystemCalls

extension DropBox {
    /// What `makeSharedDirectories` did to a directory it found in the way.
    package struct MovedAside: Sendable {
        /// The directory's path below the drop box, and where it went.
        package var path: String
        package var movedTo: String
        package var owner: UInt32
        /// How many of its owner's requests were moved into the new directory.
        package var requestsKept: Int
    }

    /// Makes the directories of a nested job's requests (`reports` and `reports/daily` for
    /// `reports/daily/build`) the daemon's and open to every user as the drop box is
    /// (sticky, 1733), so that nobody can make one first and thereby refuse everyone else's
    /// requests for the jobs below it (a request counts only in directories of its owner,
    /// root or the daemon's user). A directory of that name that is not so (another user's,
    /// a symlink, a file) is renamed aside to `<name>.foreign-<inode>` after its owner's
    /// own regular files are moved into the new one: a user's request dropped before the
    /// job was loaded still counts. Never follows a symlink. Returns what was moved aside.
    package func makeSharedDirectories(for relative: String) throws(Errno) -> [MovedAside] {
        let components = relative.split(separator: "/").map(String.init).dropLast()
        guard !components.isEmpty, components.allSatisfy({ $0 != "." && $0 != ".." }) else { return [] }
        var fd = try Sys.open(directory, O_RDONLY | O_DIRECTORY)
        defer { Sys.close(fd) }
        var moved: [MovedAside] = []
        var path = ""
        for name in components {
            path = path.isEmpty ? name : path + "/" + name
            let found = try? Sys.status(in: fd, name)
            var foreign: (fd: Int32, info: stat)?
            if let found, !Self.isShared(found) {
                let aside = "\(name).foreign-\(found.st_ino)"
                try Sys.renameat(fd, name, fd, aside)
                let asideFD = found.st_mode & S_IFMT == S_IFDIR ? try? Sys.openat(fd, aside, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) : nil
                if let asideFD { foreign = (asideFD, found) }
                moved.append(MovedAside(path: path, movedTo: String(path.dropLast(name.count)) + aside, owner: found.st_uid, requestsKept: 0))
            }
            if Glibc.mkdirat(fd, name, 0o700) != 0, errno != EEXIST {
                let code = errno
                if let foreign { Sys.close(foreign.fd) }
                throw Errno(code, call: "mkdir")
            }
            let next: Int32
            do throws(Errno) {
                next = try Sys.openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
            } catch {
                if let foreign { Sys.close(foreign.fd) }
                throw error
            }
            Sys.close(fd)
            fd = next
            let info = try Sys.status(fd)
            guard Self.isShared(info) else { throw Errno(EPERM, call: "mkdir") }
            if info.st_uid == geteuid(), info.st_mode & 0o7777 != 0o1733, Glibc.fchmod(fd, 0o1733) != 0 {
                throw Errno(errno, call: "fchmod")
            }
            if let foreign {
                defer { Sys.close(foreign.fd) }
                moved[moved.count - 1].requestsKept = keepRequests(of: foreign.info.st_uid, from: foreign.fd, into: fd)
            }
        }
        return moved
    }

    /// A directory the daemon keeps: its own (its mode is then made 1733), or root's when
    /// sticky and open to every user (`jobdir trigger` run by root, for a daemon that is not
    /// root, makes it so; root is trusted anyway).
    private static func isShared(_ info: stat) -> Bool {
        guard info.st_mode & S_IFMT == S_IFDIR else { return false }
        if info.st_uid == geteuid() { return true }
        return info.st_uid == 0 && info.st_mode & S_ISVTX != 0 && info.st_mode & 0o003 == 0o003
    }

    /// Moves the regular files of `owner` with one name from directory `source` into
    /// `target` (where the daemon sees them arrive). Others' files stay: in a directory of
    /// `owner`'s, they may have been put there by `owner`.
    private func keepRequests(of owner: UInt32, from source: Int32, into target: Int32) -> Int {
        let copy = Glibc.dup(source)
        guard copy >= 0, let dir = Glibc.fdopendir(copy) else {
            if copy >= 0 { Glibc.close(copy) }
            return 0
        }
        defer { Glibc.closedir(dir) }
        var kept = 0
        while let entry = Glibc.readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !name.hasPrefix("."), let info = try? Sys.status(in: source, name),
                  info.st_mode & S_IFMT == S_IFREG, info.st_uid == owner, info.st_nlink == 1,
                  (try? Sys.status(in: target, name)) == nil else { continue }
            if (try? Sys.renameat(source, name, target, name)) != nil { kept += 1 }
        }
        return kept
    }
}
