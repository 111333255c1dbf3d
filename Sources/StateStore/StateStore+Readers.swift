import Definitions
import Glibc
import SystemCalls

/// Read access for the users a job's state belongs to besides the daemon's (SPEC section
/// 11), by POSIX ACLs: `executions/<job>/` and `logs/<job>/` carry a default ACL, so every
/// record and log made in them can be read by the readers (their files are created 0640,
/// whose group bits become the mask); files already there get the same list. A job without
/// readers has its files 0600: its directory may be traversable by others (`openPath`),
/// and nothing but the ACL of a job says who else reads its files.
/// `results/<job>.json` and a pending `approvals/<id>.json` are replaced at each write,
/// so they get theirs when written (`writeBatch`'s `access`).
extension StateStore {
    /// Gives `readers` (and nobody else but the daemon's user) read access to the records,
    /// logs and result of `job`; creates its directories so that they never inherit
    /// another job's list (a job id with `/` lies below another's directory). Returns whether anything changed. Throws when the filesystem
    /// takes no ACLs (`EOPNOTSUPP`): then only the daemon's user reads them, as before.
    /// `listing`, during a full load, answers for files that are not there.
    @discardableResult
    package func grant(_ readers: StateReaders, job: String, listing: StateListing? = nil) throws(StateStoreError) -> Bool {
        func exists(_ path: String) -> Bool { listing?.mayExist(path) != false && access(path, F_OK) == 0 }
        let directories = [layout.executionsDirectory(job: job), layout.logsDirectory(job: job)]
        let wanted = readers.isEmpty ? nil : AccessList(readers: readers, directory: true)
        var changed = false
        for directory in directories {
            // A job without readers whose directory is not made yet has nothing to take
            // away: its directory is made at its first run, and takes no list from the one
            // above it (`makeDirectories`), which may be another job's (`x` above `x/y`).
            if readers.isEmpty && !exists(directory) { continue }
            try makeDirectories(directory)
            do throws(Errno) {
                guard try Sys.attribute(directory, AccessList.defaultAttribute) != wanted?.bytes else { continue }
                changed = true
                try openPath(to: directory, for: readers)
                try apply(wanted, toDirectory: directory)
                SpareFiles.forget(in: directory)
                let file = readers.isEmpty ? nil : AccessList(readers: readers, directory: false)
                for entry in try Sys.listDirectory(directory) where !entry.isDirectory && !AtomicFile.isTemporaryName(entry.name) {
                    try apply(file, toFile: directory + "/" + entry.name)
                }
            } catch {
                throw StateStoreError(error, path: directory)
            }
        }
        // The result may have been written before its job's lists were known (owed writes
        // replayed at start): it is looked at on its own.
        let result = layout.resultFile(job: job), file = readers.isEmpty ? nil : AccessList(readers: readers, directory: false)
        if !readers.isEmpty, job.utf8.contains(UInt8(ascii: "/")) { try openResultPath(to: result) }
        do throws(Errno) {
            if exists(result), try Sys.attribute(result, AccessList.accessAttribute) != file?.bytes {
                changed = true
                try apply(file, toFile: result)
            }
        } catch { throw StateStoreError(error, path: result) }
        return changed
    }

    /// A directory just made below another job's directory has inherited that job's list
    /// (its default ACL): it loses it before anything is made in it. A job's own lists are
    /// set by `grant` alone.
    func dropInheritedList(_ directory: String) throws(StateStoreError) {
        do throws(Errno) {
            guard try Sys.attribute(directory, AccessList.defaultAttribute) != nil else { return }
            try apply(nil, toDirectory: directory)
        } catch {
            // A filesystem without ACLs has nothing to inherit.
            if error.code == EOPNOTSUPP { return }
            throw StateStoreError(error, path: directory)
        }
    }

    private func apply(_ list: AccessList?, toDirectory directory: String) throws(Errno) {
        if let list {
            try Sys.setAttribute(directory, AccessList.accessAttribute, list.bytes)
            try Sys.setAttribute(directory, AccessList.defaultAttribute, list.bytes)
        } else {
            try Sys.removeAttribute(directory, AccessList.defaultAttribute)
            try Sys.removeAttribute(directory, AccessList.accessAttribute)
            // Search by others stays if a job below has readers (`openPath`).
            try Sys.chmod(directory, 0o700 | (try Sys.status(directory).st_mode & 0o001))
        }
    }

