import Foundation
import Glibc
import Scheduling
import Synchronization
import SystemCalls

/// The daemon's access to state/: creates the layout, writes every file atomically,
/// reads execution records back, prunes history. Stateless apart from the root path,
/// so any number of threads may use one store (each path has one writer: the daemon).
package struct StateStore: Sendable {
    package let layout: StateLayout
    /// Directories made whose entries in their parents are not durable yet: flushed with
    /// the next commit (`writeBatch`) instead of one parent `fsync` per new directory.
    private let newDirectories = NewDirectories()

    package init(root: String) {
        layout = StateLayout(root: root)
    }

    /// Creates state/ (mode 0700) and its subdirectories if absent, then removes stray
    /// temp files left by a crashed writer. Call once at daemon start, with the lock held.
    /// Returns the paths of the temp files removed.
    @discardableResult
    package func prepare() throws(StateStoreError) -> [String] {
        try makeDirectories(layout.root)
        for directory in layout.topLevelDirectories { try makeDirectories(directory) }
        try openDropBoxes()
        try closeJobFilesToOthers()
        let removed = try removeStrayTemporaries()
        // The entries of directories an earlier daemon made may not have been flushed yet.
        AtomicFile.flushDirectories(newDirectories.take().union([layout.root] + layout.topLevelDirectories))
        return removed
    }

    /// SPEC section 11: `triggers/`, `cancel/` and `approvals/` take requests from every
    /// user, sticky like /tmp (nobody removes or renames another's file); the state
    /// directory itself is only traversable (0711). `executions/`, `logs/`, `results/` and
    /// `approvals/` may be listed (0755, 1777), so that a job's user and operators find
    /// what they may read (`grant`); what is inside stays the daemon's user's unless an
    /// ACL says otherwise. `triggers/` and `cancel/` are not listable (1733).
    private func openDropBoxes() throws(StateStoreError) {
        do {
            try Sys.chmod(layout.root, 0o711)
            for box in [layout.triggersDirectory, layout.cancelDirectory] { try Sys.chmod(box, 0o1733) }
            for directory in [layout.resultsDirectory, layout.approvalsDirectory] where try Sys.status(directory).st_mode & 0o004 == 0 {
                try makePrivate(filesUnder: directory)
            }
            try Sys.chmod(layout.approvalsDirectory, 0o1777)
            for directory in [layout.executionsDirectory, layout.logsDirectory, layout.resultsDirectory] { try Sys.chmod(directory, 0o755) }
        } catch { throw StateStoreError(error, path: layout.root) }
    }

    /// Results and approval files written 0644 while their directory was closed become
    /// 0600 before it opens.
    private func makePrivate(filesUnder root: String) throws(Errno) {
        var pending = [root]
        while let directory = pending.popLast() {
            for entry in try Sys.listDirectory(directory) {
                let path = directory + "/" + entry.name
                if entry.isDirectory { pending.append(path) } else if entry.name.hasSuffix(".json") { try Sys.chmod(path, 0o600) }
            }
        }
    }

    /// Removes every file below state/ that has the shape of our temp files.
    package func removeStrayTemporaries() throws(StateStoreError) -> [String] {
        var removed: [String] = []
        var pending = [layout.root]
        while let directory = pending.popLast() {
            let entries: [(name: String, isDirectory: Bool)]
            do { entries = try Sys.listDirectory(directory) } catch { throw StateStoreError(error, path: directory) }
            for entry in entries {
                let path = directory + "/" + entry.name
                if entry.isDirectory {
                    pending.append(path)
                } else if AtomicFile.isTemporaryName(entry.name) {
                    do { try Sys.unlinkat(AT_FDCWD, path) } catch { throw StateStoreError(error, path: path) }
                    removed.append(path)
                }
            }
        }
        return removed.sorted()
    }

    /// Writes `record` to `executions/<job>/<id>.json`, atomically and durably.
    package func write(_ record: ExecutionRecord) throws(StateStoreError) {
        let path = try executionPath(job: record.job, id: record.id)
        try writeDocument(record, to: path)
    }

    /// Writes any document (result, daemon, approval) atomically, creating its directory.
    package func writeDocument<T: Encodable>(_ value: T, to path: String) throws(StateStoreError) {
        let bytes = try StateJSON.encode(value, path: path)
        try makeDirectories(AtomicFile.split(path).directory)
        try AtomicFile.write(bytes, to: path, permissions: permissions(of: path))
        flushNewDirectories()
    }

    /// Makes the entries of the directories created since the last commit durable.
    package func flushNewDirectories() {
        let directories = newDirectories.take()
        if !directories.isEmpty { AtomicFile.flushDirectories(directories) }
    }

    /// One record, or nil if it does not exist.
    /// Writes several documents as one group commit (one flush for all). Paths must lie
    /// inside the state directory.
    /// `access` holds the ACLs of the files that others may read (SPEC section 11).
    /// `alongside` runs on the calling thread while the documents are flushed (when they
    /// could not even be written to their temp files, it does not run).
    package func writeBatch(_ documents: [(path: String, bytes: [UInt8])], access: [String: AccessList] = [:],
                            alongside: (() -> Void)? = nil) throws(StateStoreError) {
        guard !documents.isEmpty else {
            alongside?()
            return
        }
        for directory in Set(documents.map { AtomicFile.split($0.path).directory }) { try makeDirectories(directory) }
        let files = documents.map {
            AtomicFile.Document(path: $0.path, bytes: $0.bytes, permissions: permissions(of: $0.path), access: access[$0.path],
                                reusesSpares: isWrittenEveryRun($0.path))
        }
        let parents = newDirectories.take()
        do {
            try AtomicFile.writeGroup(files, alsoFlush: parents, alongside: alongside)
        } catch {
            newDirectories.add(parents)
            throw error
        }
    }

    /// Removes a file the daemon is done with once a commit made that safe (an outcome file,
    /// a claimed request). A supervisor's outcome file is kept as a spare of its job's
    /// records directory instead (`SpareFiles`), for the next record written there.
    package func retire(_ path: String) {
        if path.hasSuffix(".outcome"), path.hasPrefix(layout.executionsDirectory + "/"), SpareFiles.adopt(path) { return }
        unlink(path)
    }

    /// Records and results: the documents every run writes, which reuse the inodes of the
    /// versions they replace (`SpareFiles`).
    func isWrittenEveryRun(_ path: String) -> Bool {
        path.hasPrefix(layout.executionsDirectory + "/") || path.hasPrefix(layout.resultsDirectory + "/")
    }

    /// Results and approval requests are the daemon's user's (0600) in directories others
    /// may list; their ACLs name who else reads them. Pending notifications are the
    /// daemon's alone (0600). Records are their job's (`jobFileMode`): a job's directory
    /// may be traversable by others when a job below it has readers.
    func permissions(of path: String) -> mode_t {
        let daemonOnly = [layout.resultsDirectory, layout.approvalsDirectory, layout.notificationsDirectory]
        if daemonOnly.contains(where: { path.hasPrefix($0 + "/") }) { return 0o600 }
        if path.hasPrefix(layout.executionsDirectory + "/") || path.hasPrefix(layout.logsDirectory + "/") {
            return Self.jobFileMode(directory: AtomicFile.split(path).directory)
        }
        return 0o644
    }

    package func record(job: String, id: ExecutionID) throws(StateStoreError) -> ExecutionRecord? {
        let path = try executionPath(job: job, id: id)
        do {
            let bytes = try AtomicFile.read(path)
            return try StateJSON.decode(ExecutionRecord.self, from: bytes, path: path)
        } catch where error.errno == ENOENT {
            return nil
        }
    }

    /// The records of `job`, sorted by id (oldest first). Files that are not records
    /// (temp files, other names) are ignored; a record that does not parse is an error.
    package func executions(job: String) throws(StateStoreError) -> [ExecutionRecord] {
        try recordIDs(job: job).map { (id) throws(StateStoreError) -> ExecutionRecord in
            let path = layout.executionFile(job: job, id: id)
            return try StateJSON.decode(ExecutionRecord.self, from: try AtomicFile.read(path), path: path)
        }
    }

    /// The records of `job` that can be read, sorted by id; each one that cannot (it does
    /// not decode, or reading it fails) is passed to `unreadable` and left out.
    package func readableExecutions(job: String, unreadable: (StateStoreError) -> Void) throws(StateStoreError) -> [ExecutionRecord] {
        try recordIDs(job: job).compactMap { id -> ExecutionRecord? in
            do throws(StateStoreError) { return try record(job: job, id: id) } catch {
                unreadable(error)
                return nil
            }
        }
    }

    /// Ids of the records of `job`, sorted.
    package func recordIDs(job: String) throws(StateStoreError) -> [ExecutionID] {
        guard StateLayout.isSafeJobID(job) else { throw invalidJob(job) }
        let directory = layout.executionsDirectory(job: job)
        let entries: [(name: String, isDirectory: Bool)]
        do { entries = try Sys.listDirectory(directory) } catch {
            if error.code == ENOENT { return [] }
            throw StateStoreError(error, path: directory)
        }
        return entries.compactMap { entry in
            guard !entry.isDirectory, entry.name.hasSuffix(".json") else { return nil }
            return ExecutionID(rawValue: String(entry.name.dropLast(5)))
        }.sorted()
    }

    /// Applies `retention` to `job` after a run: removes the victims' records and logs.
    /// Returns the removed ids. Only the records that may go are read
    /// (`HistoryRetention.candidates`). A record that cannot be read stops the pruning with
    /// an error, unless `unreadable` is given: then it is passed there and left in place.
    @discardableResult
    package func pruneHistory(
        job: String, retention: HistoryRetention, now: Date, unreadable: ((StateStoreError) -> Void)? = nil
    ) throws(StateStoreError) -> [ExecutionID] {
        let ids = try recordIDs(job: job)
        var records: [ExecutionRecord] = []
        for id in retention.candidates(ids, now: now) {
            do throws(StateStoreError) {
                if let record = try record(job: job, id: id) { records.append(record) }
            } catch {
                guard let unreadable else { throw error }
                unreadable(error)
            }
        }
        let victims = retention.victims(among: records, of: ids, now: now)
        guard !victims.isEmpty else { return [] }
        for record in victims {
            // A pruned record's inode is kept for the job's next record (`SpareFiles`).
            let path = layout.executionFile(job: job, id: record.id)
            if !SpareFiles.adopt(path) { try remove(path) }
            try remove(layout.logFile(job: job, id: record.id))
            try remove(layout.outcomeFile(job: job, id: record.id))
        }
        // Not flushed: a record that a crash brings back is pruned again at the next run.
        return victims.map(\.id)
    }

    private func remove(_ path: String) throws(StateStoreError) {
        do { try Sys.unlinkat(AT_FDCWD, path) } catch {
            if error.code != ENOENT { throw StateStoreError(error, path: path) }
        }
    }

    /// Creates the log's directory and returns the log's absolute path.
    package func prepareLog(job: String, id: ExecutionID) throws(StateStoreError) -> String {
        guard StateLayout.isSafeJobID(job) else { throw invalidJob(job) }
        // Logs are not fsync'd; neither is their directory.
        try makeDirectories(layout.logsDirectory(job: job), sync: false)
        return layout.logFile(job: job, id: id)
    }

    private func executionPath(job: String, id: ExecutionID) throws(StateStoreError) -> String {
        guard StateLayout.isSafeJobID(job) else { throw invalidJob(job) }
        return layout.executionFile(job: job, id: id)
    }

    private func invalidJob(_ job: String) -> StateStoreError {
        StateStoreError(code: .invalidName, path: layout.executionsDirectory(job: job),
                        message: "job id `\(job)` cannot name a path in the state directory")
    }

    /// `mkdir -p` with mode 0700 and no ACL: creates `path` and missing parents. Each new entry is
    /// made durable in its parent by the next commit (`newDirectories`; so it survives a
    /// crash before anything written into it is acknowledged) unless `sync` is false (log
    /// directories, which need not be durable).
    func makeDirectories(_ path: String, sync: Bool = true) throws(StateStoreError) {
        if let st = try? Sys.status(path) {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw StateStoreError(code: .system, path: path, errno: ENOTDIR, message: "exists and is not a directory")
        }
        let (parent, _) = AtomicFile.split(path)
        if parent != path { try makeDirectories(parent, sync: sync) }
        do { try Sys.mkdir(path, 0o700) } catch {
            if error.code != EEXIST { throw StateStoreError(error, path: path) }
            return
        }
        if sync { newDirectories.add([parent]) }
        do { try dropInheritedList(path) } catch {
            // Not left behind holding another job's list for a later write to find.
            rmdir(path)
            throw error
        }
    }
}

/// The parents of directories made and not yet flushed (see `StateStore.newDirectories`).
private final class NewDirectories: Sendable {
    private let directories = Mutex<Set<String>>([])

    func add(_ paths: Set<String>) { directories.withLock { $0.formUnion(paths) } }

    func take() -> Set<String> { directories.withLock { set in defer { set.removeAll() }; return set } }
}
