import Watching

/// The jobs directory as a stream of files to read again: its inotify tree and the
/// quiet period of each changed path. The one owner of both; what a file's new content
/// means is `JobSet`'s business.
///
/// A closed or moved-in file is complete and is read after a short quiet period; a
/// created or still-modified one may not be, and waits longer.
struct JobFileFeed {
    static let settledDelay: UInt64 = 20_000_000
    static let unsettledDelay: UInt64 = 500_000_000

    /// What a change of the tree asks of the daemon besides reading files.
    enum Action: Equatable {
        case none
        case reloadAll(reason: String)
        case rootGone
        case rootBack
    }

    private let tree: JobTreeWatcher
    private var debounce = Debouncer<String>()

    init(root: String, inotify: Inotify) {
        tree = JobTreeWatcher(root: root, inotify: inotify)
    }

    /// Watches the jobs tree; false (and a watch for the root to appear) when it is missing.
    func start() -> Bool { tree.start() }

    /// Whether the inotify watch is one of the jobs tree's.
    func owns(_ watch: Int32) -> Bool { tree.owns(watch) }

    /// What an inotify event of the jobs tree changed; each goes to `note`.
    func changes(from event: InotifyEvent) -> [JobTreeWatcher.Change] { tree.handle(event) }

    /// Notes an inotify change at `now` (monotonic ns). `knownPaths` are the files the
    /// registry knows, for a removed directory.
    mutating func note(_ change: JobTreeWatcher.Change, now: UInt64, knownPaths: () -> [String]) -> Action {
        switch change {
        case .written(let path), .removedOrChanged(let path):
            debounce.touch(path, now: now, delay: Self.settledDelay)
        case .created(let path), .modified(let path):
            debounce.touch(path, now: now, delay: Self.unsettledDelay)
        case .directoryAppeared(let directory):
            for path in tree.files(below: directory) { debounce.touch(path, now: now, delay: Self.settledDelay) }
        case .directoryRemoved(let directory):
            for path in knownPaths() where path.hasPrefix(directory + "/") {
                debounce.touch(path, now: now, delay: Self.settledDelay)
            }
        case .rootRemoved:
            return .rootGone
        case .rootReturned:
            return .rootBack
        case .overflow:
            return .reloadAll(reason: "overflow")
        }
        return .none
    }

    /// Paths whose quiet period is over at `now`: to be read again.
    mutating func takeSettled(now: UInt64) -> [String] { debounce.takeDue(now: now) }

    var nextDeadline: UInt64? { debounce.nextDeadline }
}
