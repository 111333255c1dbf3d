import Foundation
import Glibc
import SystemCalls

/// Files about a state directory kept outside it, in memory (`/dev/shm`), for when the
/// state directory itself refuses writes: the health note `jobdir status` reads, and
/// the writes the daemon still owes, so that a daemon restarted meanwhile writes them
/// first instead of losing what was known. Named after the state directory's path, so
/// each state directory has its own; they go once the state directory takes writes.
package struct StateRuntimeFiles: Sendable {
    package let healthPath: String
    package let owedPath: String

    package init(stateDirectory: String, base: String = "/dev/shm") {
        // FNV-1a of the absolute path: stable across runs and processes.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in stateDirectory.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let key = String(hash, radix: 16)
        healthPath = "\(base)/jobdir-\(key).health.json"
        owedPath = "\(base)/jobdir-\(key).owed.json"
    }

    /// The health note, as `daemon.json` would carry it.
    package func writeHealth(_ bytes: [UInt8]) { Self.replace(healthPath, with: bytes) }

    package func readHealth() -> [UInt8]? { try? AtomicFile.read(healthPath) }

    /// Keeps `documents` (absolute paths below `root`) until `clear`.
    package func saveOwed(_ documents: [String: [UInt8]], root: String) {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        var entries: [[String: String]] = []
        for (path, bytes) in documents.sorted(by: { $0.key < $1.key }) where path.hasPrefix(prefix) {
            entries.append(["path": String(path.dropFirst(prefix.count)), "content": Data(bytes).base64EncodedString()])
        }
        let object: [String: Any] = ["schema": "jobdir.owed/v1", "state_dir": root, "documents": entries]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        Self.replace(owedPath, with: [UInt8](data))
    }

    /// The documents a daemon owed the state directory at `root`, by absolute path.
    package func loadOwed(root: String) -> [String: [UInt8]] {
        guard let bytes = try? AtomicFile.read(owedPath),
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

    package func clearOwed() { unlink(owedPath) }

    package func clearHealth() { unlink(healthPath) }

    /// Replaced whole (temp and rename): a reader never sees half of it. In memory, so no fsync.
    private static func replace(_ path: String, with bytes: [UInt8]) {
        let temporary = path + ".tmp.\(getpid())"
        guard let fd = try? Sys.open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600) else { return }
        let written = (try? Sys.writeAll(fd, bytes)) != nil
        Sys.close(fd)
        if !written || rename(temporary, path) != 0 { unlink(temporary) }
    }
}
