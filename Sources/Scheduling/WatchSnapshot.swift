import Definitions

/// The content of a `watch` job's matched files, path → SHA-256, and what
/// changed between two snapshots. The snapshot's own hash is the watch
/// occurrence key, so one content state fires at most once, across restarts.
package struct WatchSnapshot: Sendable, Equatable, Codable {
    package var files: [String: String]

    package init(files: [String: String] = [:]) { self.files = files }

    /// A hash of the whole snapshot.
    package var hash: String {
        var hasher = SHA256()
        for path in files.keys.sorted() {
            hasher.update(Array(path.utf8) + [0] + Array(files[path]!.utf8) + [0])
        }
        return hasher.finalizeHex()
    }

    /// Paths that differ from `earlier` in a way `events` asks for (a new file is
    /// `create`, a changed one `modify`, a vanished one `delete`; moves show as a
    /// delete and a create), sorted.
    package func changes(since earlier: WatchSnapshot, events: Set<WatchTrigger.Event>) -> [String] {
        var changed: [String] = []
        for (path, hash) in files {
            switch earlier.files[path] {
            case nil: if events.contains(.create) || events.contains(.move) { changed.append(path) }
            case let old? where old != hash: if events.contains(.modify) { changed.append(path) }
            default: break
            }
        }
        for path in earlier.files.keys where files[path] == nil {
            if events.contains(.delete) || events.contains(.move) { changed.append(path) }
        }
        return changed.sorted()
    }
}
