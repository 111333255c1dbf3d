import Definitions
import Foundation

/// Job files read and parsed in order on a thread of their own while the loop thread
/// applies the ones read before (`JobDirectory.read`, then `finish` and the install on
/// the loop): at a full load of many files (the start, a rescan) parsing overlaps with
/// installing. At most `ahead` files wait, read, to be taken.
final class JobFileReadAhead: @unchecked Sendable {
    private let paths: [String]
    private let ahead: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var reads: [Int: JobFileRead] = [:]
    private var taken = 0
    private var abandoned = false

    init(_ paths: [String], directory: JobDirectory, defaults: DefaultsFile, ahead: Int = 256) {
        self.paths = paths
        self.ahead = ahead
        let thread = Thread { [self] in
            for (index, path) in paths.enumerated() {
                condition.lock()
                while index - taken >= self.ahead && !abandoned { condition.wait() }
                let stop = abandoned
                condition.unlock()
                if stop { return }
                let read = directory.read(path, defaults: defaults)
                condition.lock()
                reads[index] = read
                condition.broadcast()
                condition.unlock()
            }
        }
        thread.name = "jobdir-read"
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// The read of the next path, in the order given; waits for it if need be.
    func next() -> (path: String, read: JobFileRead)? {
        condition.lock()
        defer { condition.unlock() }
        guard taken < paths.count else { return nil }
        while reads[taken] == nil { condition.wait() }
        let read = reads.removeValue(forKey: taken)!
        taken += 1
        condition.broadcast()
        return (paths[taken - 1], read)
    }

    /// Lets the reading thread end before every path is read (it holds this object until
    /// it ends): called when the caller takes no more.
    func stop() {
        condition.lock()
        abandoned = true
        condition.broadcast()
        condition.unlock()
    }
}