    private func apply(_ list: AccessList?, toFile path: String) throws(Errno) {
        if let list {
            try Sys.setAttribute(path, AccessList.accessAttribute, list.bytes)
        } else {
            try Sys.removeAttribute(path, AccessList.accessAttribute)
            try Sys.chmod(path, 0o600)
        }
    }

    /// A job id with `/` has directories between `executions/` (or `logs/`) and its own:
    /// others may pass through them (search, not list), keeping the lists they have. Such
    /// a directory may be another job's (`x` above `x/y`): its files are first closed to
    /// everyone its ACL does not name, since others could now reach them by name.
    private func openPath(to directory: String, for readers: StateReaders) throws(Errno) {
        guard !readers.isEmpty else { return }
        let tops = [layout.executionsDirectory, layout.logsDirectory]
        var parent = AtomicFile.split(directory).directory
        while !tops.contains(parent), parent.count > layout.root.count {
            let mode = try Sys.status(parent).st_mode & 0o7777
            if mode & 0o001 == 0 {
                try closeFilesToOthers(in: parent)
                try Sys.chmod(parent, mode | 0o001)
            }
            parent = AtomicFile.split(parent).directory
        }
    }

    /// `results/reports/` holds only the results of the jobs below `reports` (each 0600,
    /// or with its own ACL): others may pass through it to the result of a job they read.
    private func openResultPath(to result: String) throws(StateStoreError) {
        var parent = AtomicFile.split(result).directory
        try makeDirectories(parent)
        do throws(Errno) {
            while parent != layout.resultsDirectory, parent.count > layout.root.count {
                let mode = try Sys.status(parent).st_mode & 0o7777
                if mode & 0o001 == 0 { try Sys.chmod(parent, mode | 0o001) }
                parent = AtomicFile.split(parent).directory
            }
        } catch {
            throw StateStoreError(error, path: parent)
        }
    }

    /// The mode of a new record or log in `directory`: 0640 when the directory has its
    /// job's ACL (the group bits of a file made under a default ACL become its mask, so
    /// the readers' entries count; its group is not named), 0600 otherwise (the owning
    /// group is then the daemon's, which is no reader).
    static func jobFileMode(directory: String) -> mode_t {
        guard let info = try? Sys.status(directory) else { return 0o600 }
        return info.st_mode & 0o050 != 0 ? 0o640 : 0o600
    }

    /// Files of `directory` with bits for others (records made 0644 by earlier versions),
    /// or for the group where no ACL gives the group bits their meaning as a mask, lose them.
    private func closeFilesToOthers(in directory: String) throws(Errno) {
        let closed: mode_t = Self.jobFileMode(directory: directory) == 0o640 ? 0o007 : 0o077
        for entry in try Sys.listDirectory(directory) where !entry.isDirectory {
            let path = directory + "/" + entry.name
            guard let mode = try? Sys.status(in: AT_FDCWD, path).st_mode, mode & S_IFMT == S_IFREG, mode & closed != 0 else { continue }
            try Sys.chmod(path, mode & 0o7777 & ~closed)
        }
    }

    /// At start: the directories that others may already pass through (opened by
    /// `openPath`, maybe by a version that made records 0644) get their files closed.
    func closeJobFilesToOthers() throws(StateStoreError) {
        var pending = [layout.executionsDirectory, layout.logsDirectory]
        let tops = Set(pending)
        while let directory = pending.popLast() {
            do throws(Errno) {
                if !tops.contains(directory), try Sys.status(directory).st_mode & 0o001 != 0 {
                    try closeFilesToOthers(in: directory)
                }
                for entry in try Sys.listDirectory(directory) where entry.isDirectory {
                    pending.append(directory + "/" + entry.name)
                }
            } catch {
                throw StateStoreError(error, path: directory)
            }
        }
    }
}
