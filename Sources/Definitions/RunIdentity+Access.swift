import Glibc

/// Whether a run's user may reach a path, judged from modes, owners and the user's groups
/// as the kernel would for that user (POSIX ACLs are not looked at). The daemon (root)
/// asks this before it watches or hashes a path on a job's behalf (SPEC section 11).
extension RunIdentity {
    /// The user may list `directory` (search every directory down to it, read it).
    package func mayList(_ directory: String) -> Bool {
        guard switches, uid != 0 else { return true }
        let groups = Set(supplementaryGroups)
        return maySearch(down: directory, includingLast: true, groups) && allows(directory, bit: 4, groups)
    }

    /// The user may read `file` (search every directory down to it, read the file).
    package func mayRead(_ file: String) -> Bool {
        guard switches, uid != 0 else { return true }
        let groups = Set(supplementaryGroups)
        return maySearch(down: file, includingLast: false, groups) && allows(file, bit: 4, groups)
    }

    private func maySearch(down path: String, includingLast: Bool, _ groups: Set<UInt32>) -> Bool {
        var prefix = ""
        let parts = path.split(separator: "/")
        for (index, part) in parts.enumerated() where includingLast || index < parts.count - 1 {
            prefix += "/" + part
            if !allows(prefix, bit: 1, groups) { return false }
        }
        return allows("/", bit: 1, groups)
    }

    /// Whether the user has permission `bit` (4 read, 2 write, 1 search/execute) on `path`.
    private func allows(_ path: String, bit: mode_t, _ groups: Set<UInt32>) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let mode = info.st_mode
        if UInt32(info.st_uid) == uid { return mode & (bit << 6) != 0 }
        if groups.contains(UInt32(info.st_gid)) { return mode & (bit << 3) != 0 }
        return mode & bit != 0
    }
}
