import Glibc

/// SPEC section 11: every directory from the jobs directory down to a job file must not
/// be writable by anyone but the file's owner and root, so that nobody can put a file
/// where it runs as someone else. (The file itself is checked by `JobFileReader`.)
package struct JobPathOwnership: Sendable {
    /// The jobs directory as the user named it.
    package var root: String

    package init(root: String) { self.root = root }

    /// Why the directories of `relativePath` make its file unsafe to run, or nil.
    package func problem(directoriesOf relativePath: String, fileOwner: UInt32, daemonUID: UInt32 = UInt32(geteuid())) -> String? {
        var directory = root
        var directories = [root]
        for segment in relativePath.split(separator: "/").dropLast() {
            directory = directory.hasSuffix("/") ? directory + segment : directory + "/" + segment
            directories.append(directory)
        }
        for path in directories {
            var info = stat()
            guard stat(path, &info) == 0 else { return "refused: cannot stat the directory \(path): \(String(cString: strerror(errno)))" }
            let owner = UInt32(info.st_uid)
            if owner != 0 && owner != fileOwner && owner != daemonUID {
                let name = JobFileReader.userName(owner)  // getpwuid_r: files are read on more than one thread
                return "refused: the directory \(path) is owned by \(name), who could replace this file; a job's directories must belong to its owner or root (`chown root \(path)`)"
            }
            if info.st_mode & (S_IWGRP | S_IWOTH) != 0 {
                return "refused: the directory \(path) is writable by group or others (mode \(String(info.st_mode & 0o7777, radix: 8))), who could put a job there; run `chmod go-w \(path)`"
            }
        }
        return nil
    }
}
