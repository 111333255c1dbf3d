import Definitions
import Scheduling
import Watching

/// The `watch` triggers' inotify watches and debounce: which directories are watched
/// for which jobs, the changed paths each job has seen, and each job's quiet period.
/// The one owner of them; whether content really changed is decided on the settled
/// snapshot (`WatchSnapshot`), by the daemon.
///
/// Invariants: one inotify watch per directory, shared by every job matching in it and
/// never removed while the daemon runs (inotify keeps one per directory, and the jobs
/// tree may own it too); a job's pending paths and debounce go with its definition.
struct PathWatches {
    private var patterns: [JobID: [WatchPattern]] = [:]
    private var directories: [Int32: String] = [:]
    private var watchByDirectory: [String: Int32] = [:]
    private var pending: [JobID: Set<String>] = [:]
    private var debounce = Debouncer<JobID>()

    /// The patterns `id` watches now.
    func patterns(of id: JobID) -> [WatchPattern]? { patterns[id] }

    /// The watched directory an inotify watch descriptor stands for.
    func directory(of watch: Int32) -> String? { directories[watch] }

    /// Sets a job's patterns and adds a watch to each directory not yet watched; returns
    /// the directories that could not be watched, with the error.
    mutating func install(_ id: JobID, patterns new: [WatchPattern], addWatch: (String) throws -> Int32) -> [(directory: String, error: any Error)] {
        patterns[id] = new
        var failures: [(String, any Error)] = []
        for directory in Set(new.map(\.directory)).sorted() where watchByDirectory[directory] == nil {
            do {
                let wd = try addWatch(directory)
                watchByDirectory[directory] = wd
                directories[wd] = directory
            } catch {
                failures.append((directory, error))
            }
        }
        return failures
    }

    /// Forgets a job's patterns, pending paths and quiet period.
    mutating func remove(_ id: JobID) {
        patterns[id] = nil
        pending[id] = nil
        debounce.cancel(id)
    }

    /// A change of `name` in `directory` (`kind`) at `now` (monotonic ns): noted for every
    /// job whose patterns match it and whose `watch` (from `watchOf`) cares about the kind.
    mutating func note(_ name: String, in directory: String, kind: WatchTrigger.Event, now: UInt64, watchOf: (JobID) -> WatchTrigger?) {
        let path = directory == "/" ? "/" + name : directory + "/" + name
        for (id, jobPatterns) in patterns where jobPatterns.contains(where: { $0.directory == directory && $0.matches(name) }) {
            guard let watch = watchOf(id) else { continue }
            // A new file's content arrives with its close: count that close as part of the create.
            guard watch.events.contains(kind) || (kind == .modify && watch.events.contains(.create)) else { continue }
            pending[id, default: []].insert(path)
            debounce.touch(id, now: now, delay: UInt64(watch.debounce.milliseconds) * 1_000_000)
        }
    }

    /// Jobs whose quiet period is over at `now`, each with the paths it saw change.
    mutating func takeSettled(now: UInt64) -> [(job: JobID, paths: Set<String>)] {
        debounce.takeDue(now: now).map { id in (id, pending.removeValue(forKey: id) ?? []) }
    }

    var nextDeadline: UInt64? { debounce.nextDeadline }
}
