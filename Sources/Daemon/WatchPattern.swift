import Glibc

/// One `watch.paths` entry: a directory to watch and a name pattern in it
/// (globs are allowed in the last path segment).
struct WatchPattern: Hashable {
    var directory: String
    var namePattern: String

    /// `entry` relative to `base` (the job file's directory) unless absolute.
    init(_ entry: String, base: String) {
        let path = entry.hasPrefix("/") ? entry : base + "/" + entry
        let slash = path.lastIndex(of: "/")!
        directory = slash == path.startIndex ? "/" : String(path[..<slash])
        namePattern = String(path[path.index(after: slash)...])
    }

    func matches(_ name: String) -> Bool {
        fnmatch(namePattern, name, FNM_PERIOD) == 0
    }

    /// Matching files present now, as absolute paths.
    func currentFiles(listing: (String) -> [String]) -> [String] {
        listing(directory).filter(matches).map { directory == "/" ? "/" + $0 : directory + "/" + $0 }
    }
}
