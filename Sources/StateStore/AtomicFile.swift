import Glibc
import Synchronization
import SystemCalls

/// Atomic replacement of a file: a reader (in any process) sees the old content or the
/// new content, never a partial or empty file, even if the writer is killed at any instant.
///
/// Recipe: temp file `.<name>.tmp.<pid>.<random>` in the same directory, opened
/// `O_CREAT|O_EXCL|O_CLOEXEC`; write all; fsync; rename over the target; fsync the directory.
/// The group commit writes into the inodes of files it replaced before where it can
/// (`SpareFiles`), with the same guarantees.
package enum AtomicFile {
    /// Replaces `path` with `bytes`. On failure the previous version stays in place and
    /// the temp file is removed; the error carries the path and errno. With `durable`
    /// false the fsyncs are left out: readers still see the old or the new file whole, but
    /// a power loss may keep the old one (for files written again anyway, like metrics).
    /// `access`, when given, is the file's ACL, set before it takes the name.
    package static func write(_ bytes: [UInt8], to path: String, permissions: mode_t = 0o644, durable: Bool = true,
                              access: AccessList? = nil) throws(StateStoreError) {
        let (directory, name) = split(path)
        let dirFD: Int32
        do { dirFD = try Sys.open(directory, O_RDONLY | O_DIRECTORY) } catch { throw StateStoreError(error, path: path) }
        defer { Sys.close(dirFD) }

        let temp = temporaryName(for: name)
        let fd: Int32
        do { fd = try Sys.openat(dirFD, temp, O_WRONLY | O_CREAT | O_EXCL, permissions) } catch {
            throw StateStoreError(error, path: path)
        }
        do {
            if let access { grant(access, fd) }
            try Sys.writeAll(fd, bytes)
            if durable { try Sys.fsync(fd) }
            Sys.close(fd)
        } catch {
            Sys.close(fd)
            try? Sys.unlinkat(dirFD, temp)
            throw StateStoreError(error, path: path)
        }
        do { try Sys.renameat(dirFD, temp, dirFD, name) } catch {
            try? Sys.unlinkat(dirFD, temp)
            throw StateStoreError(error, path: path)
        }
        guard durable else { return }
        do { try Sys.fsync(dirFD) } catch { throw StateStoreError(error, path: directory) }
    }

    /// Several files made durable together (group commit): every temp file is written,
    /// all are `fdatasync`'d side by side (`FlushPool`), every rename follows, then each
    /// directory touched is fsync'd once, again side by side. Only these files and
    /// directories are flushed, never the whole filesystem (`syncfs` would also flush
    /// whatever other programs have written to it, and wait on it). Readers still see
    /// whole files only. If a temp file cannot be written, none is renamed and the old
    /// versions stay. `alsoFlush` names more directories to fsync in the same pass (new
    /// directories' parents); their failures are not the commit's.
    /// `alongside` runs on the calling thread while the first documents are flushed.
    package static func writeGroup(_ documents: [Document], alsoFlush: Set<String> = [],
                                   alongside: (() -> Void)? = nil) throws(StateStoreError) {
        var alongside = alongside
        var written: [(temp: String, path: String, reusesSpares: Bool)] = []
        func discard() { for entry in written { unlink(entry.temp) } }
        // In chunks, so that a commit of thousands of documents holds few descriptors.
        for chunk in stride(from: 0, to: documents.count, by: Self.descriptorsPerChunk) {
            var open: [Int32] = []
            defer { for fd in open { Sys.close(fd) } }
            for document in documents[chunk..<min(chunk + Self.descriptorsPerChunk, documents.count)] {
                let (directory, name) = split(document.path)
                do throws(Errno) {
                    let fd: Int32, temp: String
                    var reused = false
                    if document.reusesSpares, document.access == nil,
                       let spare = SpareFiles.take(in: directory, permissions: document.permissions) {
                        (fd, temp) = spare
                        reused = true
                    } else {
                        temp = directory + "/" + temporaryName(for: name)
                        fd = try Sys.open(temp, O_WRONLY | O_CREAT | O_EXCL, document.permissions)
                    }
                    open.append(fd)
                    written.append((temp, document.path, document.reusesSpares))
                    if let access = document.access { grant(access, fd) }
                    try Sys.writeAll(fd, document.bytes)
                    // A spare's old content, where it was longer, is cut off.
                    if reused { _ = try Sys.retrying("ftruncate") { ftruncate(fd, off_t(document.bytes.count)) } }
                } catch {
                    discard()
                    throw StateStoreError(error, path: document.path)
                }
            }
            let synced = flushAll(open.map { .descriptor($0) }, alongside: alongside)
            alongside = nil
            if let failed = synced.firstIndex(where: { $0 != nil }) {
                discard()
                throw StateStoreError(synced[failed]!, path: documents[chunk + failed].path)
            }
        }
        // A replaced file's inode stays under the temp name (`SpareFiles`), kept once its
        // directory is flushed.
        var spares: [String: [String]] = [:]
        for (index, entry) in written.enumerated() {
            do throws(Errno) {
                if !entry.reusesSpares {
                    try Sys.renameat(AT_FDCWD, entry.temp, AT_FDCWD, entry.path)
                } else if try SpareFiles.replace(entry.temp, entry.path) {
                    spares[split(entry.path).directory, default: []].append(entry.temp)
                }
            } catch {
                for rest in written[index...] { unlink(rest.temp) }
                for path in spares.values.joined() { unlink(path) }
                throw StateStoreError(error, path: entry.path)
            }
        }
        let touched = Set(written.map { split($0.path).directory })
        let directories = touched.union(alsoFlush).sorted()
        let flushed = flushAll(directories.map { .directory($0) })
        var failure: StateStoreError?
        for (directory, error) in zip(directories, flushed) {
            let kept = spares[directory] ?? []
            if let error {
                for path in kept { unlink(path) }
                if touched.contains(directory) && failure == nil { failure = StateStoreError(error, path: directory) }
            } else {
                if !kept.isEmpty { SpareFiles.keep(kept, in: directory) }
                SpareFiles.flushed(directory)
            }
        }
        if let failure { throw failure }
    }

    static let descriptorsPerChunk = 128

    /// Flushes directories (best effort: a failure is left to the caller's next commit).
    package static func flushDirectories(_ directories: Set<String>) {
        _ = flushAll(directories.sorted().map { .directory($0) })
    }

    private enum Flush: Sendable {
        case descriptor(Int32)
        case directory(String)
    }

    /// Runs the flushes side by side (and `alongside` on this thread meanwhile); the error
    /// of each, in order.
    private static func flushAll(_ flushes: [Flush], alongside: (() -> Void)? = nil) -> [Errno?] {
        let errors = UnsafeMutableBufferPointer<Errno?>.allocate(capacity: flushes.count)
        errors.initialize(repeating: nil)
        defer { errors.deallocate() }
        FlushPool.shared.forEach(flushes.count, alongside: alongside) { index in
            do throws(Errno) {
                switch flushes[index] {
                case .descriptor(let fd):
                    try Sys.fdatasync(fd)
                case .directory(let path):
                    let fd = try Sys.open(path, O_RDONLY | O_DIRECTORY)
                    defer { Sys.close(fd) }
                    try Sys.fsync(fd)
                }
            } catch {
                errors[index] = error
            }
        }
        return Array(errors)
    }

    /// One file of a group commit: its bytes, mode and ACL.
    package struct Document {
        package var path: String
        package var bytes: [UInt8]
        package var permissions: mode_t = 0o644
        package var access: AccessList? = nil
        /// Written into the inode of a file replaced before in its directory, and its own
        /// replaced inode kept for that (`SpareFiles`): for the documents of every run.
        package var reusesSpares = false

        package init(path: String, bytes: [UInt8], permissions: mode_t = 0o644, access: AccessList? = nil,
                     reusesSpares: Bool = false) {
            self.path = path
            self.bytes = bytes
            self.permissions = permissions
            self.access = access
            self.reusesSpares = reusesSpares
        }
    }

    /// Sets the ACL of a temp file. A filesystem without ACLs keeps the file its mode's
    /// (the daemon's user's): the job's grant has said so in the log already.
    private static func grant(_ access: AccessList, _ fd: Int32) {
        try? Sys.setAttribute(fd, AccessList.accessAttribute, access.bytes)
    }

    package static func read(_ path: String) throws(StateStoreError) -> [UInt8] {
        do {
            let fd = try Sys.open(path, O_RDONLY)
            defer { Sys.close(fd) }
            return try Sys.readAll(fd)
        } catch { throw StateStoreError(error, path: path) }
    }

    /// `.<name>.tmp.<pid>.<8 hex>`: recognisably ours, unique per writer (a counter from a
    /// random start: no system call per name; `O_EXCL` catches any clash).
    static func temporaryName(for name: String) -> String {
        let hex = String(TemporaryNames.start &+ TemporaryNames.counter.add(1, ordering: .relaxed).oldValue, radix: 16)
        return ".\(name).tmp.\(TemporaryNames.pid).\(String(repeating: "0", count: 8 - hex.count))\(hex)"
    }

    private enum TemporaryNames {
        static let pid = getpid()
        static let start = UInt32.random(in: 0...UInt32.max)
        static let counter = Atomic<UInt32>(0)
    }

    /// Whether `name` has the shape of one of our temp files.
    package static func isTemporaryName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0].isEmpty, parts[parts.count - 3] == "tmp",
              !parts[1..<(parts.count - 3)].joined(separator: ".").isEmpty else { return false }
        let pid = parts[parts.count - 2], hex = parts[parts.count - 1]
        return !pid.isEmpty && pid.allSatisfy(\.isASCII) && pid.allSatisfy(\.isNumber)
            && hex.count == 8 && hex.allSatisfy { $0.isHexDigit && $0.isASCII }
    }

    static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }
}
