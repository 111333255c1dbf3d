import Foundation
import Glibc
import SystemCalls

/// Files about a state directory kept outside it, in memory, for when the state
/// directory itself refuses writes: the health note `jobdir status` reads, and the
/// writes the daemon still owes, so that a daemon restarted meanwhile writes them first
/// instead of losing what was known. One file of each per state directory (named after
/// a hash of its path); the owed writes go once nothing is owed, the note once the
/// state directory takes writes.
///
/// They live in `/dev/shm/jobdir-<uid>/`, a directory of the daemon's user that no one
/// else may write to (0711: others may open the note by name, not list or add files):
/// whatever is in the owed file is written into the state directory, so a file someone
/// else could plant would forge records. Every open checks, on the opened descriptors,
/// that the directory and the file belong to that user and are not writable by group or
/// others, and follows no symbolic link; anything else is refused (`Failure`). The
/// owed file is 0600 (it holds records others may not read); the note is 0644.
package struct StateRuntimeFiles: Sendable {
    /// Why the files cannot be trusted, or kept.
    package struct Failure: Error, CustomStringConvertible, Sendable {
        package var description: String
    }

    /// `/dev/shm/jobdir-<uid>`.
    package let directory: String
    /// The user whose files these are: the daemon's effective user.
    package let owner: uid_t
    private let key: String

    package var healthPath: String { directory + "/" + healthName }
    package var owedPath: String { directory + "/" + owedName }
    private var healthName: String { key + ".health.json" }
    private var owedName: String { key + ".owed.json" }

    /// `owner` is the daemon's user: the daemon itself passes its own, `jobdir status`
    /// the owner of the state directory's lock file.
    package init(stateDirectory: String, owner: uid_t = geteuid(), base: String = "/dev/shm") {
        // FNV-1a of the absolute path: stable across runs and processes.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stateDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        key = String(hash, radix: 16)
        self.owner = owner
        directory = "\(base)/jobdir-\(owner)"
    }

    /// The files of the daemon that runs on `layout`'s state directory, for a reader
    /// (`jobdir status`): that daemon's user owns the lock file.
    package static func ofDaemon(layout: StateLayout) -> StateRuntimeFiles? {
        guard let info = try? Sys.status(layout.lockFile) else { return nil }
        return StateRuntimeFiles(stateDirectory: layout.root, owner: info.st_uid)
    }

    /// Makes the directory when it is missing and checks it; the daemon calls it once at start.
    package func prepare() throws(Failure) {
        if mkdir(directory, 0o711) != 0 && errno != EEXIST {
            throw Failure(description: "cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        let fd = try openDirectory(flags: O_RDONLY)
        defer { Sys.close(fd) }
        // The umask may have taken the search bits others need to read the note.
        _ = fchmod(fd, 0o711)
    }

    /// The health note, as `daemon.json` would carry it.
    package func writeHealth(_ bytes: [UInt8]) { try? replace(healthName, with: bytes, mode: 0o644) }

    /// The note, when it is the owner's own.
    package func readHealth() -> [UInt8]? { try? read(healthName) }

    /// Keeps `documents` (absolute paths below `root`) until `clearOwed`.
    package func saveOwed(_ documents: [String: [UInt8]], root: String) throws(Failure) {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        var entries: [[String: String]] = []
        for (path, bytes) in documents.sorted(by: { $0.key < $1.key }) where path.hasPrefix(prefix) {
            entries.append(["path": String(path.dropFirst(prefix.count)), "content": Data(bytes).base64EncodedString()])
        }
        let object: [String: Any] = ["schema": "jobdir.owed/v1", "state_dir": root, "documents": entries]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        try replace(owedName, with: [UInt8](data), mode: 0o600)
    }

    /// The documents a daemon owed the state directory at `root`, by absolute path;
    /// empty when there are none. Throws when the file is there but not to be trusted.
    package func loadOwed(root: String) throws(Failure) -> [String: [UInt8]] {
        guard let bytes = try read(owedName),
              let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
              object["schema"] as? String == "jobdir.owed/v1", object["state_dir"] as? String == root,
              let entries = object["documents"] as? [[String: String]] else { return [:] }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        var documents: [String: [UInt8]] = [:]
        for entry in entries {
            guard let path = entry["path"], !path.hasPrefix("/"), !path.split(separator: "/").contains(".."),
                  let content = entry["content"].flatMap({ Data(base64Encoded: $0) }) else { continue }
            documents[prefix + path] = [UInt8](content)
        }
        return documents
    }

    package func clearOwed() { remove(owedName) }

    package func clearHealth() { remove(healthName) }

    // MARK: - Checked access

    /// Linux's `O_PATH` (the same on every architecture), which the Glibc module does not export.
    private static let pathOnly: Int32 = 0o10000000

    /// The directory, opened without following a link, when it is the owner's and only
    /// the owner writes to it. `O_PATH` by default: enough for the `*at` calls and fstat,
    /// and needs no read permission (others reading the note may only search it).
    private func openDirectory(flags: Int32 = StateRuntimeFiles.pathOnly) throws(Failure) -> Int32 {
        let fd = open(directory, flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "cannot open \(directory): \(String(cString: strerror(errno)))") }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == owner, info.st_mode & 0o022 == 0 else {
            Sys.close(fd)
            throw Failure(description: "\(directory) is not a directory of uid \(owner) that only it may write to")
        }
        return fd
    }

    /// The file's bytes; nil when there is none. Refuses a link, a file of another user or
    /// one that group or others may write.
    private func read(_ name: String) throws(Failure) -> [UInt8]? {
        let directoryFD = try openDirectory()
        defer { Sys.close(directoryFD) }
        let fd = openat(directoryFD, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw Failure(description: "cannot open \(directory)/\(name): \(String(cString: strerror(errno)))")
        }
        defer { Sys.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == owner, info.st_mode & 0o022 == 0 else {
            throw Failure(description: "\(directory)/\(name) is not a file of uid \(owner) that only it may write to")
        }
        return try? Sys.readAll(fd)
    }

    /// Replaced whole (a new temp file, then rename): a reader never sees half of it. In
    /// memory, so no fsync.
    private func replace(_ name: String, with bytes: [UInt8], mode: mode_t) throws(Failure) {
        let directoryFD = try openDirectory()
        defer { Sys.close(directoryFD) }
        let temporary = ".\(name).tmp.\(getpid())"
        // One left by a process of the same pid that died mid-write.
        _ = unlinkat(directoryFD, temporary, 0)
        let fd = openat(directoryFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(description: "cannot create \(directory)/\(temporary): \(String(cString: strerror(errno)))") }
        _ = fchmod(fd, mode)
        let written = (try? Sys.writeAll(fd, bytes)) != nil
        Sys.close(fd)
        if !written || renameat(directoryFD, temporary, directoryFD, name) != 0 {
            _ = unlinkat(directoryFD, temporary, 0)
            throw Failure(description: "cannot write \(directory)/\(name)")
        }
    }

    private func remove(_ name: String) {
        guard let directoryFD = try? openDirectory() else { return }
        _ = unlinkat(directoryFD, name, 0)
        Sys.close(directoryFD)
    }
}
