import CLinux
import Glibc

/// Watches the jobs directory and every directory below it that job
/// discovery searches, turning inotify events into changes to re-read.
/// Events are hints: the caller re-reads the path it is told about.
package final class JobTreeWatcher {
    package enum Change: Equatable, Sendable {
        /// A file was created; its content may still be on its way.
        case created(String)
        /// A file was written and closed, or moved in: its content is complete.
        case written(String)
        /// A file is being written.
        case modified(String)
        /// A file was deleted or moved out, or its mode changed (re-check it).
        case removedOrChanged(String)
        /// A directory appeared (created or moved in); every file below it is new.
        case directoryAppeared(String)
        /// A directory went away; every job below it is gone.
        case directoryRemoved(String)
        /// The jobs directory itself was deleted or moved away.
        case rootRemoved
        /// The jobs directory is back; rescan everything.
        case rootReturned
        /// The kernel dropped events; rescan everything.
        case overflow
    }

    package let root: String
    private let inotify: Inotify
    private var directories: [Int32: String] = [:]
    private var watches: [String: Int32] = [:]
    private var parentWatch: Int32?

    private static let mask = UInt32(IN_CREATE | IN_CLOSE_WRITE | IN_MODIFY | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB |
        IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_EXCL_UNLINK) | UInt32(bitPattern: IN_MASK_ADD)

    /// `root` must be absolute.
    package init(root: String, inotify: Inotify) {
        self.root = root
        self.inotify = inotify
    }

    /// Whether the watch descriptor is one of this watcher's.
    package func owns(_ wd: Int32) -> Bool { directories[wd] != nil || wd == parentWatch }

    /// Watches the tree; false (and a watch on the parent) when the root is missing.
    @discardableResult
    package func start() -> Bool {
        do {
            try watchTree("")
            return true
        } catch {
            waitForRoot()
            return false
        }
    }

    package func handle(_ event: InotifyEvent) -> [Change] {
        if event.isOverflow { return [.overflow] }
        if event.watch == parentWatch {
            guard event.name == Self.baseName(root), event.isDirectory, event.has(IN_CREATE) || event.has(IN_MOVED_TO) else { return [] }
            inotify.removeWatch(event.watch)
            parentWatch = nil
            return start() ? [.rootReturned] : []
        }
        guard let directory = directories[event.watch] else { return [] }
        if event.has(IN_DELETE_SELF) || event.has(IN_MOVE_SELF) || event.has(IN_IGNORED) {
            guard directory.isEmpty else {
                forget(directory)
                return []
            }
            for wd in directories.keys { inotify.removeWatch(wd) }
            directories.removeAll()
            watches.removeAll()
            waitForRoot()
            return [.rootRemoved]
        }
        guard !event.name.isEmpty else { return [] }
        let path = directory.isEmpty ? event.name : directory + "/" + event.name
        if event.isDirectory {
            guard Self.isSearched(event.name) else { return [] }
            if event.has(IN_CREATE) || event.has(IN_MOVED_TO) {
                try? watchTree(path)
                return [.directoryAppeared(path)]
            }
            if event.has(IN_DELETE) || event.has(IN_MOVED_FROM) {
                forget(path)
                return [.directoryRemoved(path)]
            }
            return []
        }
        if event.has(IN_CLOSE_WRITE) || event.has(IN_MOVED_TO) { return [.written(path)] }
        if event.has(IN_CREATE) { return [.created(path)] }
        if event.has(IN_MODIFY) { return [.modified(path)] }
        if event.has(IN_DELETE) || event.has(IN_MOVED_FROM) || event.has(IN_ATTRIB) { return [.removedOrChanged(path)] }
        return []
    }

    /// Relative paths of every file below `relative` in searched directories.
    package func files(below relative: String) -> [String] {
        var found: [String] = []
        collect(relative, into: &found)
        return found
    }

    private func collect(_ relative: String, into found: inout [String]) {
        guard let handle = opendir(absolute(relative)) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            if entry.pointee.d_type == UInt8(DT_DIR) {
                if Self.isSearched(name) { collect(child, into: &found) }
            } else {
                found.append(child)
            }
        }
    }

    private func watchTree(_ relative: String) throws(SystemError) {
        // A directory below the root swapped for a symlink after it was listed is not
        // followed (the root itself may be one, as the user named it).
        let wd = try inotify.addWatch(absolute(relative), mask: relative.isEmpty ? Self.mask : Self.mask | UInt32(IN_DONT_FOLLOW))
        directories[wd] = relative
        watches[relative] = wd
        guard let handle = opendir(absolute(relative)) else { return }
        defer { closedir(handle) }
        while let entry = readdir(handle) {
            guard entry.pointee.d_type == UInt8(DT_DIR) else { continue }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard name != ".", name != "..", Self.isSearched(name) else { continue }
            try? watchTree(relative.isEmpty ? name : relative + "/" + name)
        }
    }

    private func forget(_ relative: String) {
        for (path, wd) in watches where path == relative || path.hasPrefix(relative + "/") {
            inotify.removeWatch(wd)
            watches[path] = nil
            directories[wd] = nil
        }
    }

    private func waitForRoot() {
        let parent = Self.parentPath(root)
        parentWatch = try? inotify.addWatch(parent, mask: UInt32(IN_CREATE | IN_MOVED_TO | IN_ONLYDIR))
    }

    private func absolute(_ relative: String) -> String { relative.isEmpty ? root : root + "/" + relative }

    private static func isSearched(_ name: String) -> Bool { !name.hasPrefix(".") && !name.hasPrefix("_") }

    private static func baseName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? "")
    }

    private static func parentPath(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
