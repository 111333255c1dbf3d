import Definitions
import Glibc
import SystemCalls

/// Read access for the users a job's state belongs to besides the daemon's (SPEC section
/// 11), by POSIX ACLs: `executions/<job>/` and `logs/<job>/` carry a default ACL, so every
/// record and log made in them can be read by the readers (their files are created 0644
/// and 0640, whose group bits become the mask); files already there get the same list.
/// `results/<job>.json` and a pending `approvals/<id>.json` are replaced at each write,
/// so they get theirs when written (`writeBatch`'s `access`).
extension StateStore {
    /// Gives `readers` (and nobody else but the daemon's user) read access to the records,
    /// logs and result of `job`; creates its directories so that they never inherit
    /// another job's list. Returns whether anything changed. Throws when the filesystem
    /// takes no ACLs (`EOPNOTSUPP`): then only the daemon's user reads them, as before.
    @discardableResult
    package func grant(_ readers: StateReaders, job: String) throws(StateStoreError) -> Bool {
        let directories = [layout.executionsDirectory(job: job), layout.logsDirectory(job: job)]
        let wanted = readers.isEmpty ? nil : AccessList(readers: readers, directory: true)
        var changed = false
        for directory in directories {
            try makeDirectories(directory)
            do throws(Errno) {
                guard try Sys.attribute(directory, AccessList.defaultAttribute) != wanted?.bytes else { continue }
                changed = true
                try openPath(to: directory, for: readers)
                try apply(wanted, toDirectory: directory)
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
        do throws(Errno) {
            if access(result, F_OK) == 0, try Sys.attribute(result, AccessList.accessAttribute) != file?.bytes {
                changed = true
                try apply(file, toFile: result)
            }
        } catch { throw StateStoreError(error, path: result) }
        return changed
    }

    private func apply(_ list: AccessList?, toDirectory directory: String) throws(Errno) {
        if let list {
            try Sys.setAttribute(directory, AccessList.accessAttribute, list.bytes)
            try Sys.setAttribute(directory, AccessList.defaultAttribute, list.bytes)
        } else {
            try Sys.removeAttribute(directory, AccessList.defaultAttribute)
            try Sys.removeAttribute(directory, AccessList.accessAttribute)
            try Sys.chmod(directory, 0o700)
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
    /// others may pass through them (search, not list), keeping the lists they have.
    private func openPath(to directory: String, for readers: StateReaders) throws(Errno) {
        guard !readers.isEmpty else { return }
        let tops = [layout.executionsDirectory, layout.logsDirectory]
        var parent = AtomicFile.split(directory).directory
        while !tops.contains(parent), parent.count > layout.root.count {
            let mode = try Sys.status(parent).st_mode & 0o7777
            if mode & 0o001 == 0 { try Sys.chmod(parent, mode | 0o001) }
            parent = AtomicFile.split(parent).directory
        }
    }
}
