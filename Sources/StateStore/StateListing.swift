import Glibc
import SystemCalls

/// What state directories held when first asked, each listed once: a full load would
/// otherwise look up each job's record directory, log directory and result one by one
/// (10,000 jobs on a new state directory: 40,000 lookups of files that are not there).
/// For the span of one load, in which nothing else makes those files; a directory the
/// store makes meanwhile holds nothing yet, so a listing that misses it answers right.
package final class StateListing {
    private enum Listing {
        case absent
        case names(Set<String>)
        /// The directory could not be read: every question goes to the filesystem.
        case unknown
    }

    private var listings: [String: Listing] = [:]

    package init() {}

    /// Whether `path` may exist: false only when its directory was listed (or found
    /// missing) and the name was not there.
    package func mayExist(_ path: String) -> Bool {
        let (directory, name) = AtomicFile.split(path)
        let listing = listings[directory] ?? list(directory)
        switch listing {
        case .absent: return false
        case .names(let names): return names.contains(name)
        case .unknown: return true
        }
    }

    private func list(_ directory: String) -> Listing {
        let listing: Listing
        do {
            listing = .names(Set(try Sys.listDirectory(directory).map(\.name)))
        } catch {
            listing = error.code == ENOENT || error.code == ENOTDIR ? .absent : .unknown
        }
        listings[directory] = listing
        return listing
    }
}
