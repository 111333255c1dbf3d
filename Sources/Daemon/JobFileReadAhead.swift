import CLinux
import Definitions
import Foundation
import Glibc

/// Job files read and parsed in order on a thread of their own while the loop thread
/// applies the ones read before (`JobDirectory.read`, then `finish` and the install on
/// the loop): at a full load of many files (the start, a rescan) parsing overlaps with
/// installing. At most `ahead` files wait, read, to be taken. When no thread can be had
/// (the cgroup's task limit reached), the caller reads each file itself as it takes it.
final class JobFileReadAhead: @unchecked Sendable {
    private let paths: [String]
    private let directory: JobDirectory
    private let defaults: DefaultsFile
    private let ahead: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var reads: [Int: JobFileRead] = [:]
    private var taken = 0
    private var abandoned = false
    /// Set once, before any read is taken: no thread reads ahead.
    private var readsInline = false

    /// `threaded: false` reads inline from the start, as when no thread can be made.
    init(_ paths: [String], directory: JobDirectory, defaults: DefaultsFile, ahead: Int = 256, threaded: Bool = true) {
        self.paths = paths
        self.directory = directory
        self.defaults = defaults
        self.ahead = ahead
        readsInline = !threaded || !Self.startThread { [self] in readAll() }
    }

    /// The read of the next path, in the order given; waits for it if need be.
    func next() -> (path: String, read: JobFileRead)? {
        guard !readsInline else {
            guard taken < paths.count else { return nil }
            taken += 1
            return (paths[taken - 1], directory.read(paths[taken - 1], defaults: defaults))
        }
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

    private func readAll() {
        pthread_setname_np(pthread_self(), "jobdir-read")
        for (index, path) in paths.enumerated() {
            condition.lock()
            while index - taken >= ahead && !abandoned { condition.wait() }
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

    /// Starts `body` on a detached thread; false when none could be made (Foundation's
    /// `Thread.start` would not say so, and the caller would wait for reads forever).
    private static func startThread(_ body: @escaping @Sendable () -> Void) -> Bool {
        final class Body: Sendable {
            let run: @Sendable () -> Void
            init(_ run: @escaping @Sendable () -> Void) { self.run = run }
        }
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 1 << 20)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let started = pthread_create(&thread, &attributes, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        if started != 0 { Unmanaged<Body>.fromOpaque(context).release() }
        return started == 0
    }
}
