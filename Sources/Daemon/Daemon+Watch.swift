import CLinux
import Definitions
import Foundation
import Glibc
import Scheduling
import Watching

/// `watch` triggers: inotify on the directories of each job's `watch.paths`,
/// a per-job debounce, and content hashes so that one content state fires at
/// most once and changes made while the daemon was down fire once at start.
extension Daemon {
    /// Added to whatever mask the directory already has (a watched directory may also be
    /// part of the jobs tree, and inotify keeps one watch per directory).
    static let watchMask = UInt32(IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR) | UInt32(bitPattern: IN_MASK_ADD)

    /// Sets up (or updates) a job's watches; on the job's first install in this daemon,
    /// fires once for changes made while no daemon watched.
    func installWatch(_ definition: JobDefinition, firstInstall: Bool) {
        let id = definition.id
        guard let watch = definition.watch else {
            watches.remove(id)
            return
        }
        let base = (definition.file as NSString).deletingLastPathComponent
        let patterns = readablePatterns(watch.paths.map { WatchPattern($0, base: base) }, of: definition)
        let inotify = edges.inotify
        for failure in watches.install(id, patterns: patterns, addWatch: { try inotify.addWatch($0, mask: Self.watchMask) }) {
            log.event("watch_failed", ["job": id.rawValue, "directory": failure.directory, "error": "\(failure.error)", "note": "it is watched again on the next reload (SIGHUP)"])
        }
        let current = snapshot(of: patterns, as: definition.runAs)
        let stored = results[id]?.watchFiles.map(WatchSnapshot.init(files:))
        if firstInstall, let stored, definition.enabled {
            let changed = current.changes(since: stored, events: watch.events)
            if !changed.isEmpty {
                log.event("watch_changed_while_down", ["job": id.rawValue, "paths": "\(changed.count)"])
                fireWatch(definition, snapshot: current, changed: changed)
                return
            }
        }
        storeSnapshot(current, for: id)
    }

    /// An inotify event in a watched directory: note the path for every job it matches.
    func handleWatchEvent(_ event: InotifyEvent, directory: String) {
        guard !event.name.isEmpty else { return }
        let kind: WatchTrigger.Event
        if event.has(IN_CREATE) { kind = .create } else if event.has(IN_CLOSE_WRITE) { kind = .modify } else if event.has(IN_DELETE) { kind = .delete } else if event.has(IN_MOVED_TO) || event.has(IN_MOVED_FROM) { kind = .move } else { return }
        let registry = jobs.registry
        watches.note(event.name, in: directory, kind: kind, now: TimerDescriptor.monotonicNow()) { registry.definition($0)?.watch }
    }

    /// Debounce over for `id`: fire if the watched content really changed.
    func settleWatch(_ id: JobID, changedPaths pending: Set<String>) {
        guard let definition = jobs.definition(id), let watch = definition.watch, let patterns = watches.patterns(of: id) else { return }
        let current = snapshot(of: patterns, as: definition.runAs)
        let stored = WatchSnapshot(files: results[id]?.watchFiles ?? [:])
        let changed = current.changes(since: stored, events: watch.events)
        guard !pending.isEmpty, !changed.isEmpty, definition.enabled, !stopping else {
            storeSnapshot(current, for: id)
            return
        }
        fireWatch(definition, snapshot: current, changed: changed)
    }

    private func fireWatch(_ definition: JobDefinition, snapshot: WatchSnapshot, changed: [String]) {
        storeSnapshot(snapshot, for: definition.id)
        let trigger = ExecutionTrigger(kind: .watch, scheduledFor: Date(), extra: ["changed_paths": .array(changed.map(JSONValue.string))])
        fire(definition, trigger: trigger, occurrence: .watch(job: definition.id.rawValue, contentHash: snapshot.hash))
    }

    private func storeSnapshot(_ snapshot: WatchSnapshot, for id: JobID) {
        results.update(id) { $0.watchFiles = snapshot.files }
    }

    /// The SHA-256 of the regular file at `path`; nil for anything else (a FIFO is
    /// opened without blocking and not read). A real path checked for the run's user is
    /// opened with `O_NOFOLLOW`: a symlink swapped in after the check is not followed.
    private static func contentHash(_ path: String, followingSymlink: Bool) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followingSymlink ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        var hash = SHA256()
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return nil }
            if count == 0 { return hash.finalizeHex() }
            hash.update(chunk[0..<count])
        }
    }

    /// The matched files now, each with its content hash.
    private func snapshot(of patterns: [WatchPattern], as user: RunIdentity?) -> WatchSnapshot {
        var files: [String: String] = [:]
        // Whether paths are judged for another user (and then read by their real path).
        let judged = user.map { $0.switches && $0.uid != 0 } ?? false
        for pattern in patterns {
            for path in pattern.currentFiles(listing: directoryNames) {
                guard let readable = user.map({ $0.readablePath(path) }) ?? path,
                      let hash = Self.contentHash(readable, followingSymlink: !judged) else { continue }
                files[path] = hash
            }
        }
        return WatchSnapshot(files: files)
    }
}
