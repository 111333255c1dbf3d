import Glibc
import SystemCalls

/// A drop box of the state directory (`triggers/`, `cancel/`, `approvals/`): a sticky
/// directory other users create request files in, and may fill with directories and
/// symlinks of their own, swapped at any instant. The daemon reads, renames and removes
/// what is in it only through this type, which never follows a symlink below the drop
/// box: each directory on the way is opened from the one before with `O_NOFOLLOW |
/// O_DIRECTORY`, and the file is opened (`O_NOFOLLOW`), renamed or removed relative to the
/// last of them. Whatever is swapped between two calls, a request's path names an entry
/// below the drop box (or in a directory its owner moved out of it, which is the owner's),
/// never one a symlink leads to.
package struct DropBox: Sendable {
    /// The drop box itself (made by the daemon, in its state directory).
    package let directory: String

    package init(directory: String) {
        self.directory = directory
    }

    /// A request file as it was opened: what the authority rules and the request's
    /// reader see is this file, whatever its name leads to by now.
    package struct Request {
        /// From `fstat` of the opened file.
        package var info: stat
        /// Its content, at most the limit asked for (empty for what is not a regular file).
        package var bytes: [UInt8]
        /// Whether the file holds more than the limit.
        package var isLarger: Bool
        /// The directories between the drop box and the file, each with its `fstat`.
        package var directories: [(path: String, info: stat)]

        package var isRegularFile: Bool { info.st_mode & S_IFMT == S_IFREG }

        /// The first directory between the drop box and the file that someone besides the
        /// file's owner, root and `daemonUID` could have put the file into: one owned by
        /// anyone else, or writable by group or others without the sticky bit. A file in it
        /// may have been moved there by that someone, so it does not speak for its owner.
        package func directoryOpenToOthers(daemonUID: UInt32) -> String? {
            directories.first { directory in
                let owner = directory.info.st_uid, mode = directory.info.st_mode
                let trustedOwner = owner == 0 || owner == daemonUID || owner == info.st_uid
                let openToOthers = mode & 0o022 != 0 && mode & S_ISVTX == 0
                return !trustedOwner || openToOthers
            }?.path
        }
    }

    /// What is at a request's path.
    package enum Entry {
        /// A file (of any type but symlink), opened.
        case request(Request)
        /// A symlink, not followed; its own `lstat`.
        case symlink(stat)
        /// Nothing (any longer), a path through something that is not a directory, or an
        /// entry the daemon may not open.
        case unavailable(Errno)
    }

    /// Opens the request at `relative` (below the drop box) and reads at most `limit`
    /// bytes of it when it is a regular file. A FIFO or device is opened without
    /// blocking and not read.
    package func open(_ relative: String, readingAtMost limit: Int) -> Entry {
        let parent: Parent
        do { parent = try Parent(box: directory, relative: relative) } catch { return .unavailable(error) }
        defer { Sys.close(parent.fd) }
        let fd: Int32
        do {
            fd = try Sys.openat(parent.fd, parent.name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY)
        } catch {
            if error.code == ELOOP, let info = try? Sys.status(in: parent.fd, parent.name), info.st_mode & S_IFMT == S_IFLNK {
                return .symlink(info)
            }
            return .unavailable(error)
        }
        defer { Sys.close(fd) }
        do {
            let info = try Sys.status(fd)
            var request = Request(info: info, bytes: [], isLarger: false, directories: parent.directories)
            if request.isRegularFile { (request.bytes, request.isLarger) = try Sys.read(fd, atMost: limit) }
            return .request(request)
        } catch {
            return .unavailable(error)
        }
    }

    /// Removes the entry at `relative` (never a directory, never through a symlink).
    @discardableResult
    package func remove(_ relative: String) -> Bool {
        guard let parent = try? Parent(box: directory, relative: relative) else { return false }
        defer { Sys.close(parent.fd) }
        return (try? Sys.unlinkat(parent.fd, parent.name)) != nil
    }

    /// Renames the entry at `relative` to `name` in the directory `target` (a descriptor
    /// from `privateDirectory`), if it is still the file `request` was opened from: true
    /// then. Anything else found there (the name was swapped meanwhile) is put back.
    package func move(_ request: Request, at relative: String, to target: Int32, name: String) -> Bool {
        guard let parent = try? Parent(box: directory, relative: relative) else { return false }
        defer { Sys.close(parent.fd) }
        guard (try? Sys.renameat(parent.fd, parent.name, target, name)) != nil else { return false }
        if let moved = try? Sys.status(in: target, name), moved.st_dev == request.info.st_dev, moved.st_ino == request.info.st_ino {
            return true
        }
        if (try? Sys.renameat(target, name, parent.fd, parent.name)) == nil { try? Sys.unlinkat(target, name) }
        return false
    }

    /// Opens directory `name` in the drop box as the daemon's own (owned by its user, no
    /// access for anyone else), making it when missing. Anything else of that name (a
    /// symlink, a file, another user's directory) is first renamed aside to
    /// `<name>.foreign-<inode>`, so nothing another user made is ever written into. The
    /// caller closes the descriptor.
    package func privateDirectory(_ name: String) throws(Errno) -> Int32 {
        let box = try Sys.open(directory, O_RDONLY | O_DIRECTORY)
        defer { Sys.close(box) }
        if let info = try? Sys.status(in: box, name),
           info.st_mode & S_IFMT != S_IFDIR || info.st_uid != geteuid() || info.st_mode & 0o077 != 0 {
            try Sys.renameat(box, name, box, "\(name).foreign-\(info.st_ino)")
        }
        if Glibc.mkdirat(box, name, 0o700) != 0, errno != EEXIST { throw Errno(errno, call: "mkdir") }
        let fd = try Sys.openat(box, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW)
        let info = try Sys.status(fd)
        guard info.st_uid == geteuid(), info.st_mode & 0o077 == 0 else {
            Sys.close(fd)
            throw Errno(EPERM, call: "mkdir")
        }
        return fd
    }

    /// The directory holding a request's last component, reached from the drop box one
    /// component at a time without following symlinks.
    private struct Parent {
        var fd: Int32
        var name: String
        var directories: [(path: String, info: stat)] = []

        init(box: String, relative: String) throws(Errno) {
            let components = relative.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard let last = components.last, components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
                throw Errno(EINVAL, call: "open")
            }
            var fd = try Sys.open(box, O_RDONLY | O_DIRECTORY)
            var path = ""
            for component in components.dropLast() {
                let next = Result { () throws(Errno) in try Sys.openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) }
                Sys.close(fd)
                fd = try next.get()
                path = path.isEmpty ? component : path + "/" + component
                do throws(Errno) {
                    directories.append((path, try Sys.status(fd)))
                } catch {
                    Sys.close(fd)
                    throw error
                }
            }
            self.fd = fd
            self.name = last
        }
    }
}
