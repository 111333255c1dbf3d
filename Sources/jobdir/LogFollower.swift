import CLinux
import Glibc
import Scheduling
import StateStore
import Watching

/// Copies an execution's log to stdout and, when following, the bytes appended to it
/// until its record turns terminal. Waits on inotify (the log, the log's directory and
/// the record's directory), with a slow re-check as a safety net: no busy loop.
struct LogFollower {
    let reader: StateReader
    var record: ExecutionRecord
    private var offset: Int64 = 0
    /// Stdout is gone (a closed pipe): stop.
    private var outputClosed = false

    init(reader: StateReader, record: ExecutionRecord) {
        self.reader = reader
        self.record = record
    }

    /// The log's path: the record's `output.log`, else where the daemon puts it.
    var logPath: String {
        record.output.map { reader.layout.path($0.log) } ?? reader.layout.logFile(job: record.job, id: record.id)
    }

    /// Prints what the log holds now; false when there is no log file.
    @discardableResult
    mutating func copyAvailable() -> Bool {
        let fd = open(logPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        // The daemon cuts an overlong log back to its head; go on from its new end.
        if fstat(fd, &info) == 0, Int64(info.st_size) < offset { offset = Int64(info.st_size) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            offset += Int64(count)
            guard Console.out(bytes: Array(buffer[0..<count])) else {
                outputClosed = true
                return true
            }
        }
        return true
    }

    /// Follows until the record is terminal (or gone), then prints the rest.
    mutating func follow() throws(SystemError) {
        let inotify = try Inotify()
        let recordDirectory = reader.layout.executionsDirectory(job: record.job)
        _ = try? inotify.addWatch(recordDirectory, mask: UInt32(IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE))
        var logWatched = false
        var logDirectoryWatched = false
        while !record.state.isTerminal && !outputClosed {
            if !logWatched, (try? inotify.addWatch(logPath, mask: UInt32(IN_MODIFY | IN_CLOSE_WRITE))) != nil {
                logWatched = true
            } else if !logWatched && !logDirectoryWatched {
                let directory = String(logPath[..<(logPath.lastIndex(of: "/") ?? logPath.endIndex)])
                logDirectoryWatched = (try? inotify.addWatch(directory, mask: UInt32(IN_CREATE | IN_MOVED_TO))) != nil
            }
            copyAvailable()
            var descriptor = pollfd(fd: inotify.descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 2_000)
            if ready < 0 && errno != EINTR { throw SystemError("poll") }
            _ = inotify.readEvents()
            guard let latest = reader.record(id: record.id) else { break }
            record = latest
        }
        copyAvailable()
    }
}
